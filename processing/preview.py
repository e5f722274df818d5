"""The package's preview: a short clip from the liveliest part of the song."""

from __future__ import annotations

import numpy as np

PREVIEW_S = 20.0
FADE_S = 0.5
ANALYSIS_STEP_S = 0.5


def liveliest_start(*, samples: np.ndarray, sample_rate: int) -> float:
    """Start (s) of the PREVIEW_S window of `samples` ((channels, n) float) with the most energy.

    Energy, not loudness peaks: a chorus keeps its level for the whole window. Summed block
    by block in place of a squared copy of the song (which, in float64, is 400 MB for ten
    minutes of stereo).
    """
    samples = np.atleast_2d(samples)
    step = int(ANALYSIS_STEP_S * sample_rate)
    n_blocks = samples.shape[1] // step
    if n_blocks == 0:
        return 0.0
    blocks = samples[:, : n_blocks * step].reshape(samples.shape[0], n_blocks, step)
    energy = np.einsum("cbs,cbs->b", blocks, blocks, dtype=np.float64)
    window = max(1, int(round(PREVIEW_S / ANALYSIS_STEP_S)))
    if energy.size <= window:
        return 0.0
    sums = np.convolve(energy, np.ones(window), mode="valid")
    return float(np.argmax(sums) * ANALYSIS_STEP_S)


def preview_clip(*, samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """(channels, m) float32 clip of (channels, n) `samples` from the liveliest window, faded in and out."""
    start = int(liveliest_start(samples=samples, sample_rate=sample_rate) * sample_rate)
    clip = samples[:, start : start + int(PREVIEW_S * sample_rate)].astype(np.float32, copy=True)
    fade = min(int(FADE_S * sample_rate), clip.shape[1] // 2)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        clip[:, :fade] *= ramp
        clip[:, -fade:] *= ramp[::-1]
    return clip
