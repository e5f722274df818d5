"""The `ensemble` track: ADTOF's Frame_RNN fused with its three CRNN folds, then the
`advanced-features` track's fitted per-hit decisions.

Composition: log-filterbank spectrogram -> Frame_RNN activations (`track.analyse`) and the
CRNN folds' mean activations (`crnn`, on the spectrogram and its rise) -> per class, a weighted
mean of the two with fitted weights -> the `advanced-features` steps on the fused activations
(`advanced.fitted_lane_hits`: peak picking with the thresholds below, tom hits kept by the
fitted tom model, lane refinement with crash or ride and open or closed hi-hat by the fitted
cymbal and hi-hat models).
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from processing import timing
from processing.audio import DecodedAudio
from processing.transcription.adtof import advanced, hit_model, lanes, peaks, track
from processing.transcription.base import Hit
from processing.weights import ADTOF_CRNN, ensure_model

# Fitted by bench/fit_ensemble.py on the 68 Groove renders of Groove's 'train' split
# (bench/groove_renders.py; never on the development songs): per class (BD, SD, TT, HH, CY),
# the Frame_RNN's weight in the fused activation (the CRNN folds' mean has 1 - weight), the one
# with the best onset F (50 ms) over the class's labelled hits at peaks.THRESHOLDS.
# The thresholds are not refitted: fitted on renders they fall to 0.10 (Groove's ghost strokes,
# which the networks barely hear, reward any lower threshold) and cost the development songs
# pooled F 0.762 -> 0.730 (bench/RESULTS.md).
FRAME_RNN_WEIGHTS = (1.0, 1.0, 1.0, 0.65, 0.9)
THRESHOLDS = peaks.THRESHOLDS

logger = logging.getLogger(__name__)


@lru_cache(maxsize=2)
def load_crnn(model_folder: str):
    """The three CRNN folds in `model_folder` with their compiled functions, built once per
    process and reused."""
    from processing.transcription.adtof import crnn  # TensorFlow loads only when needed

    started = time.perf_counter()
    folds = crnn.Crnn(weights_prefixes=tuple(str(Path(model_folder) / prefix) for prefix in crnn.FOLDS))
    logger.info("Built the CRNN folds from %s in %.1f s", model_folder, time.perf_counter() - started)
    return folds


def crnn_activations(*, spectrogram: np.ndarray, model_folder: Path) -> np.ndarray:
    """The CRNN folds' mean activations [shape=(frames, 5)], float32 in [0, 1], frame i at
    i / 100 s, of `spectrogram` [shape=(frames, 84)] (`features.log_filterbank_spectrogram`);
    model_folder holds the checked fold files (`ensure_model(spec=ADTOF_CRNN, ...)`)."""
    from processing.transcription.adtof import crnn

    with timing.stage(timing.TRANSCRIBE):
        return load_crnn(str(model_folder)).activations(features=crnn.input_features(spectrogram=spectrogram))


def fuse(*, frame_rnn: np.ndarray, crnn: np.ndarray,
         weights: tuple[float, ...] = FRAME_RNN_WEIGHTS) -> np.ndarray:
    """Per class, `weights[k] * frame_rnn + (1 - weights[k]) * crnn`: [shape=(frames, 5)],
    float32 in [0, 1]. Both activations are (frames, 5) on the same 100 fps grid."""
    w = np.asarray(weights, dtype=np.float32)
    return (frame_rnn * w + crnn * (1.0 - w)).astype(np.float32)


def transcribe(
    *, audio: DecodedAudio, model_dir: Path, thresholds: tuple[float, ...] = THRESHOLDS,
    fusion_weights: tuple[float, ...] = FRAME_RNN_WEIGHTS, lane_rules: tuple[str, ...] = lanes.RULES,
) -> list[Hit]:
    """Drum hits of `audio` in DTX lanes.

    thresholds: peak-picking margins per class (BD, SD, TT, HH, CY) on the fused activations.
    fusion_weights: the Frame_RNN's weight per class in the fused activations (see `fuse`).
    lane_rules: which refinements of lanes.RULES to apply.
    Raises MissingWeightsError naming any missing Frame_RNN or CRNN file, or the per-hit model.
    """
    models = hit_model.load_hit_models()
    crnn_folder = ensure_model(spec=ADTOF_CRNN, model_dir=model_dir)  # before the Frame_RNN runs: fail early
    spectrogram, frame_rnn = track.analyse(audio=audio, model_dir=model_dir)
    curves = fuse(frame_rnn=frame_rnn, crnn=crnn_activations(spectrogram=spectrogram, model_folder=crnn_folder),
                  weights=tuple(fusion_weights))
    return advanced.fitted_lane_hits(audio=audio, curves=curves, models=models, thresholds=tuple(thresholds),
                                     lane_rules=lane_rules)
