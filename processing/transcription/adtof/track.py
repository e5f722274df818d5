"""The `adtof` track: ADTOF's Frame_RNN network on the song, peak picking, DTX lanes.

Composition: log-filterbank features -> Frame_RNN activations (5 classes) -> upstream's
peak picking with per-class thresholds -> lane refinement (open hi-hat, ride, three toms,
left crash) from the audio around each hit.

A hit's confidence is the product of two clearness scores in [0, 1]: how far its peak clears
its class's threshold (`peaks.onset_confidences`) and how clear the lane refinement's choice
was (`lanes.refine_lanes`; 1 where no rule split the class). Either one near its boundary
makes the hit uncertain.
"""

from __future__ import annotations

import logging
import time
import weakref
from functools import lru_cache
from pathlib import Path

import numpy as np

from processing import inference, timing
from processing.audio import DecodedAudio
from processing.lanes import Lane
from processing.transcription.adtof import features, lanes, peaks
from processing.transcription.base import Hit
from processing.weights import ADTOF_FRAME_RNN, ensure_model

WEIGHTS_PREFIX = "Frame_RNN_adtofAll_0"
# The network's class (index into its outputs) behind each refined lane: its activation is the hit's velocity.
CLASS_OF_LANE = {"BD": 0, "SD": 1, "HT": 2, "LT": 2, "FT": 2, "HH": 3, "HHO": 3, "LP": 3, "CY": 4, "RD": 4, "LC": 4}

logger = logging.getLogger(__name__)


@lru_cache(maxsize=2)
def load_transcriber(weights_prefix: str):
    """The Frame_RNN with its compiled functions, built once per process and reused."""
    from processing.transcription.adtof.network import Transcriber  # TensorFlow loads only when needed

    started = time.perf_counter()
    transcriber = Transcriber(weights_prefix=weights_prefix)
    logger.info("Built the Frame_RNN from %s in %.1f s", weights_prefix, time.perf_counter() - started)
    return transcriber


# The last analysis, for as long as its audio is alive: the tempo map and the transcription of
# one song share it instead of running the network twice. The audio is held by a weak
# reference, so the memo never keeps a song (210 MB for 10 minutes) alive into the next job.
_last_analysis: list[tuple[weakref.ref, str, np.ndarray, np.ndarray]] = []


def analyse(*, audio: DecodedAudio, model_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """(spectrogram (frames, 84), activations (frames, 5)) of `audio`, 100 frames per second.

    Inside `inference.model_service(url=...)` the network runs in the model service, and this
    process neither reads the weights nor builds the network.
    """
    source = network_source(model_dir=model_dir)
    for samples, cached_source, spectrogram, curves in _last_analysis:
        if samples() is audio.samples and cached_source == source:
            return spectrogram, curves
    with timing.stage(timing.TRANSCRIBE):
        spectrogram = features.log_filterbank_spectrogram(samples=audio.mono(), sample_rate=audio.sample_rate)
        curves = network_activations(spectrogram=spectrogram, source=source)
    _last_analysis[:] = [(weakref.ref(audio.samples), source, spectrogram, curves)]
    return spectrogram, curves


def network_activations(*, spectrogram: np.ndarray, source: str) -> np.ndarray:
    """The Frame_RNN's activations (frames, 5) of a spectrogram (frames, 84): in the model
    service when `source` is its URL (inference.service_url()), else from the weights folder
    `source` (ensure_model's answer)."""
    if source == inference.service_url():
        return inference.remote_drum_activations(features=spectrogram)
    return load_transcriber(str(Path(source) / WEIGHTS_PREFIX)).activations(features=spectrogram)


def network_source(*, model_dir: Path) -> str:
    """Where the network runs: the model service's URL, or the checked weights folder."""
    return inference.service_url() or str(ensure_model(spec=ADTOF_FRAME_RNN, model_dir=model_dir))


def transcribe(
    *, audio: DecodedAudio, model_dir: Path, thresholds: tuple[float, ...] = peaks.THRESHOLDS,
    lane_rules: tuple[str, ...] = lanes.RULES,
) -> list[Hit]:
    """Drum hits of `audio` in DTX lanes.

    thresholds: peak-picking margins per class (BD, SD, TT, HH, CY).
    lane_rules: which refinements of lanes.RULES to apply.
    """
    _, curves = analyse(audio=audio, model_dir=model_dir)
    onsets = peaks.pick_onsets(activations=curves, thresholds=tuple(thresholds))
    return lane_hits(audio=audio, curves=curves, onsets=onsets, thresholds=tuple(thresholds), lane_rules=lane_rules)


def lane_hits(*, audio: DecodedAudio, curves: np.ndarray, onsets: list[np.ndarray], thresholds: tuple[float, ...],
              lane_rules: tuple[str, ...], split_cymbals=lanes.ride_by_decay,
              split_hihat=lanes.hihat_by_decay) -> list[Hit]:
    """The hits of the network's class onsets (per class, seconds), each in its DTX lane
    (split_cymbals, split_hihat: see lanes.refine_lanes), with its velocity (the class's activation) and
    confidence (the peak's times the lane's)."""
    peak_confidences = peaks.onset_confidences(activations=curves, onsets=onsets, thresholds=thresholds)
    with timing.stage(timing.LANES):
        lane_onsets = lanes.refine_lanes(samples=audio.samples.T, sample_rate=audio.sample_rate, onsets=onsets,
                                         rules=tuple(lane_rules), split_cymbals=split_cymbals,
                                         split_hihat=split_hihat)
    hits = []
    for lane_name, (times, lane_confidences) in lane_onsets.items():
        k = CLASS_OF_LANE[lane_name]
        frames = np.clip(np.round(times * peaks.FRAME_RATE).astype(int), 0, len(curves) - 1)
        velocities = curves[frames, k]
        # a lane's onsets are some of its class's, the very same floats: found exactly
        confidences = peak_confidences[k][np.searchsorted(onsets[k], times)] * lane_confidences
        hits.extend(Hit(float(t), Lane(lane_name), float(v), float(c))
                    for t, v, c in zip(times, velocities, confidences))
    return hits
