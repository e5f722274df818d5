"""Constant-tempo segments of a beat sequence: a continuous piecewise-constant-tempo model
of beat times (the form a chart's BPM changes take) with a bounded timing error.
"""

import numpy as np

# Largest distance allowed between a beat and its modelled time.
MAX_ERROR_S = 0.010


def tempo_segments(*, beat_times, max_error_s=MAX_ERROR_S):
    """Fewest-break segmentation of beats into runs of constant beat period.

    Segment ``i`` starts at beat ``starts[i]`` at time ``times[i]`` and has period
    ``periods[i]``: beat ``k`` of it is modelled at ``times[i] + (k - starts[i]) *
    periods[i]``. The model is continuous: each segment starts where the previous one's
    model puts its last beat, so a chart that changes BPM at those beats reproduces it.
    Segments are grown greedily: each extends to the last beat for which some period keeps
    every beat of it within ``max_error_s`` of the model, and takes the period, among those
    that do, that puts the segment's last beat closest to its tracked time.

    Parameters
    ----------
    beat_times : np.ndarray, shape (n_beats,), seconds, increasing, n_beats >= 2.
    max_error_s : float, seconds.

    Returns
    -------
    (starts, times, periods):
    starts : np.ndarray, shape (n_segments,), int, index of each segment's first beat;
        starts[0] == 0; a segment ends at the next one's first beat (the last at the last beat).
    times : np.ndarray, shape (n_segments,), float, modelled time of each first beat (s).
    periods : np.ndarray, shape (n_segments,), float, seconds per beat (BPM = 60 / period).
    """
    beats = np.asarray(beat_times, dtype=float)
    n_beats = beats.size
    starts, times, periods = [], [], []
    start, time = 0, beats[0]
    while start < n_beats - 1:
        steps = np.arange(1, n_beats - start)
        # periods keeping beat start + step within the tolerance, for each step
        low = np.maximum.accumulate((beats[start + 1:] - max_error_s - time) / steps)
        high = np.minimum.accumulate((beats[start + 1:] + max_error_s - time) / steps)
        # The start time is itself within the tolerance of its beat, so one step is always
        # feasible; reach is the number of steps while the interval stays non-empty.
        feasible = low <= high
        reach = steps.size if feasible.all() else int(np.argmin(feasible))
        end = start + reach
        ideal = (beats[end] - time) / reach
        period = float(np.clip(ideal, low[reach - 1], high[reach - 1]))
        starts.append(start)
        times.append(time)
        periods.append(period)
        start, time = end, time + reach * period
    return np.array(starts, dtype=int), np.array(times), np.array(periods)


def segment_beat_times(*, starts, times, periods, n_beats):
    """Beat times modelled by ``tempo_segments``' output.

    Returns
    -------
    np.ndarray, shape (n_beats,), seconds.
    """
    index = np.arange(n_beats)
    segment = np.searchsorted(starts, index, side="right") - 1
    return times[segment] + (index - starts[segment]) * periods[segment]
