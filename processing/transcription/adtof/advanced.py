"""The `advanced-features` track: the `adtof` track with fitted per-hit decisions.

Composition: Frame_RNN activations -> peak picking -> tom hits kept only where the fitted
model says they are toms -> lane refinement, with crash or ride and open or closed hi-hat
decided by the fitted models -> hits (models: hit_model), and weaker tom hits where they repeat
the song's tom figure, in the lane of the hit they repeat (tom_pattern). The measured gains
over the `adtof` track's rules, on held-out Groove renders, are in bench/RESULTS.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from processing.audio import DecodedAudio
from processing.lanes import Lane
from processing.transcription.adtof import hit_model, lanes, peaks, tom_pattern, track
from processing.transcription.base import Hit

TOM_LANES = (Lane.HIGH_TOM, Lane.LOW_TOM, Lane.FLOOR_TOM)


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
    hits = track.lane_hits(audio=audio, curves=curves, onsets=onsets, thresholds=thresholds,
                           lane_rules=lane_rules, split_cymbals=hit_model.ride_split(model=models.ride, activations=curves),
                           split_hihat=hit_model.hihat_split(model=models.open_hihat))
    return hits + _tom_figure_repeats(curves=curves, tom_times=toms[real], hits=hits)


def _tom_figure_repeats(*, curves: np.ndarray, tom_times: np.ndarray, hits: list[Hit]) -> list[Hit]:
    """The weaker tom hits that repeat the song's tom figure (tom_pattern), each in the lane of
    the hit it repeats: the same drum played again, whose pitch a masked repeat reads less
    surely. Their confidence is 0, as they fall below the network's threshold: the preview
    marks them for the player to check."""
    times, repeated = tom_pattern.repeated_toms(activation=curves[:, hit_model.TT], tom_times=tom_times)
    kept = sorted((hit for hit in hits if hit.lane in TOM_LANES), key=lambda hit: hit.time_s)
    kept_times = np.array([hit.time_s for hit in kept])
    frames = np.clip(np.round(times * hit_model.FRAME_RATE).astype(int), 0, len(curves) - 1)
    return [Hit(float(time), kept[int(np.argmin(np.abs(kept_times - tom_times[source])))].lane,
                float(curves[frame, hit_model.TT]), 0.0)
            for time, source, frame in zip(times, repeated, frames)]
