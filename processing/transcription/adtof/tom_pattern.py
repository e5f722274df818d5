"""Toms a song repeats: weak tom peaks one period from the song's own repeating tom figure.

A drummer who plays a tom figure bar after bar (a floor-tom beat, a tom groove) plays it the
same way each time, but the network hears some repeats more weakly than others, under a bass
note or a guitar chord, and its threshold drops them. Where the tom hits already kept repeat at
one period, a weaker tom peak one period from one of them is taken as the figure played again.
A peak off that period, or a song whose toms do not repeat, gains nothing.

Measured by bench/fit_tom_pattern.py: CANDIDATE_THRESHOLD was chosen on Groove's train renders
(soundfonts and recorded kits together); the validation and test renders and the development
songs were held out (bench/RESULTS.md).
"""

from __future__ import annotations

import numpy as np

from processing.transcription.adtof import peaks

FRAME_RATE = 100  # activation frames per second
# A weak tom peak must still clear the moving average by this much (the picked toms clear 0.32).
CANDIDATE_THRESHOLD = 0.20
# A figure repeats every half bar to every two bars: at 60-180 BPM in 4/4, 1 to 5 seconds.
PERIOD_RANGE_S = (1.0, 5.0)
# Two hits are one period apart within three activation frames (the network's own spread).
PERIOD_TOLERANCE_S = 0.03
# A period is the song's only once this many pairs of kept tom hits repeat at it.
MIN_REPEATS = 4


def figure_period_s(*, tom_times: np.ndarray) -> float | None:
    """The period (seconds) at which the most pairs of `tom_times` (seconds, shape (n,)) lie
    within PERIOD_TOLERANCE_S of each other, from PERIOD_RANGE_S; None when fewer than
    MIN_REPEATS pairs repeat at any period."""
    tom_times = np.asarray(tom_times, dtype=float)
    gaps = (tom_times[None, :] - tom_times[:, None]).ravel()
    # Sorted, so that of periods with as many repeats the shortest wins.
    gaps = np.sort(gaps[(gaps >= PERIOD_RANGE_S[0]) & (gaps <= PERIOD_RANGE_S[1])])
    if gaps.size == 0:
        return None
    repeats = np.sum(np.abs(gaps[:, None] - gaps[None, :]) < PERIOD_TOLERANCE_S, axis=1)
    best = int(np.argmax(repeats))
    return float(gaps[best]) if repeats[best] >= MIN_REPEATS else None


def repeated_toms(*, activation: np.ndarray, tom_times: np.ndarray,
                  candidate_threshold: float = CANDIDATE_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """Tom peaks below the pick threshold that repeat the figure of `tom_times`.

    Parameters
    ----------
    activation : np.ndarray, shape (frames,), the network's tom activation at FRAME_RATE
    tom_times : np.ndarray, shape (n,), the tom hits already kept (seconds)
    candidate_threshold : float, how far above its moving average a weaker peak must rise

    Returns
    -------
    (times, repeated): np.ndarray, shape (m,), onset times (seconds, ascending) of the peaks
    that clear `candidate_threshold`, lie more than PERIOD_TOLERANCE_S from every kept hit and
    one figure period (figure_period_s) from one of them; and np.ndarray, shape (m,), the
    index into `tom_times` of the hit each repeats. Both empty when the kept hits repeat at no
    period.
    """
    tom_times = np.asarray(tom_times, dtype=float)
    period = figure_period_s(tom_times=tom_times)
    if period is None:
        return np.zeros(0), np.zeros(0, dtype=int)
    candidates = peaks.pick_frames(activation=activation, threshold=candidate_threshold) / FRAME_RATE
    distances = np.abs(candidates[:, None] - tom_times[None, :])
    off_period = np.abs(distances - period)
    repeats = np.all(distances > PERIOD_TOLERANCE_S, axis=1) & np.any(off_period < PERIOD_TOLERANCE_S, axis=1)
    return candidates[repeats], np.argmin(off_period[repeats], axis=1)
