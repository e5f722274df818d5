"""The per-hit models of the `advanced-features` track: fitted decisions, not set thresholds.

- Real tom or not: P(tom) of each of the network's tom hits, from how clearly its activation
  rises above the song's tom floor, how much the kick and snare sound at the same moment (the
  network's tom class fires on snare and kick hits in songs without toms) and how many tom
  hits the song has.
- Ride or crash: P(ride) of each cymbal hit, from its decay (a crash rings, a ride pings),
  that decay against the song's other cymbal hits, and whether it keeps time (the cymbal hits
  within a second of it, the song's cymbal hits per minute).
- Open or closed hi-hat: P(open) of each hi-hat hit, from how it rings on: its decay within
  100 ms (the `adtof` track's rule), the deepest level it falls to within 150 and 250 ms and how
  fast, how far it rose above the mix, and how dark its sound is against the song's other
  hi-hat hits. A loose closed hi-hat rings for 100 ms like an open one, but not for 250.

Each is a logistic regression on standardised features, fitted by bench/fit_hit_model.py on
Groove MIDI renders (never on the development songs) and stored as JSON in MODEL_FILE: the tom
and cymbal models on General MIDI soundfont renders, the hi-hat model on renders through
recorded acoustic kits (a soundfont has one open and one closed hi-hat sample, and some of
Groove's "open" notes sound closed through them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from processing.transcription.adtof import lanes
from processing.weights import MissingWeightsError

MODEL_FILE = Path(__file__).with_name("hit_model.json")
FRAME_RATE = 100  # activation and envelope frames per second
BD, SD, TT, HH, CY = range(5)  # the network's classes
CYMBAL_FEATURES = ("decay_db", "decay_vs_song_db", "cymbals_within_s", "cymbals_per_minute", "activation",
                   "kick_activation")
HIHAT_FEATURES = ("decay_db", "ring_150ms_db", "ring_250ms_db", "ring_fall_db_per_frame", "rise_db",
                  "tilt_vs_song_db")
# Frames after a hi-hat hit over which its ring is read (ring_150ms_db, ring_250ms_db).
HIHAT_RING_FRAMES = (15, 25)
# The window (seconds either side) in which a ride's neighbours keep time.
TIMEKEEPING_S = 1.0
TOM_FEATURES = ("activation", "activation_vs_song", "activation_vs_floor", "kick_activation", "snare_activation",
                "toms_per_minute")
# The song's tom floor: this percentile of the tom activation over the whole song.
TOM_FLOOR_PERCENTILE = 90
EPSILON = 1e-6


@dataclass(frozen=True)
class LogisticModel:
    """P(positive) = sigmoid(((features - mean) / scale) @ coefficients + intercept); a hit is
    positive above `threshold`, the one with the best F-measure on the training hits."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coefficients: np.ndarray
    intercept: float
    threshold: float = 0.5

    def decide(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positive, confidence) per hit: confidence 0 at the threshold, 1 at P = 0 or 1."""
        probability = self.probability(values)
        distance = np.where(probability > self.threshold, (probability - self.threshold) / (1.0 - self.threshold),
                            (self.threshold - probability) / self.threshold)
        return probability > self.threshold, np.clip(distance, 0.0, 1.0)

    def probability(self, values: np.ndarray) -> np.ndarray:
        """values: (n, len(features)) -> (n,) in (0, 1)."""
        standard = (np.asarray(values, dtype=float).reshape(-1, len(self.features)) - self.mean) / self.scale
        return 1.0 / (1.0 + np.exp(-(standard @ self.coefficients + self.intercept)))

    def as_json(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coefficients": self.coefficients.tolist(), "intercept": self.intercept, "threshold": self.threshold}

    @classmethod
    def from_json(cls, data: dict) -> "LogisticModel":
        return cls(features=tuple(data["features"]), mean=np.array(data["mean"]), scale=np.array(data["scale"]),
                   coefficients=np.array(data["coefficients"]), intercept=float(data["intercept"]),
                   threshold=float(data["threshold"]))


@dataclass(frozen=True)
class HitModels:
    real_tom: LogisticModel
    ride: LogisticModel
    open_hihat: LogisticModel


def load_hit_models(path: Path = MODEL_FILE) -> HitModels:
    """The fitted models. Raises MissingWeightsError naming the file when it is missing or
    unreadable (the same message a track without its network weights gives)."""
    try:
        data = json.loads(path.read_text())
        models = HitModels(real_tom=LogisticModel.from_json(data["real_tom"]),
                           ride=LogisticModel.from_json(data["ride"]),
                           open_hihat=LogisticModel.from_json(data["open_hihat"]))
    except (OSError, ValueError, KeyError) as error:
        raise MissingWeightsError(
            f"The advanced-features track needs its per-hit model {path.name}, which is missing or damaged "
            f"({type(error).__name__}). Reinstall Audio2DTX or refit it with bench/fit_hit_model.py."
        ) from None
    if (models.real_tom.features, models.ride.features, models.open_hihat.features) != (
            TOM_FEATURES, CYMBAL_FEATURES, HIHAT_FEATURES):
        raise MissingWeightsError(f"The per-hit model {path.name} was fitted on other features: refit it.")
    return models


def _at(curve: np.ndarray, times: np.ndarray) -> np.ndarray:
    frames = np.clip(np.round(np.asarray(times) * FRAME_RATE).astype(int), 0, len(curve) - 1)
    return curve[frames]


def tom_features(*, activations: np.ndarray, onsets: np.ndarray) -> np.ndarray:
    """TOM_FEATURES of each tom hit: (n, 6). activations: (frames, 5); onsets: (n,) s."""
    onsets = np.asarray(onsets, dtype=float)
    if onsets.size == 0:
        return np.zeros((0, len(TOM_FEATURES)))
    toms = activations[:, TT]
    activation = _at(toms, onsets)
    floor = np.percentile(toms, TOM_FLOOR_PERCENTILE)
    minutes = max(len(toms) / FRAME_RATE / 60.0, EPSILON)
    return np.column_stack([activation, activation - np.median(activation), activation - floor,
                            _at(activations[:, BD], onsets), _at(activations[:, SD], onsets),
                            np.full(onsets.size, onsets.size / minutes)])


def kept_toms(*, model: LogisticModel, activations: np.ndarray, toms: np.ndarray) -> np.ndarray:
    """The tom hits of `toms` ((n,) s, ascending) that the real-tom `model` says are toms.
    activations: (frames, 5)."""
    return toms[model.decide(tom_features(activations=activations, onsets=toms))[0]]


def neighbours_within(*, times: np.ndarray, window_s: float) -> np.ndarray:
    """For each of `times` ((n,) s, increasing), how many of the others lie less than
    `window_s` seconds away: (n,) int. A ride keeps time, so its hits have many."""
    times = np.asarray(times, dtype=float)
    return (np.searchsorted(times, times + window_s, side="left")
            - np.searchsorted(times, times - window_s, side="right") - 1)


def cymbal_features(*, envelope_db: np.ndarray, activations: np.ndarray, onsets: np.ndarray) -> np.ndarray:
    """CYMBAL_FEATURES of each cymbal hit: (n, 6).

    envelope_db: (frames,) cymbal band level in dB at 100 fps; activations: (frames, 5);
    onsets: (n,) the cymbal hits (s).
    """
    onsets = np.asarray(onsets, dtype=float)
    if onsets.size == 0:
        return np.zeros((0, len(CYMBAL_FEATURES)))
    decay = lanes.cymbal_decay_db(envelope_db=envelope_db, onsets=onsets)
    neighbours = neighbours_within(times=onsets, window_s=TIMEKEEPING_S)
    minutes = max(len(activations) / FRAME_RATE / 60.0, EPSILON)
    return np.column_stack([decay, decay - np.median(decay), neighbours, np.full(onsets.size, onsets.size / minutes),
                            _at(activations[:, CY], onsets), _at(activations[:, BD], onsets)])


def ride_split(*, model: LogisticModel, activations: np.ndarray):
    """A cymbal split for lanes.refine_lanes: (envelope_db, onsets) -> (is_ride, confidence)."""
    def split(*, envelope_db, onsets):
        return model.decide(cymbal_features(envelope_db=envelope_db, activations=activations, onsets=onsets))
    return split


def hihat_features(*, signals: lanes.HihatSignals, onsets: np.ndarray) -> np.ndarray:
    """HIHAT_FEATURES of each hi-hat hit: (n, 6). onsets: (n,) the hi-hat hits (s)."""
    onsets = np.asarray(onsets, dtype=float)
    if onsets.size == 0:
        return np.zeros((0, len(HIHAT_FEATURES)))
    envelope = signals.envelope_db
    decay = lanes.hihat_decay_db(envelope_db=envelope, onsets=onsets, all_onsets=signals.all_onsets)
    ringing = np.concatenate([onsets, signals.cymbal_onsets])
    short_frames, long_frames = HIHAT_RING_FRAMES
    short_depth, _ = lanes.hihat_ring_db(envelope_db=envelope, onsets=onsets, masking_onsets=ringing,
                                         last_frame=short_frames)
    long_depth, long_fall = lanes.hihat_ring_db(envelope_db=envelope, onsets=onsets, masking_onsets=ringing,
                                                last_frame=long_frames)
    tilt = lanes.hihat_tilt_db(tilt_db=signals.tilt_db, onsets=onsets)
    return np.column_stack([decay, short_depth, long_depth, long_fall,
                            lanes.hihat_rise_db(envelope_db=envelope, onsets=onsets), tilt - np.median(tilt)])


def hihat_split(*, model: LogisticModel):
    """A hi-hat split for lanes.refine_lanes: (signals, onsets) -> (is_open, confidence)."""
    def split(*, signals, onsets):
        return model.decide(hihat_features(signals=signals, onsets=onsets))
    return split
