"""The whole conversion, song file in, DTX package out: what the worker and `convert` run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from processing import audio, rhythm
from processing.arrangement import arrange
from processing.dtx import DtxHeader, write_dtx
from processing.errors import AudioError
from processing.difficulty import leveled_difficulties
from processing.package import PREVIEW_FILE, Difficulty, chip_sounds, write_package
from processing.preview import preview_clip
from processing.transcription import get_track

# Stages in order, with the share of the progress bar each one ends at.
STAGE_DECODING = "decoding"
STAGE_ANALYSING = "analysing"
STAGE_TRANSCRIBING = "transcribing"
STAGE_WRITING = "writing"
STAGE_ENDS = {STAGE_DECODING: 0.1, STAGE_ANALYSING: 0.3, STAGE_TRANSCRIBING: 0.8, STAGE_WRITING: 1.0}
# Below this RMS (about -80 dBFS) a song is silence: there is nothing to chart.
SILENCE_RMS = 1e-4

# Parameters that steer the tempo map rather than the track: a user's corrections on rerun.
TEMPO_PARAMETERS = ("bpm", "first_downbeat_s")

ProgressCallback = Callable[[str, float], None]


@dataclass
class ConversionResult:
    """What a conversion made: the package and a summary for the song's page."""

    package_path: Path
    bpm: float
    duration_s: float
    note_counts: dict[str, int]
    levels: dict[str, int]
    quantisation_error_ms: float
    warnings: list[str] = field(default_factory=list)


def convert(
    *,
    source: Path,
    out_path: Path,
    track_name: str,
    model_dir: Path,
    title: str,
    artist: str = "",
    parameters: dict[str, Any] | None = None,
    on_progress: ProgressCallback | None = None,
) -> ConversionResult:
    """Convert the song at `source` into a DTX package zip at `out_path`.

    on_progress(stage, fraction) is called as each stage starts and ends; fraction is the
    share of the whole job done, 0..1. Raises PipelineError for problems the user can fix.
    """
    report = on_progress or (lambda stage, fraction: None)
    track = get_track(track_name)
    parameters = dict(parameters or {})
    tempo_overrides = {name: parameters.pop(name) for name in TEMPO_PARAMETERS if parameters.get(name) is not None}

    report(STAGE_DECODING, 0.0)
    decoded = audio.decode(path=source)
    mono = decoded.mono()
    if float(np.sqrt(np.mean(mono.astype(np.float64) ** 2))) < SILENCE_RMS:
        raise AudioError("The song is silent: there are no drums to chart. Check that the file plays.")

    report(STAGE_ANALYSING, STAGE_ENDS[STAGE_DECODING])
    tempo_map = rhythm.estimate_global_tempo_map(
        mono=mono, sample_rate=decoded.sample_rate, duration_s=decoded.duration_s
    )

    report(STAGE_TRANSCRIBING, STAGE_ENDS[STAGE_ANALYSING])
    hits = track.run(audio=decoded, model_dir=model_dir, parameters=parameters)
    if not hits:
        raise AudioError("No drum hits were found in this song. Try another track, or a song with drums.")
    tempo_map = rhythm.refit_to_onsets(
        tempo_map=tempo_map, onset_times=np.array([hit.time_s for hit in hits]), duration_s=decoded.duration_s
    )
    if tempo_overrides:
        tempo_map = rhythm.override_tempo_map(tempo_map=tempo_map, duration_s=decoded.duration_s, **tempo_overrides)

    report(STAGE_WRITING, STAGE_ENDS[STAGE_TRANSCRIBING])
    chart = arrange(hits=hits, tempo_map=tempo_map)
    leveled = leveled_difficulties(chart=chart)
    difficulties = [
        Difficulty(
            label=spec.label, file_name=spec.file_name, level=level,
            dtx_text=write_dtx(
                chart=reduced,
                header=DtxHeader(title=title, artist=artist, level=level, preview=PREVIEW_FILE,
                                 comment=f"Audio2DTX track {track.name}"),
                sounds=chip_sounds(),
            ),
        )
        for spec, reduced, level in leveled
    ]
    master = leveled[-1][1]
    write_package(
        out_path=out_path, title=title, difficulties=difficulties, bgm_samples=decoded.samples,
        preview_samples=preview_clip(samples=decoded.samples, sample_rate=decoded.sample_rate),
        sample_rate=decoded.sample_rate,
    )
    report(STAGE_WRITING, STAGE_ENDS[STAGE_WRITING])
    errors = master.quantisation_errors_s
    return ConversionResult(
        package_path=out_path,
        bpm=tempo_map.mean_bpm,
        duration_s=decoded.duration_s,
        note_counts=master.counts_by_lane(),
        levels={difficulty.label: difficulty.level for difficulty in difficulties},
        quantisation_error_ms=float(np.mean(np.abs(errors)) * 1000) if errors.size else 0.0,
        warnings=decoded.warnings,
    )
