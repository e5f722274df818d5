"""The `advanced-features` track: the `adtof` track with fitted per-hit decisions.

Composition: Frame_RNN activations -> peak picking -> tom hits kept only where the fitted
model says they are toms, and the strokes of tom fills too close together for the picking
(tom_fills) -> lane refinement, with crash or ride and open or closed hi-hat
decided by the fitted models -> hits (models: hit_model), and the kick, snare, tom and hi-hat
peaks left out that repeat the song's figure of their class, each in the lane of the hit it
repeats (figure_repeats). The measured gains over the `adtof` track's rules, on held-out Groove
renders, are in bench/RESULTS.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from processing.audio import DecodedAudio
from processing.transcription.adtof import figure_repeats, hit_model, lanes, peaks, tom_fills, track
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
    hi-hats split, by the fitted `models`, the strokes of tom fills, and the figures' weaker
    repeats: the steps after the network, shared by every track that uses them."""
    onsets = peaks.pick_onsets(activations=curves, thresholds=thresholds)
    toms = hit_model.kept_toms(model=models.real_tom, activations=curves, toms=onsets[hit_model.TT])
    onsets[hit_model.TT] = tom_fills.with_fill_strokes(toms=toms, activations=curves)
    hits = track.lane_hits(audio=audio, curves=curves, onsets=onsets, thresholds=thresholds,
                           lane_rules=lane_rules,
                           split_cymbals=hit_model.ride_split(model=models.ride, activations=curves),
                           split_hihat=hit_model.hihat_split(model=models.open_hihat))
    return hits + _figure_repeats(curves=curves, onsets=onsets, hits=hits)


def _figure_repeats(*, curves: np.ndarray, onsets: list[np.ndarray], hits: list[Hit]) -> list[Hit]:
    """The weaker hits that repeat the song's figure of their class (figure_repeats), each with
    the lane and velocity of the hit it repeats: the same drum played the same way again, which
    a masked repeat's own sound shows less surely (a tom's pitch under a bass note, a hi-hat
    under a ringing crash, a backbeat under a chord). Their confidence is 0, as the network's
    threshold dropped them (or the tom model turned them away): the preview marks them for the
    player to check."""
    repeats = []
    for k, candidate_threshold in figure_repeats.CANDIDATE_THRESHOLDS.items():
        times, repeated = figure_repeats.repeated_peaks(activation=curves[:, k], times=onsets[k],
                                                        candidate_threshold=candidate_threshold)
        if times.size == 0:
            continue
        picked = sorted((hit for hit in hits if track.CLASS_OF_LANE[hit.lane.value] == k), key=lambda hit: hit.time_s)
        sources, _ = figure_repeats.nearest(times=np.array([hit.time_s for hit in picked]), queries=onsets[k][repeated])
        repeats += [Hit(float(time), picked[source].lane, picked[source].velocity, 0.0)
                    for time, source in zip(times, sources)]
    return repeats
