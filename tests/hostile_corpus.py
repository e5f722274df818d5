"""A corpus of malformed and hostile uploads, built by script, for the upload view and `convert`.

Every file is generated here (numpy, the standard library and the ffmpeg/ffprobe programs; no
downloads) so that tests can push each one through the upload form and through the `convert`
command and check what happens to it:

    REFUSED              the upload form refuses it with a message (not audio, no audio stream,
                         empty, too short, too long -- whether the header is honest or lies --,
                         playlists and other files that name other files or URLs, ...)
    CONVERTED            a valid short song that must convert despite odd rates, many channels,
                         huge tags, a wrong extension or a hostile file name
    FAILED               accepted, then failed by the worker with a message (digital silence)
    CONVERTED_OR_FAILED  genuinely ambiguous: either converts what decodes or fails with a message

The product limits it is built around: uploads up to 200 MB, lasting 5 s to 15 minutes. The
upload check runs ffprobe on the first audio stream, then measures the real length by decoding
with FFmpeg capped at the limit (demuxers restricted to audio formats, protocols to file/pipe).
Files that only that measurement can catch say so in `what`.

Songs meant to convert last about 10 s so conversions in tests stay quick; the long ones are 8 kHz
mono at the lowest bitrates, built from a 10 s piece encoded once and joined with FFmpeg's concat
demuxer (stream copy), so twenty minutes costs about 1 MB and no long encode.

    python -m tests.hostile_corpus OUT_DIR   builds into OUT_DIR and prints what ffprobe says of each
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import wave
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REFUSED = "REFUSED"
CONVERTED = "CONVERTED"
FAILED = "FAILED"
CONVERTED_OR_FAILED = "CONVERTED_OR_FAILED"
EXPECTATIONS = (REFUSED, CONVERTED, FAILED, CONVERTED_OR_FAILED)

# The product's limits (settings A2D_MIN_DURATION_S, A2D_MAX_DURATION_S, A2D_MAX_UPLOAD_BYTES).
MIN_DURATION_S = 5.0
MAX_DURATION_S = 15 * 60.0
MAX_UPLOAD_BYTES = 200 * 1024 * 1024

SONG_S = 10.0  # every song meant to convert: long enough to pass the 5 s minimum, short to convert
SONG_RATE = 44_100
TRUNCATED_SOURCE_S = 16.0  # cut in half it still lasts 8 s, clear of the 5 s minimum
SHORT_S = 1.0  # too short
HIRES_RATE = 384_000
HIRES_S = 8.0  # 384 kHz stereo 16-bit WAV: 1.5 MB a second, so kept short
LOW_RATE = 8_000  # the long files: 8 kHz mono at the lowest bitrates
PIECE_S = 10.0  # the long files are this piece, encoded once, joined end to end
LIE_CLAIM_S = 60.0  # what the lying headers claim
LIE_REAL_S = 20 * 60.0  # what the lying files really hold: past the limit by far
JUST_OVER_S = MAX_DURATION_S + 60.0  # an honest file a minute past the limit
HONEST_LONG_S = 2 * 3600.0  # an honest two-hour file
HUGE_TAG_BYTES = 1024 * 1024  # the ~1 MB lyrics and cover images
MANY_COMMENTS = 5000
HEADER_ONLY_BYTES = 100
SEED = 20240601  # everything random is seeded: the corpus is the same byte for byte each build

FFMPEG_TIMEOUT_S = 120
PROBE_TIMEOUT_S = 30
# Titles and artists a tag may carry: HTML and script (escaping in templates), terminal escapes
# and line breaks (logs), a right-to-left override (display spoofing), SQL. NUL is left out: FFmpeg
# keeps tags as C strings, so a NUL never reaches ffprobe's output.
HOSTILE_TITLE = "<script>alert('title')</script><img src=x onerror=alert(1)>\x1b[31mRED\x1b[0m\r\nLine two\x07\x08\t\x01"
HOSTILE_ARTIST = "'; DROP TABLE charts_song; -- \u202egnp.exe\u202c {{ 7*7 }} ${7*7} %s%n"


@dataclass(frozen=True)
class HostileFile:
    name: str  # the file name as the user's browser sends it (may contain '/', '\\', '..', control
    # characters, unicode); NOT a disk path
    path: Path  # where the bytes are on disk (a safe name inside the corpus folder)
    what: str  # one line: what is hostile about it
    expect: str  # REFUSED, CONVERTED, FAILED or CONVERTED_OR_FAILED


def build_corpus(directory: Path) -> list[HostileFile]:
    """Write every file into `directory` (created if missing) and describe it."""
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hostile-work-") as work:
        corpus = _Corpus(directory=directory, work=Path(work))
        for section in (
            _reference_songs, _lying_durations, _honest_durations, _empty_and_truncated,
            _wrong_extensions, _not_audio, _playlists, _channels_and_rates, _silence_and_noise,
            _huge_tags, _hostile_names, _odd_containers_and_headers,
        ):
            section(corpus)
    return corpus.files


# --- the corpus being built -------------------------------------------------------------------


class _Corpus:
    """The files written so far, and the intermediate songs later sections reuse."""

    def __init__(self, *, directory: Path, work: Path):
        self.directory = directory
        self.work = work  # intermediates (the 20-minute pieces, the source WAVs): not in the corpus
        self.files: list[HostileFile] = []
        self.songs: dict[str, Path] = {}  # format -> a valid 10 s song in the work folder

    def disk_path(self, slug: str, suffix: str) -> Path:
        """A safe, unique disk name; its extension is the one the user's name carries, as Django's
        temporary upload files keep it (and FFmpeg's probing looks at it)."""
        return self.directory / f"{len(self.files) + 1:03d}-{slug}{suffix}"

    def add(self, *, name: str, path: Path, what: str, expect: str) -> Path:
        assert expect in EXPECTATIONS, expect
        assert path.parent == self.directory and path.exists(), path
        self.files.append(HostileFile(name=name, path=path, what=what, expect=expect))
        return path

    def write(self, *, name: str, slug: str, data: bytes, what: str, expect: str, suffix: str | None = None) -> Path:
        path = self.disk_path(slug, _suffix(name) if suffix is None else suffix)
        path.write_bytes(data)
        return self.add(name=name, path=path, what=what, expect=expect)

    def copy(self, *, name: str, slug: str, source: Path, what: str, expect: str, suffix: str | None = None) -> Path:
        return self.write(name=name, slug=slug, data=source.read_bytes(), what=what, expect=expect, suffix=suffix)


def _suffix(name: str) -> str:
    """The extension of a user's file name when it is a plain one ('.mp3'), else none."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem.strip(".") and ext.isascii() and ext.isalnum() and len(ext) <= 5:
        return "." + ext
    return ""


# --- sound ------------------------------------------------------------------------------------


def _drum_parts(seconds: float, rate: int, *, seed: int = SEED, bpm: float = 120.0) -> dict[str, np.ndarray]:
    """A simple rock beat, part by part: kick, snare, hi-hat (eighths) and a bass tone, float32 (n,)."""
    n = int(round(seconds * rate))
    rng = np.random.default_rng(seed)
    parts = {name: np.zeros(n, dtype=np.float32) for name in ("kick", "snare", "hat")}
    eighth = 60.0 / bpm / 2

    def burst(length_s: float) -> np.ndarray:
        return np.arange(int(length_s * rate)) / rate

    kick_t, snare_t, hat_t = burst(0.18), burst(0.14), burst(0.05)
    kick = np.sin(2 * np.pi * (50 * kick_t + 100 / 20 * (1 - np.exp(-20 * kick_t)))) * np.exp(-18 * kick_t)
    for step in range(int(seconds / eighth)):
        start = int(step * eighth * rate)
        hits = [("hat", np.diff(rng.standard_normal(hat_t.size + 1)) * 0.25 * np.exp(-90 * hat_t))]
        if step % 8 in (0, 3, 4):
            hits.append(("kick", 0.9 * kick))
        if step % 8 in (2, 6):
            noise = rng.standard_normal(snare_t.size) * 0.5 + np.sin(2 * np.pi * 190 * snare_t) * 0.4
            hits.append(("snare", noise * np.exp(-25 * snare_t)))
        for part, sound in hits:
            room = min(sound.size, n - start)
            if room > 0:
                parts[part][start : start + room] += sound[:room]
    t = np.arange(n) / rate
    parts["bass"] = (0.2 * np.sin(2 * np.pi * 55 * t) + 0.06 * np.sin(2 * np.pi * 110 * t)).astype(np.float32)
    return parts


def _groove(seconds: float, rate: int, channels: int = 2, *, seed: int = SEED) -> np.ndarray:
    """(channels, n) float32 in [-1, 1]. With more than two channels each carries a different part,
    as a surround mix would, so that no downmix can cancel the drums out."""
    parts = _drum_parts(seconds, rate, seed=seed)
    full = parts["kick"] + parts["snare"] + parts["hat"] + parts["bass"]
    if channels <= 2:
        out = np.stack([full] * channels)
    else:
        # L, R, C, LFE, then surrounds: L/R carry the whole mix, the rest a part each.
        extra = [parts["kick"] + parts["snare"], parts["bass"], parts["hat"], parts["snare"], parts["hat"], parts["kick"]]
        out = np.stack([full, full, *extra[: channels - 2]])
    return (out / max(1.0, float(np.abs(out).max()) / 0.9)).astype(np.float32)


def _pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples.T, -1, 1) * 32767).astype("<i2").tobytes()


def _wav_bytes(samples: np.ndarray, rate: int, *, sample_width: int = 2) -> bytes:
    """A plain PCM WAV (16-bit signed or 8-bit unsigned) written by the standard library."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(samples.shape[0])
        out.setsampwidth(sample_width)
        out.setframerate(rate)
        if sample_width == 1:
            out.writeframes((np.clip(samples.T, -1, 1) * 127 + 128).astype(np.uint8).tobytes())
        else:
            out.writeframes(_pcm16(samples))
    return buffer.getvalue()


def _wav_header(*, channels: int, rate: int, bits: int, data_size: int, riff_size: int | None = None,
                format_tag: int = 1, block_align: int | None = None) -> bytes:
    """A 44-byte canonical WAV header with every field under the caller's control."""
    block_align = (channels * bits // 8) & 0xFFFF if block_align is None else block_align
    fmt = struct.pack("<HHIIHH", format_tag, channels, rate, (rate * block_align) & 0xFFFFFFFF, block_align, bits)
    riff_size = 36 + data_size if riff_size is None else riff_size
    return b"RIFF" + struct.pack("<I", riff_size & 0xFFFFFFFF) + b"WAVEfmt " + struct.pack("<I", 16) + fmt \
        + b"data" + struct.pack("<I", data_size & 0xFFFFFFFF)


# --- ffmpeg -----------------------------------------------------------------------------------


def _ffmpeg(*args: str | Path, stdin: bytes | None = None) -> None:
    """Run FFmpeg; the last argument is the output. Bit-exact muxing: no random Ogg serial numbers
    or Matroska segment UIDs, so the corpus is the same byte for byte on every build."""
    *options, output = map(str, args)
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", *options, "-fflags", "+bitexact", output]
    result = subprocess.run(command, input=stdin, capture_output=True, timeout=FFMPEG_TIMEOUT_S, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)[:300]} failed: {result.stderr.decode(errors='replace')[-800:]}")


def _encode(samples: np.ndarray, rate: int, out: Path, *codec: str, layout: str | None = None) -> Path:
    """Encode (channels, n) float samples with FFmpeg, fed as raw 16-bit PCM on stdin."""
    source = ["-f", "s16le", "-ar", str(rate), "-ac", str(samples.shape[0])]
    if layout:
        source += ["-ch_layout", layout]
    _ffmpeg(*source, "-i", "pipe:0", *codec, out, stdin=_pcm16(samples))
    return out


def _concat(piece: Path, count: int, out: Path, *options: str) -> Path:
    """`count` copies of `piece` end to end, through the concat demuxer with stream copy: the
    timestamps run on, the muxer writes honest headers, and nothing is encoded again."""
    listing = out.with_name(out.name + ".ffconcat")
    listing.write_text("ffconcat version 1.0\n" + f"file '{piece.resolve()}'\n" * count)
    _ffmpeg("-f", "concat", "-safe", "0", "-i", listing, "-c", "copy", *options, out)
    listing.unlink()
    return out


# --- the sections ------------------------------------------------------------------------------


def _reference_songs(c: _Corpus) -> None:
    """The 10 s groove in the common formats: reused below for extensions, names and tags."""
    groove = _groove(SONG_S, SONG_RATE)
    wav = c.work / "song.wav"
    wav.write_bytes(_wav_bytes(groove, SONG_RATE))
    mono = c.work / "song-22k-mono.wav"  # the WAV that hostile names carry: a quarter of the size
    mono.write_bytes(_wav_bytes(_groove(SONG_S, 22_050, 1), 22_050))
    c.songs["wav"] = mono
    encodings = {
        "mp3": ("-c:a", "libmp3lame", "-b:a", "128k", "-id3v2_version", "0"),
        "flac": ("-c:a", "flac", "-compression_level", "0"),
        "ogg": ("-c:a", "libvorbis", "-q:a", "2"),
        "opus": ("-c:a", "libopus", "-b:a", "64k"),
        "m4a": ("-c:a", "aac", "-b:a", "96k", "-aac_coder", "fast"),
    }
    for ext, codec in encodings.items():
        c.songs[ext] = out = c.work / f"song.{ext}"
        _ffmpeg("-i", wav, *codec, out)
    c.copy(name="drum groove.mp3", slug="reference", source=c.songs["mp3"], expect=CONVERTED,
           what="control: a plain 10 s 128 kbit/s MP3 groove; everything else is measured against it")


def _lying_durations(c: _Corpus) -> None:
    """Headers that claim 60 s while 20 minutes of audio follow, and one the other way round."""
    piece = _groove(PIECE_S, LOW_RATE, 1, seed=SEED + 1)
    # 60 ms Opus frames: fewer packets, so less container overhead at these tiny bitrates.
    opus = ("-c:a", "libopus", "-application", "voip", "-frame_duration", "60", "-compression_level", "0")
    pieces = {
        "opus": (*opus, "-b:a", "4k"),
        "2k.opus": (*opus, "-b:a", "2k"),  # the two-hour file: about 0.7 kbit/s in the end
        # Vorbis straight from Ogg trips the concat demuxer's timestamps; from Matroska it joins cleanly.
        "vorbis.mka": ("-c:a", "libvorbis", "-b:a", "8k"),
        "aac": ("-c:a", "aac", "-b:a", "8k", "-aac_coder", "fast"),
        "mp3": ("-c:a", "libmp3lame", "-b:a", "8k", "-write_xing", "0", "-id3v2_version", "0"),
    }
    made = {key: _encode(piece, LOW_RATE, c.work / f"piece.{key}", *codec) for key, codec in pieces.items()}
    count = round(LIE_REAL_S / PIECE_S)
    long_webm = _concat(made["opus"], count, c.work / "long.webm")
    long_mka = _concat(made["vorbis.mka"], count, c.work / "long.mka")
    long_ogg = _concat(made["opus"], count, c.work / "long.opus")
    long_mp3 = _concat(made["mp3"], count, c.work / "long.mp3")  # with an honest Info header
    long_m4a = _concat(made["aac"], count, c.work / "long.m4a")
    long_m4a_noedit = _concat(made["aac"], count, c.work / "long-noedit.m4a", "-use_editlist", "0")
    long_m4a_fast = _concat(made["aac"], count, c.work / "long-fast.m4a", "-movflags", "+faststart")
    c.songs["long.mp3"], c.songs["long-2k.opus"] = long_mp3, _concat(made["2k.opus"], count, c.work / "long-2k.opus")
    lie = f"claims {LIE_CLAIM_S:.0f} s but holds {LIE_REAL_S / 60:.0f} min"

    def patched(slug: str, name: str, source: Path, patch, what: str) -> None:
        path = c.copy(name=name, slug=slug, source=source, what=what if what.startswith("holds") else f"{lie}: {what}",
                      expect=REFUSED)
        patch(path)

    patched("lie-webm-opus", "live set.webm", long_webm, lambda p: _patch_matroska_duration(p, LIE_CLAIM_S),
            "WebM/Opus, Segment Info Duration (0x4489) and the DURATION tag patched")
    patched("lie-mka-vorbis", "live set.mka", long_mka, lambda p: _patch_matroska_duration(p, LIE_CLAIM_S),
            "Matroska/Vorbis, Segment Info Duration (0x4489) and the DURATION tag patched")
    patched("lie-mka-no-duration", "live set (no duration).mkv", long_mka, _drop_matroska_duration,
            f"holds {LIE_REAL_S / 60:.0f} min of Matroska/Vorbis and states no length: "
            "Duration voided, DURATION tag renamed")
    patched("lie-mp3-info", "live set.mp3", long_mp3, lambda p: _patch_xing_frames(p, LIE_CLAIM_S),
            "CBR MP3 whose Info (Xing) frame count is that of 60 s; its byte count stays true "
            "(FFmpeg distrusts the frames when it is far from the file size)")
    patched("lie-mp3-bitrate", "live set 2.mp3", _bitrate_lie_mp3(c), lambda p: None,
            "MP3 with no Xing header: 5 s at 160 kbit/s then 8 kbit/s frames, "
            "so the estimate from the first frames' bitrate is ~65 s")
    patched("lie-m4a-editlist", "live set.m4a", long_m4a, lambda p: _patch_mp4_durations(p, LIE_CLAIM_S),
            "MP4/AAC, mvhd, tkhd and mdhd durations patched; the edit list and the sample table keep the real length")
    patched("lie-m4a-no-editlist", "live set 2.m4a", long_m4a_noedit, lambda p: _patch_mp4_durations(p, LIE_CLAIM_S),
            "MP4/AAC without an edit list, mvhd, tkhd and mdhd durations patched; the sample table keeps the real length")
    patched("lie-m4a-faststart", "live set 3.m4a", long_m4a_fast, lambda p: _patch_mp4_durations(p, LIE_CLAIM_S),
            "MP4/AAC with moov first (faststart), mvhd, tkhd and mdhd durations patched")
    patched("lie-ogg-opus", "live set.opus", long_ogg, lambda p: _patch_ogg_last_granule(p, LIE_CLAIM_S, 48_000),
            "Ogg Opus whose last page's granule position (and CRC) says 60 s: ffprobe takes the length from it")

    # The other way round: a 10 s song whose header claims 20 minutes. The decode measures 10 s, so
    # it may convert; but a check that refuses on ffprobe's stated length before measuring refuses it.
    other_way = "claims 20 min, holds 10 s: "
    for slug, name, source, patch, what in (
        ("lie-long-webm", "short set.webm", "opus-webm", lambda p: _patch_matroska_duration(p, LIE_REAL_S),
         "WebM/Opus, Duration and DURATION tag patched; ffprobe says 1200 s"),
        ("lie-long-mp3", "short set.mp3", "mp3-xing", lambda p: _patch_xing_frames(p, LIE_REAL_S),
         "VBR MP3, Xing frame count patched; ffprobe says 1200 s"),
        ("lie-long-m4a", "short set.m4a", "m4a", lambda p: _patch_mp4_durations(p, LIE_REAL_S),
         "M4A, mvhd/tkhd/mdhd patched; ffprobe's format says 1200 s, its stream (from the sample table) 10 s"),
    ):
        path = c.copy(name=name, slug=slug, source=_song_in(c, source), what=other_way + what,
                      expect=CONVERTED_OR_FAILED)
        patch(path)


def _song_in(c: _Corpus, kind: str) -> Path:
    """The 10 s song in a container the reference set lacks."""
    if kind not in c.songs:
        out = c.work / {"opus-webm": "song.webm", "mp3-xing": "song-xing.mp3"}.get(kind, f"song.{kind}")
        if kind == "opus-webm":
            _ffmpeg("-i", c.songs["opus"], "-c", "copy", out)
        elif kind == "mp3-xing":  # the reference MP3 has an Info header already; this one is VBR (Xing)
            _ffmpeg("-i", c.work / "song.wav", "-c:a", "libmp3lame", "-q:a", "4", out)
        c.songs[kind] = out
    return c.songs[kind]


def _bitrate_lie_mp3(c: _Corpus) -> Path:
    """An MP3 without any length header whose first frames are 20 times the bitrate of the rest.

    FFmpeg estimates a header-less MP3's length from the bitrate of the frames it probes, so
    5 s of 160 kbit/s followed by 20 minutes at 8 kbit/s (MPEG-2, 16 kHz, same stream) reads ~65 s.
    """
    rate = 16_000
    piece = _groove(PIECE_S, rate, 1, seed=SEED + 2)
    plain = ("-c:a", "libmp3lame", "-write_xing", "0", "-id3v2_version", "0")
    loud = _encode(piece[:, : 5 * rate], rate, c.work / "loud.mp3", *plain, "-b:a", "160k")
    quiet = _encode(piece, rate, c.work / "quiet.mp3", *plain, "-b:a", "8k")
    body = _concat(quiet, round(LIE_REAL_S / PIECE_S), c.work / "quiet-long.mp3", "-write_xing", "0",
                   "-id3v2_version", "0")
    out = c.work / "bitrate-lie.mp3"
    out.write_bytes(loud.read_bytes() + body.read_bytes())  # MP3 frames join by plain concatenation
    return out


def _honest_durations(c: _Corpus) -> None:
    """Honest headers, wrong lengths: far too long, just too long, too short."""
    two_hours = _concat(c.songs["long-2k.opus"], round(HONEST_LONG_S / LIE_REAL_S), c.work / "two-hours.opus")
    c.copy(name="full concert.opus", slug="honest-2h-opus", source=two_hours, expect=REFUSED,
           what="honest 2-hour 8 kHz mono Ogg Opus at ~1 kbit/s, true granule positions: too long")
    c.copy(name="extended mix.mp3", slug="honest-16min-mp3", expect=REFUSED,
           source=_concat(c.work / "piece.mp3", round(JUST_OVER_S / PIECE_S), c.work / "just-over.mp3"),
           what=f"honest {JUST_OVER_S / 60:.0f}-minute 8 kbit/s MP3 with a true Info header: a minute past the limit")
    groove = _groove(SHORT_S, SONG_RATE)
    c.write(name="one second.wav", slug="short-1s-wav", data=_wav_bytes(groove, SONG_RATE), expect=REFUSED,
            what="1 s WAV: too short")
    _encode(groove, SONG_RATE, path := c.disk_path("short-1s-mp3", ".mp3"), "-c:a", "libmp3lame", "-b:a", "128k")
    c.add(name="one second.mp3", path=path, expect=REFUSED, what="1 s MP3: too short")
    almost = _groove(MIN_DURATION_S - 0.5, SONG_RATE)
    _encode(almost, SONG_RATE, path := c.disk_path("short-4.5s-flac", ".flac"), "-c:a", "flac")
    c.add(name="almost.flac", path=path, expect=REFUSED, what="4.5 s FLAC: half a second under the minimum")
    mp3 = c.songs["mp3"].read_bytes()
    info_frame = _mp3_frame_span(mp3, frames=1)  # the first frame is the Info header: no audio
    frame = _mp3_frame_span(mp3, frames=2)[1]
    c.write(name="one frame.mp3", slug="short-one-frame", data=mp3[info_frame[1] : frame], expect=REFUSED,
            what="a single MP3 audio frame (26 ms)")


def _empty_and_truncated(c: _Corpus) -> None:
    for ext in ("mp3", "wav", "flac", "ogg", "m4a"):
        note = " (ffprobe succeeds on it: a flac stream of 0 Hz, 0 channels, no duration)" if ext == "flac" else ""
        c.write(name=f"empty.{ext}", slug=f"empty-{ext}", data=b"", expect=REFUSED, what=f"zero bytes named .{ext}{note}")
    fast_m4a = c.work / "song-fast.m4a"
    _ffmpeg("-i", c.songs["m4a"], "-c", "copy", "-movflags", "+faststart", fast_m4a)
    heads = {"wav": c.songs["wav"], "flac": c.songs["flac"], "mp3": _song_in(c, "mp3-xing"), "ogg": c.songs["ogg"],
             "m4a": c.songs["m4a"]}
    for ext, song in heads.items():
        c.write(name=f"header only.{ext}", slug=f"head-{ext}", data=song.read_bytes()[:HEADER_ONLY_BYTES],
                expect=REFUSED, what=f"the first {HEADER_ONLY_BYTES} bytes of a 10 s .{ext}: a header, at most 1 ms of audio")
    c.write(name="header only 2.m4a", slug="head-m4a-faststart", data=fast_m4a.read_bytes()[:4096], expect=REFUSED,
            what="the first 4 KB of a faststart M4A: the whole moov, so ffprobe says 10 s; only a decode finds ~0.1 s")
    c.write(name="header only 2.wav", slug="head-wav-44", data=c.songs["wav"].read_bytes()[:44], expect=REFUSED,
            what="a bare 44-byte WAV header whose data size says 10 s")

    # Cut in half: the container still states 16 s, 8 s decode. Either the worker converts what
    # decodes (with a warning) or it fails with a message; both are fine.
    source = c.work / "sixteen.wav"
    source.write_bytes(_wav_bytes(_groove(TRUNCATED_SOURCE_S, SONG_RATE), SONG_RATE))
    small = c.work / "sixteen-22k-mono.wav"  # the WAV cut in half: 22.05 kHz mono keeps it small
    small.write_bytes(_wav_bytes(_groove(TRUNCATED_SOURCE_S, 22_050, 1), 22_050))
    for ext, codec in (
        ("mp3", ("-c:a", "libmp3lame", "-b:a", "128k")), ("flac", ("-c:a", "flac")),
        ("ogg", ("-c:a", "libvorbis", "-q:a", "2")),
        ("m4a", ("-c:a", "aac", "-aac_coder", "fast", "-movflags", "+faststart")),  # moov first: it survives the cut
        ("wav", ()),
    ):
        full = c.work / f"sixteen-full.{ext}"
        if ext == "wav":
            shutil.copy(small, full)
        else:
            _ffmpeg("-i", source, *codec, full)
        data = full.read_bytes()
        c.write(name=f"cut short.{ext}", slug=f"half-{ext}", data=data[: len(data) // 2], expect=CONVERTED_OR_FAILED,
                what=f"a {TRUNCATED_SOURCE_S:.0f} s .{ext} cut to half its bytes, ~8 s decode; " + _TRUNCATED_NOTES[ext])


_TRUNCATED_NOTES = {  # what ffprobe makes of each truncated file
    "mp3": "ffprobe still says 16 s (Info header)",
    "flac": "ffprobe still says 16 s (STREAMINFO)",
    "ogg": "ffprobe finds the last page left: ~7 s",
    "m4a": "ffprobe still says 16 s (moov)",
    "wav": "ffprobe measures the data left: 8 s",
}


def _wrong_extensions(c: _Corpus) -> None:
    for source, name in (("mp3", "really an mp3.wav"), ("flac", "really a flac.mp3"), ("ogg", "really an ogg.m4a"),
                         ("wav", "really a wav.ogg"), ("m4a", "really an m4a.mp3"), ("opus", "really an opus.flac")):
        c.copy(name=name, slug=f"ext-{source}-as{_suffix(name).replace('.', '-')}", source=c.songs[source],
               expect=CONVERTED, what=f"a valid {source} song with the wrong extension: judged by content")
    c.copy(name="no extension", slug="ext-none", source=c.songs["mp3"], expect=CONVERTED, suffix="",
           what="a valid MP3 with no extension at all")
    c.write(name="lyrics.mp3", slug="ext-text-as-mp3", data=_LOREM.encode(), expect=REFUSED,
            what="plain text named .mp3")
    c.write(name="cover.flac", slug="ext-png-as-flac", data=_png_noise(64, 64), expect=REFUSED,
            what="a PNG image named .flac")


_LOREM = "Verse 1\nWe will, we will rock you\n" * 40


def _not_audio(c: _Corpus) -> None:
    rng = np.random.default_rng(SEED + 3)
    c.write(name="notes.txt", slug="text", data=_LOREM.encode(), expect=REFUSED,
            what="plain text (by the .txt extension ffprobe's tty demuxer reads it as an ANSI-art video)")
    c.write(name="page.html", slug="html", expect=REFUSED, what="an HTML page with a script",
            data=b"<!doctype html><html><head><title>x</title></head><body><script>alert(1)</script>"
                 b"<audio src='song.mp3'></audio></body></html>\n")
    c.write(name="data.json", slug="json", data=json.dumps({"title": "song", "audio": [0.1] * 500}).encode(),
            expect=REFUSED, what="a JSON document")
    c.write(name="image.svg", slug="svg", expect=REFUSED, what="an SVG image with a script",
            data=b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="5"/></svg>\n')
    c.write(name="photo.png", slug="png", data=_png_noise(256, 256), expect=REFUSED, what="a PNG image (noise)")
    for ext, what in (("jpg", "a JPEG image (testsrc)"), ("gif", "a GIF image (testsrc)")):
        path = c.disk_path(f"image-{ext}", f".{ext}")
        _ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=1", "-frames:v", "1", path)
        c.add(name=f"photo.{ext}", path=path, expect=REFUSED, what=what)
    for ext, codec in (("mp4", ("-c:v", "mpeg4", "-q:v", "10")),
                       ("webm", ("-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "50k"))):
        path = c.disk_path(f"video-no-audio-{ext}", f".{ext}")
        _ffmpeg("-f", "lavfi", "-i", "testsrc=size=128x96:rate=10", "-t", "2", *codec, path)
        c.add(name=f"clip.{ext}", path=path, expect=REFUSED, what=f"a 2 s {ext.upper()} video with no audio stream")
    deflated = _zip_bytes({"song.mp3": c.songs["mp3"].read_bytes()}, compression=zipfile.ZIP_DEFLATED)
    c.write(name="album.zip", slug="zip", data=deflated, expect=REFUSED, what="a ZIP holding a deflated MP3")
    c.write(name="album.mp3", slug="zip-as-mp3", data=deflated, expect=REFUSED,
            what="a ZIP holding a deflated MP3, named .mp3")
    c.write(name="album2.zip", slug="zip-stored", data=_zip_bytes({"song.mp3": c.songs["mp3"].read_bytes()}),
            expect=CONVERTED, what="a ZIP that stores an MP3 uncompressed: the mp3 demuxer finds its frames "
                                   "and plays them, so it is audio (a polyglot)")
    c.write(name="song.wav", slug="gzip-wav", data=_gzip(c.songs["wav"].read_bytes()), expect=REFUSED,
            what="a gzip-compressed WAV named .wav")
    c.write(name="noise.mp3", slug="random", data=rng.integers(0, 256, 64 * 1024, dtype=np.uint8).tobytes(),
            expect=REFUSED, what="64 KB of random bytes named .mp3")
    c.write(name="program.wav", slug="elf", expect=REFUSED, what="an ELF executable header named .wav",
            data=b"\x7fELF\x02\x01\x01\x00" + bytes(8) + struct.pack("<HHI", 2, 0x3E, 1) + rng.bytes(4000))
    c.write(name="score.pdf", slug="pdf", expect=REFUSED, what="a PDF header and a little body",
            data=b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    c.write(name="song.mp3.txt", slug="base64-mp3", data=base64.encodebytes(c.songs["mp3"].read_bytes()),
            expect=REFUSED, what="an MP3 as base64 text")
    c.write(name="subtitles.mp3", slug="srt-as-mp3", expect=REFUSED,
            what="an SRT subtitle file named .mp3: FFmpeg reads it as a subtitle stream, no audio",
            data=b"1\n00:00:01,000 --> 00:00:04,000\nHello\n\n2\n00:00:05,000 --> 00:00:08,000\nWorld\n")
    c.write(name="metadata.mp3", slug="ffmetadata", expect=REFUSED,
            what="an FFmpeg metadata file (;FFMETADATA1): ffprobe opens it, no streams, a chapter's 600 s as duration",
            data=b";FFMETADATA1\ntitle=song\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=600000\ntitle=ch\n")


def _playlists(c: _Corpus) -> None:
    """Files that make a demuxer open other files or URLs. Each names something real where it can,
    so an unrestricted ffprobe really would read audio through it: refusing must come from the
    demuxer and protocol whitelists, not from the target being missing."""
    song = (c.directory / c.files[0].path.name).resolve()  # the reference MP3, by absolute path
    hls = ("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:11\n#EXT-X-MEDIA-SEQUENCE:0\n"
           "#EXTINF:10.0,\n{}\n#EXT-X-ENDLIST\n")
    c.write(name="stream.m3u8", slug="hls-local", data=hls.format(song).encode(), expect=REFUSED,
            what="HLS playlist naming the reference song by absolute path: an unrestricted ffprobe reads its 10 s")
    c.write(name="stream2.m3u8", slug="hls-http", data=hls.format("http://127.0.0.1:9/x.ts").encode(), expect=REFUSED,
            what="HLS playlist naming http://127.0.0.1:9/x.ts (a network fetch from the server)")
    c.write(name="stream3.m3u8", slug="hls-file-url", data=hls.format("file:///etc/passwd").encode(), expect=REFUSED,
            what="HLS playlist naming file:///etc/passwd")
    c.write(name="list.ffconcat", slug="ffconcat-passwd", data=b"ffconcat version 1.0\nfile '/etc/passwd'\n",
            expect=REFUSED, what="ffconcat script naming /etc/passwd")
    c.write(name="list2.ffconcat", slug="ffconcat-sibling",
            data=f"ffconcat version 1.0\nfile '{c.files[0].path.name}'\nfile '{c.files[0].path.name}'\n".encode(),
            expect=REFUSED, what="ffconcat script naming the reference MP3 beside it twice: relative names "
                                 "are 'safe', so an unrestricted FFmpeg decodes 20 s")
    c.write(name="list.mp3", slug="ffconcat-as-mp3", data=f"ffconcat version 1.0\nfile '{song}'\n".encode(),
            expect=REFUSED, what="ffconcat script naming the reference MP3 by absolute path, named .mp3")
    c.write(name="playlist.m3u", slug="m3u", data=f"{song}\nhttp://127.0.0.1:9/x.mp3\n".encode(), expect=REFUSED,
            what="plain M3U listing a local file and a URL")
    c.write(name="playlist.pls", slug="pls", expect=REFUSED,
            what="PLS playlist naming a URL and a local file (FFmpeg's lrc lyrics demuxer claims it: a subtitle stream)",
            data=f"[playlist]\nNumberOfEntries=2\nFile1=http://127.0.0.1:9/x.mp3\nFile2={song}\nVersion=2\n".encode())
    c.write(name="session.sdp", slug="sdp", expect=REFUSED,
            what="SDP session description: the RTP demuxer would listen on UDP port 5004",
            data=b"v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 5004 RTP/AVP 0\n")
    c.write(name="manifest.mpd", slug="dash", expect=REFUSED, what="DASH manifest naming http://127.0.0.1:9/",
            data=b'<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
                 b'mediaPresentationDuration="PT10S" minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">'
                 b'<Period><AdaptationSet mimeType="audio/mp4"><Representation id="a" bandwidth="64000" codecs="mp4a.40.2">'
                 b"<BaseURL>http://127.0.0.1:9/a.m4a</BaseURL></Representation></AdaptationSet></Period></MPD>\n")


def _channels_and_rates(c: _Corpus) -> None:
    for channels, layout, ext, codec, what in (
        (8, "7.1", "wav", ("-c:a", "pcm_s16le"), "8-channel (7.1) 22.05 kHz WAV, a part on each channel"),
        (8, "7.1", "flac", ("-c:a", "flac"), "8-channel (7.1) FLAC, a part on each channel"),
        (6, "5.1", "m4a", ("-c:a", "aac", "-b:a", "192k", "-aac_coder", "fast"), "6-channel (5.1) AAC in M4A"),
        (6, "5.1", "ac3", ("-c:a", "ac3", "-b:a", "192k"), "6-channel (5.1) AC-3"),
    ):
        rate = 22_050 if ext == "wav" else SONG_RATE
        path = _encode(_groove(SONG_S, rate, channels), rate, c.disk_path(f"{channels}ch-{ext}", f".{ext}"), *codec,
                       layout=layout)
        c.add(name=f"surround.{ext}", path=path, expect=CONVERTED, what=what)
    c.write(name="phone.wav", slug="8k-mono-wav", data=_wav_bytes(_groove(SONG_S, LOW_RATE, 1), LOW_RATE),
            expect=CONVERTED, what="8 kHz mono 16-bit WAV")
    c.write(name="tape.wav", slug="11k-u8-wav", data=_wav_bytes(_groove(SONG_S, 11_025, 1), 11_025, sample_width=1),
            expect=CONVERTED, what="11.025 kHz mono unsigned 8-bit WAV")
    c.write(name="studio.wav", slug="384k-wav", data=_wav_bytes(_groove(HIRES_S, HIRES_RATE), HIRES_RATE),
            expect=CONVERTED, what=f"{HIRES_RATE // 1000} kHz stereo 16-bit WAV, {HIRES_S:.0f} s (12 MB)")
    path = _encode(_groove(HIRES_S, 96_000, 1), 96_000, c.disk_path("96k-float-wav", ".wav"), "-c:a", "pcm_f32le")
    c.add(name="float.wav", path=path, expect=CONVERTED, what=f"96 kHz mono 32-bit float WAV, {HIRES_S:.0f} s")
    path = _encode(_groove(SONG_S, 8_000, 1), 8_000, c.disk_path("8k-opus", ".opus"), "-c:a", "libopus", "-b:a", "6k")
    c.add(name="voice memo.opus", path=path, expect=CONVERTED, what="8 kHz mono Opus at 6 kbit/s (decodes at 48 kHz)")


def _silence_and_noise(c: _Corpus) -> None:
    zeros = np.zeros((2, int(SONG_S * SONG_RATE)), dtype=np.float32)
    c.write(name="silence.wav", slug="silence-wav", data=_wav_bytes(zeros[:1, ::2], 22_050), expect=FAILED,
            what="10 s of digital zeros (WAV): accepted, the worker finds it silent")
    for ext, codec in (("mp3", ("-c:a", "libmp3lame", "-b:a", "128k")), ("flac", ("-c:a", "flac"))):
        path = _encode(zeros, SONG_RATE, c.disk_path(f"silence-{ext}", f".{ext}"), *codec)
        c.add(name=f"silence.{ext}", path=path, expect=FAILED, what=f"10 s of digital zeros ({ext.upper()})")
    rng = np.random.default_rng(SEED + 4)
    noise = np.clip(rng.standard_normal((1, int(SONG_S * 22_050))) * 0.3, -1, 1)
    c.write(name="white noise.wav", slug="white-noise", data=_wav_bytes(noise, 22_050), expect=CONVERTED_OR_FAILED,
            what="10 s of white noise: loud, but no beat to find")
    dc = np.full((1, int(SONG_S * 22_050)), 0.5, dtype=np.float32)
    c.write(name="dc offset.wav", slug="dc-offset", data=_wav_bytes(dc, 22_050), expect=CONVERTED_OR_FAILED,
            what="10 s of a constant +0.5 (DC): loud by RMS, silent to the ear")
    t = np.arange(int(SONG_S * 22_050)) / 22_050
    c.write(name="test tone.wav", slug="sine-1k", data=_wav_bytes(0.5 * np.sin(2 * np.pi * 1000 * t)[None], 22_050),
            expect=CONVERTED_OR_FAILED, what="10 s of a steady 1 kHz sine: sound, but no drums")
    # Two audio streams, the first silent: the app reads the first audio stream only.
    path = c.disk_path("silent-first-stream", ".mka")
    _ffmpeg("-f", "lavfi", "-t", str(SONG_S), "-i", "anullsrc=r=44100:cl=stereo", "-i", c.songs["flac"],
            "-map", "0:a", "-map", "1:a", "-c:a", "flac", path)
    c.add(name="two tracks.mka", path=path, expect=CONVERTED_OR_FAILED,
          what="Matroska with two audio streams: the first silent, the second the groove (the app reads the first)")


def _huge_tags(c: _Corpus) -> None:
    cover = _png_noise(1024, 1024)  # ~1 MB: noise does not compress
    lyrics = ("La la la, " * (HUGE_TAG_BYTES // 10))[:HUGE_TAG_BYTES]
    tag = _id3v2(
        [
            _id3_text("TIT2", HOSTILE_TITLE), _id3_text("TPE1", HOSTILE_ARTIST),
            _id3_frame("USLT", b"\x03eng\x00" + lyrics.encode()),
            _id3_frame("COMM", b"\x03eng\x00" + ("<b>comment</b> " * 4000).encode()),
            _id3_frame("APIC", b"\x00image/png\x00\x03cover\x00" + cover),
        ]
    )
    mp3 = c.songs["mp3"].read_bytes()
    c.write(name="tagged.mp3", slug="id3-huge", data=tag + mp3, expect=CONVERTED,
            what="MP3 behind a 2 MB ID3v2.4 tag: 1 MB lyrics, 1 MB PNG cover, HTML/escape-laden title and artist")
    c.write(name="tagged twice.mp3", slug="id3-stacked", data=_id3v2([_id3_text("TIT2", "first")])
            + _id3v2([_id3_text("TIT2", HOSTILE_TITLE)]) * 50 + mp3, expect=CONVERTED,
            what="MP3 behind 51 stacked ID3v2 tags")
    flac = c.songs["flac"].read_bytes()
    comments = [f"TITLE={HOSTILE_TITLE}", f"ARTIST={HOSTILE_ARTIST}"] + [
        f"COMMENT{i}=<i>{i}</i> " + "x" * 100 for i in range(MANY_COMMENTS)
    ]
    c.write(name="many comments.flac", slug="flac-comments", data=_flac_with_blocks(flac, [_vorbis_comment(comments)]),
            expect=CONVERTED, what=f"FLAC with {MANY_COMMENTS} Vorbis comments (0.5 MB) and a hostile title")
    c.write(name="big cover.flac", slug="flac-picture", expect=CONVERTED,
            data=_flac_with_blocks(flac, [_vorbis_comment([f"TITLE={HOSTILE_TITLE}"]), _flac_picture(cover)]),
            what="FLAC with a 1 MB PICTURE block and a hostile title")
    meta = c.work / "tags.ffmeta"
    meta.write_text(";FFMETADATA1\n" + "".join(
        f"{key}={_ffmeta_escape(value)}\n" for key, value in
        (("title", HOSTILE_TITLE), ("artist", HOSTILE_ARTIST), ("album", "A" * 20000), ("comment", "\u202e" * 50))
    ))
    path = c.disk_path("m4a-tags", ".m4a")
    _ffmpeg("-i", c.songs["m4a"], "-i", meta, "-map", "0", "-map_metadata", "1", "-c", "copy", path)
    c.add(name="tagged.m4a", path=path, expect=CONVERTED,
          what="M4A whose title, artist and album hold HTML, escapes and 20 000 characters")
    wav = c.songs["wav"].read_bytes()
    info = b"INFO" + _riff_chunk(b"INAM", HOSTILE_TITLE.encode() + b"\0") \
        + _riff_chunk(b"IART", HOSTILE_ARTIST.encode() + b"\0")
    c.write(name="tagged.wav", slug="wav-list-info", data=_wav_insert_chunk(wav, _riff_chunk(b"LIST", info)),
            expect=CONVERTED,
            what="WAV with a LIST/INFO chunk carrying the hostile title and artist")


def _hostile_names(c: _Corpus) -> None:
    """Valid 10 s songs whose only fault is the name the browser sends. The disk copy is named
    safely; the extension kept is the one a temporary upload file would keep."""
    for name, source, what in (
        ("../../etc/passwd.mp3", "mp3", "path traversal with '/'"),
        ("..\\..\\windows\\win.ini.wav", "wav", "path traversal with '\\'"),
        ("a/b/c.flac", "flac", "nested folders"),
        ("/etc/cron.d/evil.mp3", "mp3", "an absolute path"),
        ("C:\\Users\\me\\Music\\song.mp3", "mp3", "a Windows absolute path (old browsers send one)"),
        ("song\x01\x02.mp3", "mp3", "control characters \\x01 \\x02"),
        ("\x1b[31mred\x1b[0m.mp3", "mp3", "ANSI terminal escapes"),
        ("line\r\nbreak.mp3", "mp3", "CR LF (a header or log injection; browsers send it as %0D%0A)"),
        ("tab\there.wav", "wav", "a tab"),
        ("a" * 296 + ".mp3", "mp3", "a 300-character name"),
        ("é" * 200 + ".flac", "flac", "200 two-byte characters: 400 bytes, past a file system's 255"),
        ("song\u202egpj.mp3", "mp3", "a right-to-left override: shows as 'song3pm.jpg'"),
        ("ドラム 🥁 Ñandú\u200d.ogg", "ogg", "Japanese, an emoji, a combining-free accent and a zero-width joiner"),
        ("e\u0301\u0301\u0301\u0301.mp3", "mp3", "stacked combining accents"),
        ("...mp3", "mp3", "only dots and mp3: no extension at all to os.path.splitext"),
        (".mp3", "mp3", "an empty stem"),
        ("CON.mp3", "mp3", "a reserved Windows device name"),
        ("<img src=x onerror=alert(1)>.mp3", "mp3", "HTML in the name (the title falls back to it)"),
        ('x.mp3"; filename="evil.php', "mp3", "quotes and a second filename parameter"),
        ("-i.mp3", "mp3", "a leading dash (an option to a command line)"),
        ("concat:a.mp3|b.mp3", "mp3", "an FFmpeg protocol prefix"),
        ("%2e%2e%2fetc%2fpasswd.mp3", "mp3", "percent-encoded traversal"),
        ("song.mp3.exe", "mp3", "a double extension ending in .exe"),
        ("song.MP3", "mp3", "an upper-case extension"),
    ):
        c.copy(name=name, slug=f"name-{len(c.files) + 1}", source=c.songs[source], expect=CONVERTED,
               what=f"valid {source}, hostile name: {what}")


def _odd_containers_and_headers(c: _Corpus) -> None:
    wav = c.songs["wav"].read_bytes()
    data = wav[44:]
    groove = _groove(SONG_S, 22_050, 1)
    header = dict(channels=1, rate=22_050, bits=16)
    c.write(name="stream.wav", slug="wav-ffffffff", expect=CONVERTED,
            data=_wav_header(**header, data_size=0xFFFFFFFF, riff_size=0xFFFFFFFF) + data,
            what="WAV with RIFF and data sizes 0xFFFFFFFF (as streaming writers leave them): read to the end")
    c.write(name="stream0.wav", slug="wav-size-0", expect=CONVERTED,
            data=_wav_header(**header, data_size=0, riff_size=0) + data,
            what="WAV with RIFF and data sizes 0: FFmpeg reads to the end of the file")
    c.write(name="rate zero.wav", slug="wav-rate-0",
            data=_wav_header(channels=1, rate=0, bits=16, data_size=len(data)) + data,
            expect=REFUSED, what="WAV claiming 1 channel at 0 Hz: the wav demuxer refuses it")
    c.write(name="no channels.wav", slug="wav-channels-0",
            data=_wav_header(channels=0, rate=22_050, bits=16, data_size=len(data), block_align=2) + data,
            expect=REFUSED, what="WAV claiming 0 channels: ffprobe fails to open the decoder")
    c.write(name="65535 channels.wav", slug="wav-channels-65535", expect=REFUSED,
            data=_wav_header(channels=65535, rate=22_050, bits=16, data_size=len(data), block_align=2) + data,
            what="WAV claiming 65535 channels: too many for FFmpeg")
    c.write(name="one hertz.wav", slug="wav-rate-1",
            data=_wav_header(channels=1, rate=1, bits=16, data_size=len(data)) + data,
            expect=REFUSED, what="10 s of samples in a WAV claiming 1 Hz: 61 hours by the header (a resampling bomb)")
    c.write(name="codec zero.wav", slug="wav-format-0", expect=REFUSED,
            data=_wav_header(**header, data_size=len(data), format_tag=0) + data,
            what="WAV format tag 0: ffprobe lists an audio stream (codec unknown, 10 s) that nothing decodes")
    c.write(name="no bits.wav", slug="wav-bits-0", expect=REFUSED,
            data=_wav_header(channels=1, rate=22_050, bits=0, data_size=len(data), block_align=2) + data,
            what="WAV with 0 bits per sample: ffprobe lists a codec-less audio stream of 10 s that nothing decodes")
    c.write(name="claims more.wav", slug="wav-claims-10s-holds-1s", expect=REFUSED,
            data=_wav_header(**header, data_size=len(data)) + data[: 2 * 22_050],
            what="WAV whose data size says 10 s while 1 s follows (ffprobe measures the file: 1 s)")
    c.write(name="junk first.wav", slug="wav-junk-chunk", expect=CONVERTED,
            what="WAV with a 256 KB JUNK chunk before fmt",
            data=_wav_insert_chunk(wav, _riff_chunk(b"JUNK", bytes(256 * 1024)), before_fmt=True))
    c.write(name="appended.mp3", slug="mp3-zip-appended", expect=CONVERTED,
            data=c.songs["mp3"].read_bytes() + _zip_bytes({"payload.php": b"<?php system($_GET['c']); ?>"}),
            what="valid MP3 with a ZIP (holding a PHP script) appended: a polyglot")
    c.write(name="huge id3.mp3", slug="id3-claims-256mb", expect=REFUSED,
            data=b"ID3\x04\x00\x00" + _syncsafe(0x0FFFFFFF) + c.songs["mp3"].read_bytes(),
            what="an ID3v2 header claiming a 256 MB tag in front of a 10 s MP3: the audio is skipped as tag")
    for ext, codec, what in (
        ("aiff", ("-c:a", "pcm_s16be"), "AIFF"), ("caf", ("-c:a", "pcm_s16le"), "Apple CAF"),
        ("wv", ("-c:a", "wavpack"), "WavPack"), ("w64", ("-c:a", "pcm_s16le"), "Sony Wave64"),
        ("au", ("-c:a", "pcm_s16be"), "Sun AU"),
    ):
        path = _encode(groove, 22_050, c.disk_path(f"container-{ext}", f".{ext}"), *codec)
        c.add(name=f"song.{ext}", path=path, expect=CONVERTED, what=f"10 s {what}")
    path = _encode(groove, 22_050, c.disk_path("rf64", ".wav"), "-c:a", "pcm_s16le", "-rf64", "always")
    c.add(name="big.wav", path=path, expect=CONVERTED, what="RF64 (64-bit WAV) header on a 10 s song")
    path = _encode(groove, 22_050, c.disk_path("wav-mp3-payload", ".wav"), "-c:a", "libmp3lame", "-b:a", "64k")
    c.add(name="mp3 in wav.wav", path=path, expect=CONVERTED, what="WAV whose payload is MP3 (format tag 0x55)")
    path = c.disk_path("music-video", ".mp4")
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-i", c.songs["m4a"], "-map", "0:v", "-map", "1:a",
            "-c:v", "mpeg4", "-c:a", "copy", "-shortest", path)
    c.add(name="music video.mp4", path=path, expect=CONVERTED, what="MP4 with a video stream first and the song second")
    path = c.disk_path("chained-ogg", ".ogg")
    path.write_bytes(c.songs["ogg"].read_bytes() * 2)  # a chained Ogg: two logical streams in a row
    c.add(name="chained.ogg", path=path, expect=CONVERTED,
          what="chained Ogg Vorbis, the same 10 s stream twice byte for byte: ffprobe says 10 s, FFmpeg decodes 20 s")


# --- binary helpers ---------------------------------------------------------------------------


def _png_noise(width: int, height: int) -> bytes:
    """A greyscale PNG of seeded noise: it does not compress, so its size is width x height."""
    rng = np.random.default_rng(SEED + width)
    rows = rng.integers(0, 256, (height, width), dtype=np.uint8)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=1, mtime=0)


def _zip_bytes(members: dict[str, bytes], *, compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for member, body in members.items():
            archive.writestr(zipfile.ZipInfo(member, date_time=(2024, 6, 1, 0, 0, 0)), body, compress_type=compression)
    return buffer.getvalue()


def _syncsafe(value: int) -> bytes:
    return bytes((value >> shift) & 0x7F for shift in (21, 14, 7, 0))


def _id3_frame(kind: str, body: bytes) -> bytes:
    return kind.encode() + _syncsafe(len(body)) + b"\x00\x00" + body  # ID3v2.4: syncsafe frame sizes


def _id3_text(kind: str, text: str) -> bytes:
    return _id3_frame(kind, b"\x03" + text.encode())  # encoding 3: UTF-8


def _id3v2(frames: list[bytes]) -> bytes:
    body = b"".join(frames)
    return b"ID3\x04\x00\x00" + _syncsafe(len(body)) + body


def _flac_with_blocks(flac: bytes, blocks: list[bytes]) -> bytes:
    """`flac` with its metadata replaced by STREAMINFO (and SEEKTABLE) plus `blocks` (type byte
    first, unflagged), the last-block flag set on the last one."""
    assert flac[:4] == b"fLaC"
    pos, kept = 4, []
    while True:
        header = flac[pos]
        length = int.from_bytes(flac[pos + 1 : pos + 4], "big")
        if header & 0x7F in (0, 3):  # STREAMINFO, SEEKTABLE
            kept.append(bytes([header & 0x7F]) + flac[pos + 4 : pos + 4 + length])
        pos += 4 + length
        if header & 0x80:
            break
    out = [b"fLaC"]
    chain = kept + blocks
    for index, block in enumerate(chain):
        kind = block[0] | (0x80 if index == len(chain) - 1 else 0)
        out.append(bytes([kind]) + (len(block) - 1).to_bytes(3, "big") + block[1:])
    return b"".join(out) + flac[pos:]


def _vorbis_comment(comments: list[str]) -> bytes:
    vendor = b"hostile corpus"
    body = struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", len(comments))
    body += b"".join(struct.pack("<I", len(text := comment.encode())) + text for comment in comments)
    return b"\x04" + body


def _flac_picture(image: bytes) -> bytes:
    mime, description = b"image/png", "cover \u202e<b>".encode()
    return (b"\x06" + struct.pack(">II", 3, len(mime)) + mime + struct.pack(">I", len(description)) + description
            + struct.pack(">IIIII", 1024, 1024, 8, 0, len(image)) + image)


def _ffmeta_escape(value: str) -> str:
    return "".join("\\" + ch if ch in "=;#\\\n" else ch for ch in value)


def _riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def _wav_insert_chunk(wav: bytes, chunk: bytes, *, before_fmt: bool = False) -> bytes:
    """A canonical 44-byte-header WAV with `chunk` added before fmt or before data."""
    assert wav[:4] == b"RIFF" and wav[12:16] == b"fmt "
    body = wav[12:36] + chunk + wav[36:] if not before_fmt else chunk + wav[12:]
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def _mp3_frame_span(data: bytes, *, frames: int) -> tuple[int, int]:
    """(start, end) of the first `frames` MPEG audio frames after any ID3v2 tag (layer III only)."""
    start = pos = _id3_end(data)
    for _ in range(frames):
        pos += _mp3_frame_length(data, pos)
    return start, pos


def _mp3_frame_length(data: bytes, pos: int) -> int:
    b1, b2 = data[pos + 1], data[pos + 2]
    assert data[pos] == 0xFF and b1 & 0xE0 == 0xE0, f"no MP3 frame at {pos}"
    version = (b1 >> 3) & 3  # 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5
    bitrates = ((0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320) if version == 3
                else (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160))
    rate = _mp3_sample_rate(b1, b2)
    return (144 if version == 3 else 72) * bitrates[b2 >> 4] * 1000 // rate + ((b2 >> 1) & 1)


def _mp3_sample_rate(b1: int, b2: int) -> int:
    version = (b1 >> 3) & 3
    return {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}[version][(b2 >> 2) & 3]


def _id3_end(data: bytes) -> int:
    if data[:3] != b"ID3":
        return 0
    size = 0
    for byte in data[6:10]:
        size = size << 7 | (byte & 0x7F)
    return 10 + size + (10 if data[5] & 0x10 else 0)


# --- patching the length headers ----------------------------------------------------------------

_EBML_SEGMENT, _EBML_INFO, _EBML_TIMESCALE, _EBML_DURATION = 0x18538067, 0x1549A966, 0x2AD7B1, 0x4489
_EBML_TAGS, _EBML_TAG, _EBML_SIMPLETAG, _EBML_TAGNAME, _EBML_TAGSTRING = 0x1254C367, 0x7373, 0x67C8, 0x45A3, 0x4487
_EBML_VOID, _EBML_CRC32 = 0xEC, 0xBF


def _ebml_vint(data: bytes | bytearray, pos: int, *, keep_marker: bool) -> tuple[int, int, bool]:
    """(value, length, unknown): an EBML variable-length integer (IDs keep their marker bit)."""
    first = data[pos]
    length = next((n for n in range(1, 9) if first & (0x80 >> (n - 1))), 0)
    if not length:
        raise ValueError(f"bad EBML length at {pos}")
    value = first if keep_marker else first & ((0x80 >> (length - 1)) - 1)
    for byte in data[pos + 1 : pos + length]:
        value = value << 8 | byte
    return value, length, not keep_marker and value == (1 << (7 * length)) - 1


def _ebml_children(data: bytes | bytearray, start: int, end: int):
    """(id, id position, body start, body end) of each element in [start, end)."""
    pos = start
    while pos < end:
        element, id_length, _ = _ebml_vint(data, pos, keep_marker=True)
        size, size_length, unknown = _ebml_vint(data, pos + id_length, keep_marker=False)
        body = pos + id_length + size_length
        stop = end if unknown else min(end, body + size)
        yield element, pos, body, stop
        pos = stop


def _matroska_edit(path: Path, edit) -> None:
    """Call edit(data, element, id_pos, body, end, timescale) on each Info child and each SimpleTag,
    then refresh the CRC-32 element of every top-level element it changed (FFmpeg writes them, and
    a strict reader would reject a stale one)."""
    data = bytearray(path.read_bytes())
    hits = 0
    for element, _, body, end in _ebml_children(data, 0, len(data)):
        if element != _EBML_SEGMENT:
            continue
        for child, _, child_body, child_end in _ebml_children(data, body, end):
            before = hits
            if child == _EBML_INFO:
                info = list(_ebml_children(data, child_body, child_end))
                scale = next((int.from_bytes(data[b:e], "big") for i, _, b, e in info if i == _EBML_TIMESCALE),
                             1_000_000)
                for item in info:
                    hits += edit(data, *item, scale)
            elif child == _EBML_TAGS:
                for tag, _, tag_body, tag_end in _ebml_children(data, child_body, child_end):
                    if tag == _EBML_TAG:
                        for item in _ebml_children(data, tag_body, tag_end):
                            if item[0] == _EBML_SIMPLETAG:
                                hits += edit(data, *item, 0)
            if hits > before:
                first = next(_ebml_children(data, child_body, child_end), None)
                if first and first[0] == _EBML_CRC32 and first[3] - first[2] == 4:
                    data[first[2] : first[3]] = zlib.crc32(data[first[3] : child_end]).to_bytes(4, "little")
    if not hits:
        raise RuntimeError(f"no Matroska duration found in {path}")
    path.write_bytes(data)


def _patch_matroska_duration(path: Path, seconds: float) -> None:
    """Set Segment Info Duration (in TimecodeScale units) and any DURATION tag (HH:MM:SS.nnnnnnnnn,
    kept at its byte length) to `seconds`."""

    def edit(data, element, id_pos, body, end, scale) -> int:
        if element == _EBML_DURATION:
            data[body:end] = struct.pack(">d" if end - body == 8 else ">f", seconds * 1e9 / scale)
            return 1
        if element == _EBML_SIMPLETAG:
            kids = list(_ebml_children(data, body, end))
            if any(i == _EBML_TAGNAME and bytes(data[b:e]).upper() == b"DURATION" for i, _, b, e in kids):
                for i, _, b, e in kids:
                    if i == _EBML_TAGSTRING:
                        hours, rest = divmod(seconds, 3600)
                        text = f"{int(hours):02d}:{int(rest // 60):02d}:{rest % 60:012.9f}".encode()
                        data[b:e] = text[: e - b].ljust(e - b, b"\0")  # NUL-padded, as FFmpeg reserves it
                        return 1
        return 0

    _matroska_edit(path, edit)


def _drop_matroska_duration(path: Path) -> None:
    """Turn Segment Info Duration into a Void element of the same size, and any DURATION tag name
    into an unrelated one, so that the file states no length at all."""

    def edit(data, element, id_pos, body, end, scale) -> int:
        if element == _EBML_DURATION:
            # Void ID (1 byte) where the 2-byte Duration ID was: pad the size field to keep the length.
            size = end - (id_pos + 3)
            data[id_pos : end] = bytes([_EBML_VOID, 0x40 | (size >> 8), size & 0xFF]) + bytes(size)
            return 1
        if element == _EBML_SIMPLETAG:
            for i, _, b, e in _ebml_children(data, body, end):
                if i == _EBML_TAGNAME and bytes(data[b:e]).upper() == b"DURATION":
                    data[b:e] = b"XURATION"
                    return 1
        return 0

    _matroska_edit(path, edit)


def _patch_xing_frames(path: Path, seconds: float) -> None:
    """Set the frame count of the Xing/Info header to that of `seconds`. The byte count stays
    true: FFmpeg distrusts the frame count when the stated size is far from the file's."""
    data = bytearray(path.read_bytes())
    start = _id3_end(data)
    found = [p for p in (data.find(b"Xing", start, start + 64), data.find(b"Info", start, start + 64)) if p >= 0]
    if not found:
        raise RuntimeError(f"no Xing/Info header in {path}")
    pos = found[0]
    if not int.from_bytes(data[pos + 4 : pos + 8], "big") & 1:
        raise RuntimeError(f"the Xing header of {path} has no frame count")
    version = (data[start + 1] >> 3) & 3
    frames = round(seconds * _mp3_sample_rate(data[start + 1], data[start + 2]) / (1152 if version == 3 else 576))
    data[pos + 8 : pos + 12] = frames.to_bytes(4, "big")
    # The LAME tag that follows ends with a CRC-16 of the frame up to it: refresh it as FFmpeg's
    # reader checks it (a stale one only loses the ReplayGain values, but the lie should be clean).
    flags = int.from_bytes(data[pos + 4 : pos + 8], "big")
    lame = pos + 8 + 4 * bool(flags & 1) + 4 * bool(flags & 2) + 100 * bool(flags & 4) + 4 * bool(flags & 8)
    if data[lame : lame + 4] in (b"LAME", b"Lavf", b"Lavc"):
        data[lame + 34 : lame + 36] = _crc16_ansi(data[start : lame + 34]).to_bytes(2, "big")
    path.write_bytes(data)


def _crc16_ansi(data: bytes | bytearray) -> int:
    """CRC-16/ARC (polynomial 0x8005 reflected, initial 0): FFmpeg's AV_CRC_16_ANSI_LE."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


_MP4_CONTAINERS = {b"moov", b"trak", b"mdia"}


def _patch_mp4_durations(path: Path, seconds: float) -> None:
    """Set the mvhd, tkhd and mdhd durations to `seconds`, each in its timescale. The edit list
    (elst) is left alone: FFmpeg plays what it says, so it must keep the real length."""
    data = bytearray(path.read_bytes())
    movie_scale = 0
    patched = []

    def walk(start: int, end: int) -> None:
        nonlocal movie_scale
        pos = start
        while pos + 8 <= end:
            size, kind, header = int.from_bytes(data[pos : pos + 4], "big"), bytes(data[pos + 4 : pos + 8]), 8
            if size == 1:
                size, header = int.from_bytes(data[pos + 8 : pos + 16], "big"), 16
            elif size == 0:
                size = end - pos
            body, box_end = pos + header, min(end, pos + size)
            wide = data[body] == 1  # version 1: 64-bit times
            if kind in _MP4_CONTAINERS:
                walk(body, box_end)
            elif kind in (b"mvhd", b"mdhd"):
                scale_at = body + (20 if wide else 12)
                scale = int.from_bytes(data[scale_at : scale_at + 4], "big")
                if kind == b"mvhd":
                    movie_scale = scale
                width = 8 if wide else 4
                data[scale_at + 4 : scale_at + 4 + width] = round(seconds * scale).to_bytes(width, "big")
                patched.append(kind)
            elif kind == b"tkhd":
                at, width = body + (28 if wide else 20), 8 if wide else 4
                data[at : at + width] = round(seconds * movie_scale).to_bytes(width, "big")
                patched.append(kind)
            pos += size

    walk(0, len(data))
    if sorted(set(patched)) != [b"mdhd", b"mvhd", b"tkhd"]:
        raise RuntimeError(f"{path}: patched only {patched}")
    path.write_bytes(data)


def _ogg_crc(page: bytes) -> int:
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_CRC_TABLE[((crc >> 24) & 0xFF) ^ byte]
    return crc


def _ogg_crc_table() -> list[int]:
    table = []
    for index in range(256):
        value = index << 24
        for _ in range(8):
            value = ((value << 1) ^ 0x04C11DB7) if value & 0x80000000 else value << 1
        table.append(value & 0xFFFFFFFF)
    return table


_OGG_CRC_TABLE = _ogg_crc_table()


def _patch_ogg_last_granule(path: Path, seconds: float, rate: int) -> None:
    """Set the granule position of the last Ogg page to `seconds` at `rate`, and its CRC to match."""
    data = bytearray(path.read_bytes())
    pos, last = 0, None
    while pos + 27 <= len(data) and data[pos : pos + 4] == b"OggS":
        count = data[pos + 26]
        length = 27 + count + sum(data[pos + 27 : pos + 27 + count])
        last, pos = (pos, length), pos + length
    if last is None or pos != len(data):
        raise RuntimeError(f"{path} is not a clean run of Ogg pages")
    start, length = last
    data[start + 6 : start + 14] = round(seconds * rate).to_bytes(8, "little")
    data[start + 22 : start + 26] = bytes(4)
    data[start + 22 : start + 26] = _ogg_crc(bytes(data[start : start + length])).to_bytes(4, "little")
    path.write_bytes(data)


# --- the command line -------------------------------------------------------------------------


def ffprobe_summary(path: Path) -> str:
    """One line of what `ffprobe -show_entries format=...:stream=...` says of `path`, or its error."""
    command = ["ffprobe", "-v", "error", "-show_entries",
               "format=format_name,duration:stream=codec_type,codec_name,sample_rate,channels", "-of", "json", str(path)]
    try:
        result = subprocess.run(command, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return f"TIMEOUT after {PROBE_TIMEOUT_S} s"
    errors = result.stderr.decode(errors="replace").replace(str(path), path.name).strip().splitlines()
    if result.returncode != 0:
        return f"ERROR rc={result.returncode}: {errors[-1] if errors else ''}"[:200]
    info = json.loads(result.stdout or b"{}")
    fmt = info.get("format", {})
    streams = ", ".join(
        f"{s.get('codec_type')}:{s.get('codec_name', '?')}"
        + (f" {s.get('sample_rate')}Hz {s.get('channels')}ch" if s.get("codec_type") == "audio" else "")
        for s in info.get("streams", [])
    )
    warning = f"  [stderr: {errors[-1][:80]}]" if errors else ""
    return f"{fmt.get('format_name')} dur={fmt.get('duration', 'N/A')} [{streams or 'no streams'}]{warning}"


def decoded_seconds(path: Path, *, cap_s: float | None = MAX_DURATION_S + 1) -> float | None:
    """How many seconds of the first audio stream FFmpeg decodes, stopping at `cap_s`; None if none."""
    cap = ["-t", str(cap_s)] if cap_s else []
    command = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", *cap,
               "-f", "null", "-", "-progress", "pipe:1"]
    try:
        result = subprocess.run(command, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return None
    times = [line.split("=", 1)[1] for line in result.stdout.decode().splitlines() if line.startswith("out_time_us=")]
    micros = [int(t) for t in times if t.lstrip("-").isdigit()]
    return max(micros) / 1e6 if micros and max(micros) > 0 else None


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.hostile_corpus OUT_DIR", file=sys.stderr)
        return 2
    directory = Path(argv[0])
    started = time.perf_counter()
    files = build_corpus(directory)
    elapsed = time.perf_counter() - started
    total = sum(f.path.stat().st_size for f in files)
    print(f"{'#':>3}  {'size':>9}  {'expect':<19}  name / what")
    for index, f in enumerate(files, 1):
        print(f"{index:>3}  {f.path.stat().st_size:>9}  {f.expect:<19}  {f.name!r:.70}")
        print(f"{'':>36}{f.what}")
    print(f"\n{len(files)} files, {total / 1e6:.1f} MB, built in {elapsed:.1f} s "
          f"({os.cpu_count()} CPUs)")
    print(f"\nffprobe and a decode capped at {MAX_DURATION_S + 1:.0f} s, file by file:")
    formats = set()
    for index, f in enumerate(files, 1):
        summary = ffprobe_summary(f.path)
        if not summary.startswith(("ERROR", "TIMEOUT")):
            formats.add(summary.split(" ", 1)[0])
        decoded = decoded_seconds(f.path)
        shown = "-" if decoded is None else f"{decoded:.1f}s"
        print(f"{index:>3} {f.path.name[:34]:<34} {f.expect:<19} decoded={shown:<8} {summary}")
    print(f"\nformat_name values seen: {sorted(formats)}")
    print("\nLying headers: what ffprobe states against what `ffmpeg -i f -f null -` decodes, uncapped:")
    for f in files:
        if "-lie-" in f.path.name:
            stated = ffprobe_summary(f.path).split(" [", 1)[0]
            decoded = decoded_seconds(f.path, cap_s=None)
            print(f"  {f.path.name:<34} ffprobe: {stated:<40} decoded: {'-' if decoded is None else f'{decoded:.1f} s'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
