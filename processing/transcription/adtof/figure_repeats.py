"""Hits a song repeats: weak peaks one period from the song's own repeating figure, per class.

A drummer plays a figure (a kick pattern, a backbeat with ghost notes, a hi-hat line, a
floor-tom beat) bar after bar, the same way each time, but the network hears some repeats more
weakly than others, under a bass note or a guitar chord, and its threshold drops them (or, for
toms, the tom model turns them away as snare bleed). Where the hits already picked in one class
repeat at one period, a peak of that class one period from one of them is taken as the figure
played again. A peak off that period, or a class whose hits do not repeat, gains nothing.

CANDIDATE_THRESHOLDS were chosen by bench/fit_figure_repeats.py on Groove's train renders
(soundfonts and recorded kits together), and which classes take repeats on its validation
renders; the test renders and the development songs were held out (bench/RESULTS.md).
"""

from __future__ import annotations

import numpy as np

from processing.transcription.adtof import peaks
from processing.transcription.adtof.hit_model import BD, HH, SD, TT

# Per network class: how far above its moving average a peak must rise to be taken as a
# repeat (the picked hits clear peaks.THRESHOLDS, 0.22-0.32). Cymbals take no repeats: on the
# held-out renders every threshold lost, as crashes mark where sections start rather than
# repeat a figure.
CANDIDATE_THRESHOLDS = {BD: 0.02, SD: 0.06, TT: 0.20, HH: 0.02}
# A figure repeats every half bar to every two bars: at 60-180 BPM in 4/4, 1 to 5 seconds.
PERIOD_RANGE_S = (1.0, 5.0)
# Two hits are one period apart within three activation frames either way (the network's own
# spread); times fall on 10 ms frames, so the half frame more keeps a gap of exactly three
# frames inside.
PERIOD_TOLERANCE_S = 0.035
# A period is the song's only once this many pairs of picked hits repeat at it.
MIN_REPEATS = 4


def figure_period_s(*, times: np.ndarray) -> float | None:
    """The period (seconds) at which the most pairs of `times` (one class's hits, seconds,
    ascending, shape (n,)) lie, from PERIOD_RANGE_S: the median of the gaps within
    PERIOD_TOLERANCE_S of the gap that has the most such neighbours. None when fewer than
    MIN_REPEATS pairs repeat at any period.

    Sorted searches, not an all-pairs matrix: a ten-minute song has thousands of hi-hat hits,
    with tens of thousands of gaps in range."""
    times = np.asarray(times, dtype=float)
    firsts = np.searchsorted(times, times + PERIOD_RANGE_S[0], side="left")
    lasts = np.searchsorted(times, times + PERIOD_RANGE_S[1], side="right")
    # Sorted, so that of periods with as many repeats the shortest wins.
    gaps = np.sort(np.concatenate([times[first:last] - time
                                   for time, first, last in zip(times, firsts, lasts)] or [np.zeros(0)]))
    if gaps.size == 0:
        return None
    window_starts = np.searchsorted(gaps, gaps - PERIOD_TOLERANCE_S, side="right")
    window_ends = np.searchsorted(gaps, gaps + PERIOD_TOLERANCE_S, side="left")
    best = int(np.argmax(window_ends - window_starts))
    if window_ends[best] - window_starts[best] < MIN_REPEATS:
        return None
    # The window's median, not its best gap, which may sit at the edge of a jittered cluster.
    return float(np.median(gaps[window_starts[best]:window_ends[best]]))


def nearest(*, times: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query (seconds), the index of the nearest of `times` (ascending, non-empty)
    and its distance (seconds)."""
    if len(times) == 1:
        nearest = np.zeros(len(queries), dtype=int)
    else:
        after = np.clip(np.searchsorted(times, queries), 1, len(times) - 1)
        nearest = np.where(np.abs(times[after - 1] - queries) <= np.abs(times[after] - queries), after - 1, after)
    return nearest, np.abs(times[nearest] - queries)


def repeated_peaks(*, activation: np.ndarray, times: np.ndarray,
                   candidate_threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Peaks of one class, not among its picked `times`, that repeat the figure of those times.

    Parameters
    ----------
    activation : np.ndarray, shape (frames,), the network's activation of the class at
        peaks.FRAME_RATE
    times : np.ndarray, shape (n,), the class's hits already picked (seconds, ascending)
    candidate_threshold : float, how far above its moving average a peak must rise

    Returns
    -------
    (repeats, repeated): np.ndarray, shape (m,), onset times (seconds, ascending) of the peaks
    that clear `candidate_threshold`, lie more than PERIOD_TOLERANCE_S from every picked hit and
    one figure period (figure_period_s) from one of them, the nearest to the period where two
    repeat the same hit on the same side; and np.ndarray, shape (m,), the index into `times` of
    the hit each repeats. Both empty when the picked hits repeat at no period.
    """
    times = np.asarray(times, dtype=float)
    period = figure_period_s(times=times)
    if period is None:
        return np.zeros(0), np.zeros(0, dtype=int)
    candidates = peaks.pick_frames(activation=activation, threshold=candidate_threshold) / peaks.FRAME_RATE
    _, distance = nearest(times=times, queries=candidates)
    earlier, earlier_off = nearest(times=times, queries=candidates - period)
    later, later_off = nearest(times=times, queries=candidates + period)
    after_its_hit = earlier_off <= later_off
    repeated = np.where(after_its_hit, earlier, later)
    off_period = np.minimum(earlier_off, later_off)
    is_repeat = (distance > PERIOD_TOLERANCE_S) & (off_period < PERIOD_TOLERANCE_S)
    # Two peaks a few frames apart can both lie within the tolerance of one hit's repeat: the
    # figure played again is one stroke, the one nearest the period.
    for index in np.flatnonzero(is_repeat):
        rivals = is_repeat & (repeated == repeated[index]) & (after_its_hit == after_its_hit[index])
        is_repeat[index] = off_period[index] <= off_period[rivals].min()
    return candidates[is_repeat], repeated[is_repeat]
