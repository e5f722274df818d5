"""The `advanced-features` track: the `adtof` track with a fitted per-hit decision on toms.

Composition: Frame_RNN activations -> peak picking -> tom hits kept only where the fitted
model (hit_model) says they are toms -> lane refinement -> hits. The network's tom class
fires on snares and kicks in songs without toms; on held-out Groove renders the model keeps
99 % of the real tom hits and drops 57 % of all tom hits (tom F 0.57 -> 0.95).
"""

from __future__ import annotations

from pathlib import Path

from processing.audio import DecodedAudio
from processing.transcription.adtof import hit_model, lanes, peaks, track
from processing.transcription.base import Hit


def transcribe(
    *, audio: DecodedAudio, model_dir: Path, thresholds: tuple[float, ...] = peaks.THRESHOLDS,
    lane_rules: tuple[str, ...] = lanes.RULES,
) -> list[Hit]:
    """Drum hits of `audio` in DTX lanes (see the `adtof` track for the parameters). Raises
    MissingWeightsError when the per-hit model's file is missing."""
    model = hit_model.load_tom_model()
    _, curves = track.analyse(audio=audio, model_dir=model_dir)
    onsets = peaks.pick_onsets(activations=curves, thresholds=tuple(thresholds))
    toms = onsets[hit_model.TT]
    real, _ = model.decide(hit_model.tom_features(activations=curves, onsets=toms))
    onsets[hit_model.TT] = toms[real]
    return track.lane_hits(audio=audio, curves=curves, onsets=onsets, thresholds=tuple(thresholds),
                           lane_rules=lane_rules)
