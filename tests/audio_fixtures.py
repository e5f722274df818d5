"""Synthetic songs with known drum hits, for tests and benchmarks.

A groove is rendered from the CC0 one-shots in ../shared/data/samples-cc0 at exact sample
positions over a sustained bass tone, so every hit's time is known to the sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile

from processing.lanes import Lane

SAMPLE_RATE = 44_100
SAMPLES_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "samples-cc0"
ONE_SHOTS = {
    Lane.BASS_DRUM: "drum_heavy_kick.flac",
    Lane.SNARE: "drum_snare_hard.flac",
    Lane.HIHAT_CLOSED: "drum_cymbal_closed.flac",
    Lane.CRASH: "drum_splash_hard.flac",
}
GAINS = {Lane.BASS_DRUM: 0.9, Lane.SNARE: 0.7, Lane.HIHAT_CLOSED: 0.35, Lane.CRASH: 0.5}
BASS_FREQUENCY_HZ = 55.0
BASS_GAIN = 0.25


@dataclass(frozen=True)
class Groove:
    """A rendered groove: (2, n) float32 stereo samples and the truth, lane -> onset times (s)."""

    samples: np.ndarray
    sample_rate: int
    hits: dict[Lane, np.ndarray]
    bpm_start: float
    bpm_end: float


@lru_cache(maxsize=None)
def one_shot(lane: Lane) -> np.ndarray:
    """(n,) float32 mono one-shot for `lane`, resampled to 44.1 kHz if needed."""
    data, rate = soundfile.read(SAMPLES_DIR / ONE_SHOTS[lane], dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    if rate != SAMPLE_RATE:
        import librosa

        mono = librosa.resample(mono, orig_sr=rate, target_sr=SAMPLE_RATE)
    return (mono / np.max(np.abs(mono))).astype(np.float32)


def rock_pattern(beat: int, eighth: int) -> list[Lane]:
    """Lanes struck on the `eighth` (0 or 1) of beat `beat` (0..3) of a bar: a basic rock beat."""
    lanes = [Lane.HIHAT_CLOSED]
    if eighth == 0 and beat in (0, 2):
        lanes.append(Lane.BASS_DRUM)
    if eighth == 1 and beat == 2:
        lanes.append(Lane.BASS_DRUM)
    if eighth == 0 and beat in (1, 3):
        lanes.append(Lane.SNARE)
    return lanes


def render_groove(
    *, seconds: float = 20.0, bpm_start: float = 120.0, bpm_end: float | None = None, lead_in_s: float = 0.5
) -> Groove:
    """A rock groove of about `seconds`, tempo moving linearly from bpm_start to bpm_end per beat.

    A crash marks the first beat of every fourth bar. A bass tone holds under everything.
    """
    bpm_end = bpm_start if bpm_end is None else bpm_end
    total = int(seconds * SAMPLE_RATE)
    mix = np.zeros(total + SAMPLE_RATE, dtype=np.float32)
    hits: dict[Lane, list[float]] = {lane: [] for lane in ONE_SHOTS}
    beat_time, beat = lead_in_s, 0
    while beat_time < seconds - 1.0:
        progress = beat_time / seconds
        period = 60.0 / (bpm_start + (bpm_end - bpm_start) * progress)
        for eighth in (0, 1):
            lanes = rock_pattern(beat % 4, eighth)
            if eighth == 0 and beat % 16 == 0:
                lanes.append(Lane.CRASH)
            for lane in lanes:
                time = beat_time + eighth * period / 2
                hits[lane].append(time)
                start = int(round(time * SAMPLE_RATE))
                sound = one_shot(lane)[: mix.size - start] * GAINS[lane]
                mix[start : start + sound.size] += sound
        beat_time += period
        beat += 1
    t = np.arange(total) / SAMPLE_RATE
    bass = BASS_GAIN * (np.sin(2 * np.pi * BASS_FREQUENCY_HZ * t) + 0.3 * np.sin(4 * np.pi * BASS_FREQUENCY_HZ * t))
    mix = mix[:total] + bass.astype(np.float32)
    mix /= max(1.0, float(np.max(np.abs(mix))) / 0.95)
    stereo = np.stack([mix, mix])
    return Groove(
        samples=stereo, sample_rate=SAMPLE_RATE, hits={k: np.array(v) for k, v in hits.items()},
        bpm_start=bpm_start, bpm_end=bpm_end,
    )


def write_groove(groove: Groove, path: Path) -> Path:
    """Write the groove to `path` (format from the suffix: .wav or .flac; .mp3 via FFmpeg)."""
    if path.suffix in (".wav", ".flac"):
        soundfile.write(path, groove.samples.T, groove.sample_rate)
    else:
        import subprocess

        wav = path.with_suffix(".tmp.wav")
        soundfile.write(wav, groove.samples.T, groove.sample_rate)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-b:a", "192k", str(path)], check=True)
        wav.unlink()
    return path
