"""The whole conversion, song file in, DTX package out: what the worker and `convert` run."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from processing import audio, rhythm, separation, timing
from processing.arrangement import Chart, arrange
from processing.audio import DecodedAudio
from processing.chart_view import lane_confidences
from processing.chips import cut_chips
from processing.dtx import DtxHeader, write_dtx
from processing.errors import AudioError
from processing.difficulty import leveled_difficulties
from processing.package import PREVIEW_FILE, Difficulty, chip_sounds, encoding_bgm, write_package
from processing.transcription import TRACKS, get_track
from processing.transcription.base import Hit
from processing.transcription.adtof import track as adtof

# Stages in order, with the share of the progress bar each one ends at.
STAGE_DECODING = "decoding"
STAGE_SEPARATING = "separating"
STAGE_ANALYSING = "analysing"
STAGE_TRANSCRIBING = "transcribing"
STAGE_WRITING = "writing"
# The share of the progress bar each stage ends at; separation, when it runs, takes half.
STAGE_ENDS_WITH_SEPARATION = {STAGE_DECODING: 0.05, STAGE_SEPARATING: 0.55, STAGE_ANALYSING: 0.65,
                              STAGE_TRANSCRIBING: 0.9, STAGE_WRITING: 1.0}
STAGE_ENDS_WITHOUT_SEPARATION = {STAGE_DECODING: 0.1, STAGE_SEPARATING: 0.1, STAGE_ANALYSING: 0.3,
                                 STAGE_TRANSCRIBING: 0.8, STAGE_WRITING: 1.0}
BGM_DRUMLESS, BGM_ORIGINAL = "drumless", "original"
INPUT_MIX, INPUT_DRUMS = "mix", "drums"
# Below this RMS (about -80 dBFS) a song is silence: there is nothing to chart.
SILENCE_RMS = 1e-4

# The drum tracker's beats and downbeats need this track's network (its weights); without
# them the tempo map is librosa's global tempo fitted to the hits.
DRUM_TEMPO_TRACK = "adtof"
# Parameters that steer the tempo map rather than the track: a user's corrections on rerun
# (rhythm.override_tempo_map). The meter is "4/4", "3/4" or "6/8" (rhythm.METER_BEATS);
# bar_shift_beats moves every bar line that many beats later.
TEMPO_PARAMETERS = ("bpm", "first_downbeat_s", "meter", "bar_shift_beats")
# The user's #DLEVEL for MASTER, on DTXMania's x.xx scale as an integer (650 shows as 6.50).
LEVEL_PARAMETER = "level"
LEVEL_SCALE = 100
MIN_LEVEL, MAX_LEVEL = 100, 999


@dataclass(frozen=True)
class PackageOptions:
    """What the package is made of, beside the chart.

    bgm: "drumless" (the song without its drums, from separation) or "original".
    input: what the track transcribes: "mix" or "drums" (the drum stem).
    song_chips: chips cut from the song's drum stem, where a lane has a clean hit.
    """

    bgm: str = BGM_ORIGINAL
    input: str = INPUT_MIX
    song_chips: bool = False

    @classmethod
    def pop_from(cls, parameters: dict[str, Any]) -> "PackageOptions":
        return cls(**{name: parameters.pop(name) for name in ("bgm", "input", "song_chips") if name in parameters})

    @property
    def needs_separation(self) -> bool:
        return self.bgm == BGM_DRUMLESS or self.input == INPUT_DRUMS or self.song_chips


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
    # Seconds per stage (processing.timing.STAGES); the BGM's encoding runs beside the analysis.
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # Where the bar lines were a close call: how many beats later their rival falls (0: clear).
    close_call_shift: int = 0


def convert(
    *,
    source: Path,
    out_path: Path,
    track_name: str,
    model_dir: Path,
    title: str,
    artist: str = "",
    genre: str = "",
    charter: str = "",
    comment: str = "",
    parameters: dict[str, Any] | None = None,
    on_progress: ProgressCallback | None = None,
    max_duration_s: float = audio.MAX_DURATION_S,
) -> ConversionResult:
    """Convert the song at `source` into a DTX package zip at `out_path`.

    No more than `max_duration_s` of the song is decoded; a song that runs longer raises AudioError.
    title, artist, genre: the .dtx headers of the same names; charter and comment go into
    #COMMENT with the track's name (header_comment).
    parameters: the track's settings, PackageOptions, the tempo map's corrections
    (TEMPO_PARAMETERS) and MASTER's level (LEVEL_PARAMETER); a correction or level that is
    None is not given: the detected one stays.

    on_progress(stage, fraction) is called as each stage starts and ends; fraction is the
    share of the whole job done, 0..1. Raises PipelineError for problems the user can fix.
    """
    report = on_progress or (lambda stage, fraction: None)
    track = get_track(track_name)
    parameters = dict(parameters or {})
    tempo_overrides = {name: value for name in TEMPO_PARAMETERS if (value := parameters.pop(name, None)) is not None}
    master_level = parameters.pop(LEVEL_PARAMETER, None)
    options = PackageOptions.pop_from(parameters)
    ends = STAGE_ENDS_WITH_SEPARATION if options.needs_separation else STAGE_ENDS_WITHOUT_SEPARATION

    with timing.recording() as stage_seconds:
        report(STAGE_DECODING, 0.0)
        with timing.stage(timing.DECODE):
            decoded = audio.decode(path=source, max_duration_s=max_duration_s)
            # Not kept: a 10-minute song's mono copy is 100 MB the rest of the job does not need.
            if float(np.sqrt(np.mean(decoded.mono() ** 2, dtype=np.float64))) < SILENCE_RMS:
                raise AudioError("The song is silent: there are no drums to chart. Check that the file plays.")

        with tempfile.TemporaryDirectory(prefix="a2d-bgm-") as work_dir:
            drums, backing = None, None
            if options.needs_separation:
                report(STAGE_SEPARATING, ends[STAGE_DECODING])
                start, end = ends[STAGE_DECODING], ends[STAGE_SEPARATING]
                with timing.stage(timing.SEPARATE):
                    drums, backing = _separate(
                        audio=decoded, model_dir=model_dir, keep_backing=options.bgm == BGM_DRUMLESS,
                        keep_drums=options.input == INPUT_DRUMS or options.song_chips,
                        stereo_drums=options.input == INPUT_DRUMS,
                        on_fraction=lambda fraction: report(STAGE_SEPARATING, start + fraction * (end - start)),
                    )
            with encoding_bgm(samples=backing if backing is not None else decoded.samples,
                              sample_rate=decoded.sample_rate, folder=Path(work_dir)) as pending_bgm:
                del backing  # written to a file for its encoder: the analysis need not sit beside it
                report(STAGE_ANALYSING, ends[STAGE_SEPARATING])
                tempo_map, follows_drums = _tempo_map(audio=decoded, model_dir=model_dir)

                report(STAGE_TRANSCRIBING, ends[STAGE_ANALYSING])
                heard = (DecodedAudio(samples=drums, sample_rate=decoded.sample_rate)
                         if options.input == INPUT_DRUMS else decoded)
                with timing.stage(timing.TRANSCRIBE):
                    hits = track.run(audio=heard, model_dir=model_dir, parameters=parameters)
                if not hits:
                    raise AudioError("No drum hits were found in this song. Try another track, or a song with drums.")
                with timing.stage(timing.TEMPO_MAP):
                    tempo_map = _settled_tempo_map(tempo_map=tempo_map, follows_drums=follows_drums, hits=hits,
                                                   duration_s=decoded.duration_s, overrides=tempo_overrides)

                report(STAGE_WRITING, ends[STAGE_TRANSCRIBING])
                with timing.stage(timing.ARRANGE):
                    chart = arrange(hits=hits, tempo_map=tempo_map)
                    leveled = leveled_difficulties(chart=chart)
                levels = [level for _, _, level in leveled]
                if master_level is not None:
                    levels = override_levels(levels=levels, master_level=master_level)
                dtx_comment = header_comment(charter=charter, comment=comment, track_name=track.name)
                with timing.stage(timing.WRITE):
                    difficulties = [
                        Difficulty(
                            label=spec.label, file_name=spec.file_name, level=level,
                            dtx_text=write_dtx(
                                chart=reduced,
                                header=DtxHeader(title=title, artist=artist, genre=genre, comment=dtx_comment,
                                                 level=level, preview=PREVIEW_FILE),
                                sounds=chip_sounds(),
                            ),
                            confidences=lane_confidences(notes=reduced.notes),
                        )
                        for (spec, reduced, _), level in zip(leveled, levels)
                    ]
                with timing.stage(timing.PACKAGE):
                    song_chips = (
                        cut_chips(drum_stem=drums, sample_rate=decoded.sample_rate,
                                  hits=[(hit.time_s, hit.lane) for hit in hits])
                        if options.song_chips else {}
                    )
                bgm = pending_bgm.result()
            with timing.stage(timing.PACKAGE):
                write_package(out_path=out_path, title=title, difficulties=difficulties, bgm=bgm,
                              sample_rate=decoded.sample_rate, song_chips=song_chips)
            report(STAGE_WRITING, ends[STAGE_WRITING])
    master = leveled[-1][1]
    errors = master.quantisation_errors_s
    return ConversionResult(
        package_path=out_path,
        bpm=tempo_map.mean_bpm,
        duration_s=decoded.duration_s,
        note_counts=master.counts_by_lane(),
        levels={difficulty.label: difficulty.level for difficulty in difficulties},
        quantisation_error_ms=float(np.mean(np.abs(errors)) * 1000) if errors.size else 0.0,
        warnings=decoded.warnings,
        stage_seconds={name: round(stage_seconds[name], 3) for name in timing.STAGES if name in stage_seconds},
        close_call_shift=tempo_map.close_call_shift,
    )


def master_chart(*, audio: DecodedAudio, model_dir: Path, track_name: str) -> Chart:
    """The MASTER chart of the mix `audio` as `convert` arranges it before any correction by the
    user: the track's hits on the song's tempo map (the benches and tests that score charts)."""
    tempo_map, follows_drums = _tempo_map(audio=audio, model_dir=model_dir)
    hits = get_track(track_name).run(audio=audio, model_dir=model_dir)
    tempo_map = _settled_tempo_map(tempo_map=tempo_map, follows_drums=follows_drums, hits=hits,
                                   duration_s=audio.duration_s, overrides={})
    return arrange(hits=hits, tempo_map=tempo_map)


def _tempo_map(*, audio: DecodedAudio, model_dir: Path) -> tuple[rhythm.TempoMap, bool]:
    """(the song's tempo map, whether it follows the drum tracker). The tracker's network runs
    here for the whole track: its activations are timed as transcription, the rest as the tempo map."""
    with timing.stage(timing.TEMPO_MAP):
        if TRACKS[DRUM_TEMPO_TRACK].is_available(model_dir=model_dir):
            spectrogram, drum_activations = adtof.analyse(audio=audio, model_dir=model_dir)
            return rhythm.drum_tempo_map(drum_activations=drum_activations, spectrogram=spectrogram), True
        # Without the network: librosa's global tempo, refitted to the hits once they are known.
        return rhythm.estimate_global_tempo_map(mono=audio.mono(), sample_rate=audio.sample_rate,
                                                duration_s=audio.duration_s), False


def _settled_tempo_map(*, tempo_map: rhythm.TempoMap, follows_drums: bool, hits: list[Hit], duration_s: float,
                       overrides: dict[str, Any]) -> rhythm.TempoMap:
    """The tempo map a chart is written on: one that does not follow the drum tracker refitted to
    the hits' onsets, then the user's corrections (TEMPO_PARAMETERS) applied."""
    if not follows_drums:
        tempo_map = rhythm.refit_to_onsets(tempo_map=tempo_map, duration_s=duration_s,
                                           onset_times=np.array([hit.time_s for hit in hits]))
    if overrides:
        tempo_map = rhythm.override_tempo_map(tempo_map=tempo_map, duration_s=duration_s, **overrides)
    return tempo_map


def header_comment(*, charter: str, comment: str, track_name: str) -> str:
    """A chart's #COMMENT: who charted it, the user's comment, then the track that transcribed
    it, e.g. "Charted by Kim. Live take (Audio2DTX track adtof)"; with neither charter nor
    comment, just "Audio2DTX track adtof"."""
    credit = f"Charted by {charter.rstrip('.')}." if charter else ""
    said = " ".join(part for part in (credit, comment) if part)
    made_by = f"Audio2DTX track {track_name}"
    return f"{said} ({made_by})" if said else made_by


def override_levels(*, levels: list[int], master_level: int) -> list[int]:
    """`levels` (#DLEVEL as integers, BASIC..MASTER, rising) moved so that MASTER's is
    `master_level`: each lower difficulty keeps its distance below MASTER. Where that would
    sink BASIC under MIN_LEVEL, the distances shrink in proportion so that BASIC lands on
    MIN_LEVEL (for a MASTER of 1.00 to 1.02, a hundredth per difficulty below MASTER, since four
    rising levels need that room). Raises ValueError outside MIN_LEVEL..MAX_LEVEL."""
    if not MIN_LEVEL <= master_level <= MAX_LEVEL:
        raise ValueError(f"level {master_level} is outside {MIN_LEVEL}..{MAX_LEVEL}")
    shift = master_level - levels[-1]
    if levels[0] + shift >= MIN_LEVEL:
        return [level + shift for level in levels]
    floor = min(MIN_LEVEL, master_level - (len(levels) - 1))
    scale = (master_level - floor) / (levels[-1] - levels[0])
    squeezed = [floor + round((level - levels[0]) * scale) for level in levels]
    for i in range(len(squeezed) - 2, -1, -1):  # rounding may join two neighbours: part them
        squeezed[i] = min(squeezed[i], squeezed[i + 1] - 1)
    return squeezed


def default_options(*, model_dir: Path, bgm: str | None = None) -> PackageOptions:
    """What a conversion makes unless told otherwise (the upload form and `convert` both ask):
    the drum-less backing track when Spleeter's model is in `model_dir`, else the original
    mix; chips cut from the song's drums whenever the backing track is drum-less."""
    bgm = bgm or (BGM_DRUMLESS if separation_available(model_dir=model_dir) else BGM_ORIGINAL)
    return PackageOptions(bgm=bgm, song_chips=bgm == BGM_DRUMLESS)


def separation_available(*, model_dir: Path) -> bool:
    """Whether Spleeter's 4-stem model is in the model folder."""
    try:
        separation.check_model_folder(model_dir=model_dir)
    except separation.ModelMissingError:
        return False
    return True


def _separate(
    *, audio: DecodedAudio, model_dir: Path, keep_backing: bool, keep_drums: bool, stereo_drums: bool,
    on_fraction: Callable[[float], None],
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(drum stem or None, backing track or None), each (channels, n) float32, the drum stem
    (1, n) unless `stereo_drums` (only the chip cutter needs it then, in mono). The backing
    track is summed segment by segment, so the bass, vocals and other stems are never held
    whole; a mix nobody asked for is not computed."""
    separation.ensure_model(model_dir=model_dir)
    mixes = ({"drums": ("drums",)} if keep_drums else {}) | ({"backing": separation.BACKING_STEMS} if keep_backing else {})
    separated = separation.Separator(model_dir=model_dir).separate(
        audio=audio.samples, sample_rate=audio.sample_rate, mixes=mixes, on_progress=on_fraction
    )
    drums = separated.get("drums")
    if drums is not None and not stereo_drums:
        drums = drums.mean(axis=0, keepdims=True)
    return drums, separated.get("backing")
