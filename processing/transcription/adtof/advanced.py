"""The `advanced-features` track: the `adtof` track with fitted per-hit decisions.

Composition: Frame_RNN activations -> peak picking -> tom hits kept only where the fitted
model says they are toms -> lane refinement, with crash or ride and open or closed hi-hat
decided by the fitted models -> hits (models: hit_model). The measured gains over the `adtof`
track's rules, on held-out Groove renders, are in bench/RESULTS.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from processing.audio import DecodedAudio
from processing.transcription.adtof import hit_model, lanes, peaks, track
from processing.transcription.base import Hit


def transcribe(
    *, audio: DecodedAudio, model_dir: Path, thresholds: tuple[float, ...] = peaks.THRESHOLDS,
    lane_rules: tuple[str, ...] = lanes.RULES,
) -> list[Hit]:
    """Drum hits of `audio` in DTX lanes (see the `adtof` track for the parameters). Raises
    MissingWeightsError when the per-hit model's file is missing."""
    models = hit_model.load_hit_models()
    _, curves = track.analyse(audio=audio, model_dir=model_dir)
    return fitted_lane_hits(audio=audio, curves=curves, models=models, thresholds=tuple(thresholds),
                            lane_rules=lane_rules)


def fitted_lane_hits(*, audio: DecodedAudio, curves: np.ndarray, models: hit_model.HitModels,
                     thresholds: tuple[float, ...], lane_rules: tuple[str, ...]) -> list[Hit]:
    """The hits of drum activations (frames, 5) at 100 fps, with toms kept, and cymbals and
    hi-hats split, by the fitted `models`: the steps after the network, shared by every track
    that uses them."""
    onsets = peaks.pick_onsets(activations=curves, thresholds=thresholds)
    toms = onsets[hit_model.TT]
    real, _ = models.real_tom.decide(hit_model.tom_features(activations=curves, onsets=toms))
    onsets[hit_model.TT] = toms[real]
    return track.lane_hits(audio=audio, curves=curves, onsets=onsets, thresholds=thresholds,
                           lane_rules=lane_rules, split_cymbals=hit_model.ride_split(model=models.ride, activations=curves),
                           split_hihat=hit_model.hihat_split(model=models.open_hihat))
