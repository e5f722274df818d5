"""The package's preview: a short clip from the liveliest part of the song."""

from __future__ import annotations

import numpy as np

PREVIEW_S = 20.0
FADE_S = 0.5
ANALYSIS_STEP_S = 0.5


def liveliest_start(*, mono: np.ndarray, sample_rate: int, duration_s: float = PREVIEW_S) -> float:
    """Start (s) of the `duration_s` window of `mono` ((n,) float) with the most energy.

    Energy, not loudness peaks: a chorus keeps its level for the whole window.
    """
    step = int(ANALYSIS_STEP_S * sample_rate)
    usable = mono[: mono.size - mono.size % step]
    if usable.size == 0:
        return 0.0
    energy = np.square(usable.astype(np.float64)).reshape(-1, step).sum(axis=1)
    window = max(1, int(round(duration_s / ANALYSIS_STEP_S)))
    if energy.size <= window:
        return 0.0
    sums = np.convolve(energy, np.ones(window), mode="valid")
    return float(np.argmax(sums) * ANALYSIS_STEP_S)


def preview_clip(*, samples: np.ndarray, sample_rate: int, duration_s: float = PREVIEW_S) -> np.ndarray:
    """(channels, m) float32 clip of (channels, n) `samples` from the liveliest window, faded in and out."""
    start = int(liveliest_start(mono=samples.mean(axis=0), sample_rate=sample_rate, duration_s=duration_s) * sample_rate)
    clip = samples[:, start : start + int(duration_s * sample_rate)].astype(np.float32, copy=True)
    fade = min(int(FADE_S * sample_rate), clip.shape[1] // 2)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        clip[:, :fade] *= ramp
        clip[:, -fade:] *= ramp[::-1]
    return clip
