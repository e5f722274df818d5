"""Onset peak picking for Frame_RNN activations, as upstream ADTOF does it.

Upstream uses madmom's ``NotePeakPickingProcessor(threshold=t, smooth=0,
pre_avg=0.1, post_avg=0.01, pre_max=0.02, post_max=0.01, combine=0.02,
fps=100)`` on each class separately; this is the same computation on numpy
arrays (scipy.ndimage filters with madmom's sizes and origins).
"""

import numpy as np
from scipy.ndimage import maximum_filter1d, uniform_filter1d

FRAME_RATE = 100  # activations per second
# Per-class thresholds above the moving average, order BD, SD, TT, HH, CY.
THRESHOLDS = (0.22, 0.24, 0.32, 0.22, 0.30)
PRE_AVG = 10  # frames of past in the moving average
POST_AVG = 1  # frames of future in the moving average
PRE_MAX = 2  # frames of past a peak must dominate
POST_MAX = 1  # frames of future a peak must dominate
# madmom merges onsets no more than 0.02 s (+1e-12) after the last kept one.
COMBINE_FRAMES = 2
# A peak this far (in activation) above its threshold is surely a hit: its confidence is 1,
# falling linearly to 0 at the threshold, where a slightly higher threshold would drop it.
SURE_MARGIN = 0.3


def _window_origin(pre, post):
    # scipy centres a window of n on n // 2; madmom shifts it by this origin
    # so that it spans exactly `pre` past and `post` future frames.
    return int(np.floor((pre - post) / 2))


def _moving_average(activation):
    return uniform_filter1d(activation, PRE_AVG + POST_AVG + 1, mode="constant",
                            origin=_window_origin(PRE_AVG, POST_AVG))


def pick_frames(*, activation, threshold):
    """Peak frames of one class's activation curve.

    Parameters
    ----------
    activation : np.ndarray, shape (frames,), float32 in [0, 1]
    threshold : float
        Margin above the moving average (10 past, current, 1 future frame,
        zeros outside the signal) an activation must reach.

    Returns
    -------
    np.ndarray, shape (n,), int64 frame indices, ascending; a frame is kept
    when it reaches the threshold and is the maximum of frames
    ``[i - 2, i + 1]``; a peak within 2 frames of the previous kept one is
    dropped.
    """
    activation = np.asarray(activation)
    detections = activation * (activation >= _moving_average(activation) + threshold)
    moving_max = maximum_filter1d(detections, PRE_MAX + POST_MAX + 1, mode="constant",
                                  origin=_window_origin(PRE_MAX, POST_MAX))
    frames = np.flatnonzero(detections * (detections == moving_max))
    if len(frames) < 2:
        return frames
    kept = [frames[0]]
    for frame in frames[1:]:
        if frame - kept[-1] > COMBINE_FRAMES:
            kept.append(frame)
    return np.asarray(kept, dtype=np.int64)


def pick_onsets(*, activations, thresholds=THRESHOLDS, frame_rate=FRAME_RATE):
    """Onset times per class.

    Parameters
    ----------
    activations : np.ndarray, shape (frames, n_classes), float32 in [0, 1]
        Frame ``i`` is at time ``i / frame_rate`` seconds.
    thresholds : sequence of float, length n_classes
    frame_rate : float, frames per second

    Returns
    -------
    list of np.ndarray, one per class, onset times in seconds (float64),
    ascending.
    """
    return [
        pick_frames(activation=activations[:, k], threshold=t) / frame_rate
        for k, t in enumerate(thresholds)
    ]


def onset_confidences(*, activations, onsets, thresholds=THRESHOLDS, frame_rate=FRAME_RATE):
    """Confidence that each picked onset is a hit: how clearly its peak clears its threshold.

    Parameters
    ----------
    activations : np.ndarray, shape (frames, n_classes), float32 in [0, 1]
    onsets : list of np.ndarray, one per class, onset times (s) as from ``pick_onsets``
    thresholds : sequence of float, length n_classes, the thresholds they were picked with
    frame_rate : float, frames per second

    Returns
    -------
    list of np.ndarray, one per class, shape like ``onsets[k]``, float64 in [0, 1]: the
    peak's height above the moving average less the threshold, over ``SURE_MARGIN``.
    """
    confidences = []
    for k, (times, threshold) in enumerate(zip(onsets, thresholds)):
        activation = np.asarray(activations[:, k])
        frames = np.round(np.asarray(times) * frame_rate).astype(int)
        margin = activation[frames] - _moving_average(activation)[frames] - threshold
        confidences.append(np.clip(margin.astype(np.float64) / SURE_MARGIN, 0.0, 1.0))
    return confidences
