"""Reading and writing audio with FFmpeg.

Every decoder is FFmpeg's, so any format it reads is accepted; a file is judged by what
ffprobe finds in it, never by its extension.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from processing.errors import AudioError

SAMPLE_RATE = 44_100
MAX_CHANNELS = 2
PROBE_TIMEOUT_S = 30
DECODE_TIMEOUT_S = 300
ENCODE_TIMEOUT_S = 300
ENCODE_BLOCK_SAMPLES = SAMPLE_RATE * 10  # samples per channel piped to the encoder at a time
# A decode shorter than the container's stated duration by more than this is a truncated file.
TRUNCATION_TOLERANCE_S = 0.5
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
    command = ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)]
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


def decode(*, path: Path, sample_rate: int = SAMPLE_RATE) -> DecodedAudio:
    """Decode `path` to float32 at `sample_rate` Hz, keeping up to two channels.

    A damaged file is decoded as far as FFmpeg can; when that is noticeably shorter than the
    duration its container states, the result carries a warning saying how much was converted.
    """
    info = probe(path=path)
    channels = min(MAX_CHANNELS, max(1, info.channels))
    command = [
        "ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0",
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
            message = errors.read().decode(errors="replace")[-500:]
            raise RuntimeError(f"ffmpeg could not write {path.name} (status {returncode}): {message}")


def _first_float(*values: object) -> float | None:
    for value in values:
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
    return None


def _lowercase_keys(tags: dict) -> dict[str, str]:
    return {str(key).lower(): str(value) for key, value in tags.items()}
