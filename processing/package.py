"""The DTX package: a zip holding one song folder that DTXMania(NX) loads as it is.

    <title>/set.def        the song and its four difficulty files
    <title>/basic.dtx … master.dtx
    <title>/bgm.ogg        the backing track (Ogg Vorbis)
    <title>/preview.ogg    a 20-second clip for the song list
    <title>/chips/XX.wav   one chip sound per lane
    <title>/confidence.json  each note's confidence, which DTX has no field for (DTXMania
                           ignores the file; the site's preview reads it)
"""

from __future__ import annotations

import contextvars
import functools
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath

import numpy as np
import soundfile

from processing import kit, timing
from processing.audio import encode_ogg, encode_ogg_from_pcm16, write_pcm16
from processing.dtx import ChipSounds
from processing.dtx.format import LINE_END, UTF8_BOM, safe_header_value
from processing.dtx.reader import decode_dtx_bytes
from processing.lanes import Lane
from processing.preview import preview_clip

BGM_FILE = "bgm.ogg"
PREVIEW_FILE = "preview.ogg"
# The BGM's samples waiting for its encoder, beside the analysis (encoding_bgm).
SPILLED_BGM_FILE = "bgm.s16le"
CHIPS_FOLDER = "chips"
SET_DEF_FILE = "set.def"
CONFIDENCE_FILE = "confidence.json"  # {difficulty label: {chip lane: [confidence, ...] in tick order}}
MAX_FOLDER_NAME = 60
FALLBACK_FOLDER_NAME = "song"


@dataclass(frozen=True)
class Difficulty:
    """One chart of the package: its set.def label, file name, #DLEVEL and .dtx text, and its
    notes' confidences by chip lane in tick order (`chart_view.lane_confidences`)."""

    label: str
    file_name: str
    level: int
    dtx_text: str
    confidences: dict[str, list[float]] = field(default_factory=dict)


def chip_sounds() -> ChipSounds:
    """The sound file names every chart of a package refers to."""
    return ChipSounds(bgm=BGM_FILE, lanes={lane: f"{CHIPS_FOLDER}/{lane.value}.wav" for lane in Lane})


def folder_name(title: str) -> str:
    """A file-system-safe folder name for the song: letters, digits, spaces and -_()[]."""
    normalised = unicodedata.normalize("NFC", title)
    cleaned = re.sub(r"[^\w\s\-()\[\]]", "_", normalised).strip(" ._")
    return cleaned[:MAX_FOLDER_NAME].strip() or FALLBACK_FOLDER_NAME


def set_def_text(*, title: str, difficulties: list[Difficulty]) -> str:
    lines = [f"#TITLE: {safe_header_value(title)}"]
    for level, difficulty in enumerate(difficulties, start=1):
        lines.append(f"#L{level}LABEL: {difficulty.label}")
        lines.append(f"#L{level}FILE: {difficulty.file_name}")
    return UTF8_BOM + LINE_END.join(lines) + LINE_END


def _wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, sample_rate, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


@lru_cache(maxsize=None)
def _kit_wav_bytes(lane: Lane) -> bytes:
    return _wav_bytes(kit.chip_sound(lane=lane), kit.SAMPLE_RATE)


@dataclass(frozen=True)
class EncodedBgm:
    """The package's BGM and preview clip, already encoded as Ogg Vorbis files."""

    bgm: Path
    preview: Path


@contextmanager
def encoding_bgm(*, samples: np.ndarray, sample_rate: int, folder: Path) -> Iterator[Future[EncodedBgm]]:
    """Encode (channels, n) float32 `samples` as the BGM, and their liveliest stretch as the
    preview clip, into `folder`, in a thread beside the block: the encoders are FFmpeg
    processes, so they use the second core while the analysis keeps the first (about 2.5 s back
    on a 4-minute song).

    The samples are first written to a 16-bit PCM file in `folder` (0.1 s for 4 minutes) and
    encoded from there, so that the encoder never holds them: the caller may drop them when
    the block starts (the drum-less backing track, 210 MB for a 10-minute song, would
    otherwise sit beside the analysis and raise the job's peak).

    Yields the future of the EncodedBgm. Leaving the block waits for the encoders in any case
    (also when the block raises), so that nothing writes into `folder` after the caller
    removed it; an encoder's error is raised by the future's result().
    """
    with timing.stage(timing.ENCODE_BGM):
        pcm_path = folder / SPILLED_BGM_FILE
        write_pcm16(samples=samples, path=pcm_path)
    with timing.stage(timing.PREVIEW):
        clip = preview_clip(samples=samples, sample_rate=sample_rate)
    encode = functools.partial(_encode_bgm, pcm_path=pcm_path, channels=samples.shape[0], clip=clip,
                               sample_rate=sample_rate, folder=folder)
    del samples  # this frame lives as long as the block: it must not keep them
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bgm-encoder") as executor:
        # The thread's stage times go to the job's recording: it runs in a copy of this context.
        yield executor.submit(contextvars.copy_context().run, encode)


def _encode_bgm(*, pcm_path: Path, channels: int, clip: np.ndarray, sample_rate: int, folder: Path) -> EncodedBgm:
    bgm, preview = folder / BGM_FILE, folder / PREVIEW_FILE
    with timing.stage(timing.ENCODE_BGM):
        encode_ogg_from_pcm16(pcm_path=pcm_path, channels=channels, sample_rate=sample_rate, path=bgm)
        pcm_path.unlink()
    with timing.stage(timing.PREVIEW):
        encode_ogg(samples=clip, sample_rate=sample_rate, path=preview)
    return EncodedBgm(bgm=bgm, preview=preview)


def write_package(
    *, out_path: Path, title: str, difficulties: list[Difficulty], bgm: EncodedBgm, sample_rate: int,
    song_chips: dict[Lane, np.ndarray] | None = None,
) -> Path:
    """Write the package zip to `out_path`.

    song_chips: (n,) float32 chip sounds cut from the song at `sample_rate`, by lane; other
    lanes get the synthesised kit's.
    """
    song_chips = song_chips or {}
    folder = folder_name(title)
    partial = out_path.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}/{SET_DEF_FILE}", set_def_text(title=title, difficulties=difficulties).encode())
        for difficulty in difficulties:
            archive.writestr(f"{folder}/{difficulty.file_name}", difficulty.dtx_text.encode())
        confidences = {difficulty.label: difficulty.confidences for difficulty in difficulties}
        archive.writestr(f"{folder}/{CONFIDENCE_FILE}", json.dumps(confidences, separators=(",", ":")))
        archive.write(bgm.bgm, f"{folder}/{BGM_FILE}", compress_type=zipfile.ZIP_STORED)
        archive.write(bgm.preview, f"{folder}/{PREVIEW_FILE}", compress_type=zipfile.ZIP_STORED)
        for lane, file_name in chip_sounds().lanes.items():
            chip = _wav_bytes(song_chips[lane], sample_rate) if lane in song_chips else _kit_wav_bytes(lane)
            archive.writestr(f"{folder}/{file_name}", chip)
    partial.replace(out_path)  # a half-written zip never carries the final name
    return out_path


def set_def_entries(text: str) -> dict[str, str]:
    """set.def's `#KEY: value` lines as {KEY: value} (keys upper-case, ';' comments dropped)."""
    entries = {}
    for line in text.splitlines():
        line = line.split(";", 1)[0].strip()
        if line.startswith("#") and ":" in line:
            key, value = line[1:].split(":", 1)
            entries[key.strip().upper()] = value.strip()
    return entries


def package_folder(archive: zipfile.ZipFile) -> str:
    """The song folder at the top of a package."""
    return PurePosixPath(archive.namelist()[0]).parts[0]


def package_chart_files(archive: zipfile.ZipFile) -> dict[str, str]:
    """{difficulty label: member name of its .dtx} as set.def lists them."""
    folder = package_folder(archive)
    entries = set_def_entries(decode_dtx_bytes(archive.read(f"{folder}/{SET_DEF_FILE}")))
    return {
        entries[f"L{level}LABEL"]: f"{folder}/{entries[f'L{level}FILE']}"
        for level in range(1, 6)
        if f"L{level}LABEL" in entries and f"L{level}FILE" in entries
    }


def package_confidences(archive: zipfile.ZipFile) -> dict[str, dict[str, list[float]]]:
    """{difficulty label: {chip lane: confidences in tick order}} from the package's
    CONFIDENCE_FILE; empty for a package made before notes carried a confidence."""
    try:
        return json.loads(archive.read(f"{package_folder(archive)}/{CONFIDENCE_FILE}"))
    except KeyError:
        return {}
