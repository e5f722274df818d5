"""The `multi-scale` track: the Frame_RNN run on the song at several slight time-stretches, its
activations brought back to the song's time and averaged (test-time augmentation), then the
`advanced-features` steps (fitted tom, cymbal and hi-hat decisions, lanes).

A hit that falls between two of the network's 10 ms frames, or a blurred flam, lands on a
different frame at each stretch; averaging the stretched views sharpens what they agree on.
The stretch is a resampling (pitch moves with it by under a semitone), which the network,
trained on many kits, tolerates.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from processing import timing
from processing.audio import DecodedAudio
from processing.transcription.adtof import advanced, features, hit_model, lanes, peaks, track
from processing.transcription.base import Hit

# Duration factors of the stretched views (1 is the song itself).
STRETCHES = (0.95, 1.0, 1.05)
FRAME_RATE = 100  # the network's frames per second


def stretched_activations(*, mono: np.ndarray, sample_rate: int, stretch: float, source: str,
                          n_frames: int) -> np.ndarray:
    """The network's activations of `mono` ((n,) float32 at sample_rate Hz) played `stretch`
    times as long, brought back to the song's frames: (n_frames, 5) at 100 fps."""
    ratio = Fraction(stretch).limit_denominator(100)
    stretched = resample_poly(mono, ratio.numerator, ratio.denominator).astype(np.float32)
    spectrogram = features.log_filterbank_spectrogram(samples=stretched, sample_rate=sample_rate)
    curves = track.network_activations(spectrogram=spectrogram, source=source)
    # frame i of the song is at i / 100 s, which the stretched view reaches at i * stretch frames
    positions = np.arange(n_frames) * stretch
    frames = np.arange(len(curves))
    return np.column_stack([np.interp(positions, frames, curves[:, k]) for k in range(curves.shape[1])])


def transcribe(
    *, audio: DecodedAudio, model_dir: Path, thresholds: tuple[float, ...] = peaks.THRESHOLDS,
    lane_rules: tuple[str, ...] = lanes.RULES, stretches: tuple[float, ...] = STRETCHES,
) -> list[Hit]:
    """Drum hits of `audio` in DTX lanes from the mean activations of `stretches` (see the
    `adtof` track for the other parameters)."""
    models = hit_model.load_hit_models()
    _, curves = track.analyse(audio=audio, model_dir=model_dir)
    source = track.network_source(model_dir=model_dir)
    views = [curves]
    with timing.stage(timing.TRANSCRIBE):
        mono = audio.mono()
        views += [stretched_activations(mono=mono, sample_rate=audio.sample_rate, stretch=stretch, source=source,
                                        n_frames=len(curves)) for stretch in stretches if stretch != 1.0]
    return advanced.fitted_lane_hits(audio=audio, curves=np.mean(views, axis=0), models=models,
                                     thresholds=tuple(thresholds), lane_rules=lane_rules)
