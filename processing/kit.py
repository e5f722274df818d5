"""The project's own drum kit, synthesised in code: one chip sound per lane.

Each sound is a few lines of additive or subtractive synthesis (decaying sines, pitch
sweeps, filtered noise), seeded so that every package gets the same kit.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from processing.audio import SAMPLE_RATE
from processing.lanes import Lane

SEED = 2024
PEAK_LEVEL = 0.89  # about -1 dBFS
FADE_OUT_S = 0.005


def _time(duration_s: float) -> np.ndarray:
    return np.arange(int(duration_s * SAMPLE_RATE)) / SAMPLE_RATE


def _noise(duration_s: float, seed_offset: int) -> np.ndarray:
    return np.random.default_rng(SEED + seed_offset).uniform(-1.0, 1.0, int(duration_s * SAMPLE_RATE))


def _band(noise: np.ndarray, low_hz: float, high_hz: float | None = None) -> np.ndarray:
    if high_hz is None:
        sos = signal.butter(4, low_hz, btype="highpass", fs=SAMPLE_RATE, output="sos")
    else:
        sos = signal.butter(4, [low_hz, high_hz], btype="bandpass", fs=SAMPLE_RATE, output="sos")
    return signal.sosfilt(sos, noise)


def _sweep(t: np.ndarray, start_hz: float, end_hz: float, sweep_s: float) -> np.ndarray:
    """A sine whose pitch falls exponentially from start_hz toward end_hz."""
    frequency = end_hz + (start_hz - end_hz) * np.exp(-t / sweep_s)
    return np.sin(2 * np.pi * np.cumsum(frequency) / SAMPLE_RATE)


def _metallic(t: np.ndarray, partials_hz: tuple[float, ...]) -> np.ndarray:
    """Square-wave partials at inharmonic ratios: the classic analogue cymbal timbre."""
    return sum(signal.square(2 * np.pi * f * t) for f in partials_hz) / len(partials_hz)


CYMBAL_PARTIALS_HZ = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)


def kick() -> np.ndarray:
    t = _time(0.45)
    body = _sweep(t, 160.0, 48.0, 0.04) * np.exp(-t / 0.16)
    click = _band(_noise(0.45, 1), 1500, 5000) * np.exp(-t / 0.004) * 0.3
    return body + click


def snare() -> np.ndarray:
    t = _time(0.35)
    body = (np.sin(2 * np.pi * 185 * t) + 0.5 * np.sin(2 * np.pi * 330 * t)) * np.exp(-t / 0.05)
    wires = _band(_noise(0.35, 2), 1800, 9000) * np.exp(-t / 0.09)
    return 0.6 * body + wires


def hihat(decay_s: float) -> np.ndarray:
    t = _time(max(0.12, decay_s * 6))
    tone = _band(_metallic(t, CYMBAL_PARTIALS_HZ) + 0.5 * _noise(t.size / SAMPLE_RATE, 3), 7000)
    return tone * np.exp(-t / decay_s)


def tom(pitch_hz: float) -> np.ndarray:
    t = _time(0.6)
    body = _sweep(t, pitch_hz * 1.5, pitch_hz, 0.03) * np.exp(-t / 0.2)
    skin = _band(_noise(0.6, 4), 400, 3000) * np.exp(-t / 0.02) * 0.2
    return body + skin


def crash() -> np.ndarray:
    t = _time(2.0)
    wash = _band(_noise(2.0, 5), 3000) + 0.4 * _band(_metallic(t, CYMBAL_PARTIALS_HZ), 2500)
    return wash * np.exp(-t / 0.6)


def ride() -> np.ndarray:
    t = _time(1.2)
    bell = sum(np.sin(2 * np.pi * f * t) for f in (620.0, 1480.0, 2310.0, 3120.0)) / 4 * np.exp(-t / 0.35)
    ping = _band(_noise(1.2, 6), 5000) * np.exp(-t / 0.12)
    return 0.5 * bell + ping


def pedal_hihat() -> np.ndarray:
    t = _time(0.1)
    return _band(_noise(0.1, 7), 2500, 9000) * np.exp(-t / 0.012)


SYNTHS = {
    Lane.BASS_DRUM: kick,
    Lane.LEFT_BASS_DRUM: kick,
    Lane.SNARE: snare,
    Lane.HIHAT_CLOSED: lambda: hihat(0.03),
    Lane.HIHAT_OPEN: lambda: hihat(0.3),
    Lane.HIHAT_PEDAL: pedal_hihat,
    Lane.HIGH_TOM: lambda: tom(220.0),
    Lane.LOW_TOM: lambda: tom(160.0),
    Lane.FLOOR_TOM: lambda: tom(105.0),
    Lane.CRASH: crash,
    Lane.LEFT_CRASH: crash,
    Lane.RIDE: ride,
}


def chip_sound(*, lane: Lane) -> np.ndarray:
    """(n,) float32 mono chip sound for `lane` at 44.1 kHz, peak-normalised, faded out."""
    sound = np.asarray(SYNTHS[lane](), dtype=float)
    fade = int(FADE_OUT_S * SAMPLE_RATE)
    sound[-fade:] *= np.linspace(1.0, 0.0, fade)
    return (PEAK_LEVEL * sound / np.max(np.abs(sound))).astype(np.float32)
