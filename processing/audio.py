"""Reading and writing audio with FFmpeg.

Every decoder is FFmpeg's, so any audio format it reads is accepted; a file is judged by what
ffprobe finds in it, never by its extension. Files come from strangers, so FFmpeg reads them
with audio demuxers only and no protocol but the file itself, and no read goes past the
duration limit, whatever the file's header claims.
"""

from __future__ import annotations

import contextlib
import errno
import json
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from processing.errors import AudioError

SAMPLE_RATE = 44_100
MAX_CHANNELS = 2
PROBE_TIMEOUT_S = 30
MEASURE_TIMEOUT_S = 120
DECODE_TIMEOUT_S = 300
# The longest song converted unless the caller says otherwise (the web's A2D_MAX_DURATION_S).
MAX_DURATION_S = 15 * 60
# Demuxers of audio files. Playlists (hls, concat, …) and every demuxer that can open other
# files or URLs are left out; so are images and video-only formats.
AUDIO_DEMUXERS = ",".join([
    "mp3", "wav", "flac", "ogg", "matroska", "mov", "aac", "aiff", "w64", "caf", "ape", "wv", "asf", "au",
    "ac3", "eac3", "amr", "tta", "dts", "mpc", "mpc8", "tak", "dsf",
])
# The file itself (and pipes for FFmpeg's output): never the network, never another file by name.
PROTOCOLS = "file,pipe"
# A length is measured at this rate: one byte a millisecond, cheap to decode and to count.
MEASURE_RATE = 1000
# Reads stop this far past the limit: enough to tell a file over it from one just at it.
LIMIT_MARGIN_S = 1.0
ENCODE_TIMEOUT_S = 300
ENCODE_BLOCK_SAMPLES = SAMPLE_RATE * 10  # samples per channel piped to the encoder at a time
# A decode shorter than the container's stated duration by more than this is a truncated file.
TRUNCATION_TOLERANCE_S = 0.5
FFMPEG_DISK_FULL = "No space left on device"
PCM16_SCALE = 32767.0
OGG_QUALITY = 5  # libvorbis -q:a 5 is about 160 kbit/s: transparent for a backing track.


@dataclass(frozen=True)
class AudioProbe:
    """What ffprobe says about a file: its first audio stream and its tags."""

    duration_s: float
    sample_rate: int
    channels: int
    codec: str
    title: str = ""
    artist: str = ""


@dataclass(frozen=True)
class DecodedAudio:
    """Decoded audio.

    samples: (channels, n) float32 in [-1, 1] at `sample_rate` Hz; channels is 1 or 2.
    warnings: sentences for the user about problems that did not stop the decode.
    """

    samples: np.ndarray
    sample_rate: int
    warnings: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    def mono(self) -> np.ndarray:
        """(n,) float32: the channels averaged."""
        return self.samples.mean(axis=0)


def too_short_message(*, duration_s: float, min_duration_s: float) -> str:
    return f"The song is {duration_s:.1f} s long; it must last at least {min_duration_s:.0f} s."


def too_long_message(*, duration_s: float, max_duration_s: float) -> str:
    """The same sentence whether the file said how long it is or its audio outlasted the limit
    (`duration_s` is then the point where reading stopped, past the limit)."""
    limit = max_duration_s / 60
    if duration_s >= max_duration_s + LIMIT_MARGIN_S - 0.01:
        return f"The song lasts more than {limit:g} minutes; the limit is {limit:g} minutes."
    return f"The song lasts {duration_s / 60:.1f} minutes; the limit is {limit:g} minutes."


def require_ffmpeg() -> None:
    """Raise AudioError naming the missing programs when FFmpeg is not installed."""
    missing = [name for name in ("ffmpeg", "ffprobe") if shutil.which(name) is None]
    if missing:
        raise AudioError(
            f"{' and '.join(missing)} not found: install FFmpeg (Debian/Ubuntu: apt-get install ffmpeg)."
        )


def probe(*, path: Path) -> AudioProbe:
    """Describe the first audio stream of `path`; raise AudioError if there is none."""
    require_ffmpeg()
    command = ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
               *_restricted_input(path)]
    try:
        result = subprocess.run(command, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as error:
        raise AudioError("The file could not be read in time; it may be damaged. Try exporting it again.") from error
    if result.returncode != 0:
        raise AudioError("This file is not audio we can read. Upload an mp3, wav, flac, ogg, m4a or opus file.")
    info = json.loads(result.stdout or b"{}")
    audio_streams = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not audio_streams:
        raise AudioError("This file holds no audio stream. Upload an mp3, wav, flac, ogg, m4a or opus file.")
    stream = audio_streams[0]
    container = info.get("format", {})
    duration = _first_float(stream.get("duration"), container.get("duration"))
    if duration is None or duration <= 0:
        raise AudioError("This file's audio is empty. Upload a file that plays in a music player.")
    tags = _lowercase_keys(container.get("tags", {})) | _lowercase_keys(stream.get("tags", {}))
    return AudioProbe(
        duration_s=duration,
        sample_rate=int(stream.get("sample_rate") or 0),
        channels=int(stream.get("channels") or 0),
        codec=str(stream.get("codec_name", "")),
        title=tags.get("title", "").strip(),
        artist=(tags.get("artist") or tags.get("album_artist") or "").strip(),
    )


def measure_duration(*, path: Path, max_duration_s: float) -> float:
    """Seconds of audio FFmpeg really decodes from the first audio stream of `path`.

    Reading stops at `max_duration_s` + LIMIT_MARGIN_S, so a file whose header understates its
    length (a container claiming 60 s over hours of audio) costs no more than an honest one.
    """
    command = [
        "ffmpeg", "-nostdin", "-v", "error", *_restricted_input(path), "-map", "0:a:0",
        "-t", f"{max_duration_s + LIMIT_MARGIN_S:.3f}", "-ac", "1", "-ar", str(MEASURE_RATE), "-f", "u8", "-",
    ]
    try:
        result = subprocess.run(command, capture_output=True, timeout=MEASURE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as error:
        raise AudioError("The file could not be read in time; it may be damaged. Try exporting it again.") from error
    return len(result.stdout) / MEASURE_RATE


def admit(*, path: Path, min_duration_s: float, max_duration_s: float) -> AudioProbe:
    """Describe `path` as `probe` does, after checking that its audio lasts between the limits.

    The length that counts is the one decoded, not the one the container states: the returned
    duration_s is the measured one. Raises AudioError with a sentence for the user.
    """
    info = probe(path=path)
    # Measured even when the header says the file is too long: headers lie both ways.
    duration_s = measure_duration(path=path, max_duration_s=max_duration_s)
    if duration_s == 0:
        raise AudioError("No audio could be decoded from this file; it is damaged or empty. Try exporting it again.")
    if duration_s > max_duration_s:
        raise AudioError(too_long_message(duration_s=duration_s, max_duration_s=max_duration_s))
    if duration_s < min_duration_s:
        raise AudioError(too_short_message(duration_s=duration_s, min_duration_s=min_duration_s))
    return replace(info, duration_s=duration_s)


def decode(*, path: Path, max_duration_s: float = MAX_DURATION_S, sample_rate: int = SAMPLE_RATE) -> DecodedAudio:
    """Decode `path` to float32 at `sample_rate` Hz, keeping up to two channels.

    No more than `max_duration_s` (plus a margin) is ever decoded, so a job's memory is bounded
    by the limit whatever the file claims; audio running past the limit raises AudioError.
    A damaged file is decoded as far as FFmpeg can; when that is noticeably shorter than the
    duration its container states, the result carries a warning saying how much was converted.
    """
    info = probe(path=path)
    channels = min(MAX_CHANNELS, max(1, info.channels))
    command = [
        "ffmpeg", "-nostdin", "-v", "error", *_restricted_input(path), "-map", "0:a:0",
        "-t", f"{max_duration_s + LIMIT_MARGIN_S:.3f}",
        "-f", "f32le", "-acodec", "pcm_f32le", "-ac", str(channels), "-ar", str(sample_rate), "-",
    ]
    try:
        result = subprocess.run(command, capture_output=True, timeout=DECODE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as error:
        raise AudioError("Decoding the file took too long; it may be damaged. Try exporting it again.") from error
    interleaved = np.frombuffer(result.stdout, dtype="<f4")
    usable = interleaved.size - interleaved.size % channels
    samples = np.ascontiguousarray(interleaved[:usable].reshape(-1, channels).T, dtype=np.float32)
    if samples.shape[1] == 0:
        raise AudioError("No audio could be decoded from this file; it is damaged or empty. Try exporting it again.")
    decoded = DecodedAudio(samples=np.clip(samples, -1.0, 1.0), sample_rate=sample_rate)
    if decoded.duration_s > max_duration_s:
        raise AudioError(too_long_message(duration_s=decoded.duration_s, max_duration_s=max_duration_s))
    if decoded.duration_s < info.duration_s - TRUNCATION_TOLERANCE_S:
        decoded.warnings.append(
            f"The file ends early or is damaged: only the first {decoded.duration_s:.1f} s "
            f"of {info.duration_s:.1f} s could be decoded and converted."
        )
    elif result.returncode != 0 or result.stderr.strip():
        decoded.warnings.append("FFmpeg reported errors while decoding; parts of the song may be damaged.")
    return decoded


def encode_ogg(*, samples: np.ndarray, sample_rate: int, path: Path, quality: int = OGG_QUALITY) -> None:
    """Write (channels, n) float32 `samples` to `path` as Ogg Vorbis."""
    _encode(samples=samples, sample_rate=sample_rate, path=path, codec_args=["-c:a", "libvorbis", "-q:a", str(quality)])


def _encode(*, samples: np.ndarray, sample_rate: int, path: Path, codec_args: list[str]) -> None:
    """Pipe `samples` to FFmpeg a block at a time: a whole 10-minute song as one interleaved
    byte string would be two more 210 MB copies at the job's peak."""
    require_ffmpeg()
    samples = np.atleast_2d(samples)
    command = [
        "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", str(sample_rate),
        "-ac", str(samples.shape[0]), "-i", "-", *codec_args, str(path),
    ]
    with tempfile.TemporaryFile() as errors:
        encoder = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors)
        deadline = threading.Timer(ENCODE_TIMEOUT_S, encoder.kill)
        deadline.start()
        try:
            for start in range(0, samples.shape[1], ENCODE_BLOCK_SAMPLES):
                block = samples[:, start : start + ENCODE_BLOCK_SAMPLES]
                encoder.stdin.write(np.ascontiguousarray(block.T, dtype="<f4").tobytes())
        except BrokenPipeError:
            pass  # FFmpeg stopped reading: its exit status and message say why
        except BaseException:
            encoder.kill()  # interrupted (a job's time limit): never wait on a half-fed encoder
            raise
        finally:
            with contextlib.suppress(BrokenPipeError):
                encoder.stdin.close()
            returncode = encoder.wait()
            deadline.cancel()
        if returncode != 0:
            errors.seek(0)
            _raise_encoder_error(path=path, returncode=returncode, message=errors.read().decode(errors="replace"))


def write_pcm16(*, samples: np.ndarray, path: Path) -> None:
    """Write (channels, n) float `samples` in [-1, 1] to `path` as interleaved 16-bit PCM
    (FFmpeg's s16le), a block at a time: no whole-song copy is made."""
    samples = np.atleast_2d(samples)
    with open(path, "wb") as pcm:
        for start in range(0, samples.shape[1], ENCODE_BLOCK_SAMPLES):
            block = np.clip(samples[:, start : start + ENCODE_BLOCK_SAMPLES].T, -1.0, 1.0) * PCM16_SCALE
            pcm.write(np.rint(block).astype("<i2").tobytes())


def encode_ogg_from_pcm16(*, pcm_path: Path, channels: int, sample_rate: int, path: Path,
                          quality: int = OGG_QUALITY) -> None:
    """Encode the 16-bit PCM file `pcm_path` (as write_pcm16 writes it) to `path` as Ogg Vorbis."""
    require_ffmpeg()
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-protocol_whitelist", PROTOCOLS, "-f", "s16le",
               "-ar", str(sample_rate), "-ac", str(channels), "-i", f"file:{pcm_path}",
               "-c:a", "libvorbis", "-q:a", str(quality), str(path)]
    result = subprocess.run(command, capture_output=True, timeout=ENCODE_TIMEOUT_S, check=False)
    if result.returncode != 0:
        _raise_encoder_error(path=path, returncode=result.returncode, message=result.stderr.decode(errors="replace"))


def _raise_encoder_error(*, path: Path, returncode: int, message: str) -> None:
    message = message[-500:]
    if FFMPEG_DISK_FULL in message:  # FFmpeg's words are all that tells a full disk here
        raise OSError(errno.ENOSPC, f"ffmpeg could not write {path.name}: {message}")
    raise RuntimeError(f"ffmpeg could not write {path.name} (status {returncode}): {message}")


def _restricted_input(path: Path) -> list[str]:
    """FFmpeg's input options for a file from a stranger: audio demuxers and the file protocol
    only. The `file:` prefix keeps a name such as `concat:a|b` from being read as a protocol."""
    return ["-format_whitelist", AUDIO_DEMUXERS, "-protocol_whitelist", PROTOCOLS,
            "-i", f"file:{Path(path).resolve()}"]


def _first_float(*values: object) -> float | None:
    for value in values:
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
    return None


def _lowercase_keys(tags: dict) -> dict[str, str]:
    return {str(key).lower(): str(value) for key, value in tags.items()}
