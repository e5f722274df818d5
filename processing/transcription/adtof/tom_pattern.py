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
# Two hits are one period apart within three activation frames either way (the network's own spread);
# times fall on 10 ms frames, so the half frame more keeps a gap of exactly three frames inside.
PERIOD_TOLERANCE_S = 0.035
# A period is the song's only once this many pairs of kept tom hits repeat at it.
MIN_REPEATS = 4


def figure_period_s(*, tom_times: np.ndarray) -> float | None:
    """The period (seconds) at which the most pairs of `tom_times` (seconds, ascending, shape
    (n,)) lie, within PERIOD_TOLERANCE_S, from PERIOD_RANGE_S; None when fewer than
    MIN_REPEATS pairs repeat at any period.

    Sorted searches, not an all-pairs matrix: a tom-heavy ten-minute song keeps thousands of
    tom hits, with tens of thousands of gaps in range."""
    tom_times = np.asarray(tom_times, dtype=float)
    firsts = np.searchsorted(tom_times, tom_times + PERIOD_RANGE_S[0], side="left")
    lasts = np.searchsorted(tom_times, tom_times + PERIOD_RANGE_S[1], side="right")
    # Sorted, so that of periods with as many repeats the shortest wins.
    gaps = np.sort(np.concatenate([tom_times[first:last] - time
                                   for time, first, last in zip(tom_times, firsts, lasts)] or [np.zeros(0)]))
    if gaps.size == 0:
        return None
    repeats = (np.searchsorted(gaps, gaps + PERIOD_TOLERANCE_S, side="left")
               - np.searchsorted(gaps, gaps - PERIOD_TOLERANCE_S, side="right"))
    best = int(np.argmax(repeats))
    return float(gaps[best]) if repeats[best] >= MIN_REPEATS else None


def _nearest(*, times: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query (seconds), the index of the nearest of `times` (ascending, non-empty)
    and its distance (seconds)."""
    after = np.clip(np.searchsorted(times, queries), 1, len(times) - 1) if len(times) > 1 \
        else np.zeros(len(queries), dtype=int)
    before = np.maximum(after - 1, 0)
    nearest = np.where(np.abs(times[before] - queries) <= np.abs(times[after] - queries), before, after)
    return nearest, np.abs(times[nearest] - queries)


def repeated_toms(*, activation: np.ndarray, tom_times: np.ndarray,
                  candidate_threshold: float = CANDIDATE_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """Tom peaks below the pick threshold that repeat the figure of `tom_times`.

    Parameters
    ----------
    activation : np.ndarray, shape (frames,), the network's tom activation at FRAME_RATE
    tom_times : np.ndarray, shape (n,), the tom hits already kept (seconds, ascending)
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
    _, distance = _nearest(times=tom_times, queries=candidates)
    earlier, earlier_off = _nearest(times=tom_times, queries=candidates - period)
    later, later_off = _nearest(times=tom_times, queries=candidates + period)
    repeats = (distance > PERIOD_TOLERANCE_S) & (np.minimum(earlier_off, later_off) < PERIOD_TOLERANCE_S)
    repeated = np.where(earlier_off <= later_off, earlier, later)
    return candidates[repeats], repeated[repeats]
