"""The `adtof` track: ADTOF's Frame_RNN network on the song, peak picking, DTX lanes.

Composition: log-filterbank features -> Frame_RNN activations (5 classes) -> upstream's
peak picking with per-class thresholds -> hits in DTX lanes (lane refinement).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from processing.audio import DecodedAudio
from processing.lanes import Lane
from processing.transcription.adtof import features, peaks
from processing.transcription.base import Hit
from processing.weights import ADTOF_FRAME_RNN, ensure_model

WEIGHTS_PREFIX = "Frame_RNN_adtofAll_0"
# The network's classes as DTX lanes before refinement.
CLASS_LANES = (Lane.BASS_DRUM, Lane.SNARE, Lane.FLOOR_TOM, Lane.HIHAT_CLOSED, Lane.CRASH)


@lru_cache(maxsize=2)
def load_transcriber(weights_prefix: str):
    """The Frame_RNN with its compiled functions, built once per process and reused."""
    from processing.transcription.adtof.network import Transcriber  # TensorFlow loads only when needed

    return Transcriber(weights_prefix=weights_prefix)


def activations(*, audio: DecodedAudio, model_dir: Path) -> np.ndarray:
    """(frames, 5) Frame_RNN activations of `audio` at 100 frames per second."""
    folder = ensure_model(spec=ADTOF_FRAME_RNN, model_dir=model_dir)
    transcriber = load_transcriber(str(folder / WEIGHTS_PREFIX))
    spectrogram = features.log_filterbank_spectrogram(samples=audio.mono(), sample_rate=audio.sample_rate)
    return transcriber.activations(features=spectrogram)


def transcribe(
    *, audio: DecodedAudio, model_dir: Path, thresholds: tuple[float, ...] = peaks.THRESHOLDS
) -> list[Hit]:
    """Drum hits of `audio` in DTX lanes."""
    curves = activations(audio=audio, model_dir=model_dir)
    onsets = peaks.pick_onsets(activations=curves, thresholds=tuple(thresholds))
    hits = []
    for class_index, (lane, times) in enumerate(zip(CLASS_LANES, onsets)):
        frames = np.clip(np.round(times * peaks.FRAME_RATE).astype(int), 0, len(curves) - 1)
        velocities = curves[frames, class_index]
        hits.extend(Hit(float(t), lane, float(v)) for t, v in zip(times, velocities))
    return hits
