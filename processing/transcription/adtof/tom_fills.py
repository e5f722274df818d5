"""Tom fills: runs of tom strokes too close together for ADTOF's peak picking.

A fill's strokes come 80-200 ms apart, and each one's activation raises the moving average
that the next must clear (peaks.pick_frames: 0.32 above the 10 frames before it, for toms), so
a fill the network hears plainly loses most of its strokes. Here a fill is a run of at least
FILL_MIN_STROKES tom peaks that clear the lower FILL_THRESHOLD, each within FILL_MAX_GAP_S of
the next, where the tom class reads above the kick and snare classes (a snare roll raises the
tom class too, but less than the snare's own).

The three constants were chosen together by bench/fit_tom_fills.py on Groove's train renders,
soundfonts and recorded kits; its validation and test renders and the development songs were
held out (bench/RESULTS.md).
"""

from __future__ import annotations

import numpy as np

from processing.transcription.adtof import figure_repeats, peaks
from processing.transcription.adtof.hit_model import BD, SD, TT

FILL_THRESHOLD = 0.20  # above the moving average; the tom class's own threshold is 0.32
# A sixteenth at 75 BPM: strokes further apart lie outside each other's moving average (100 ms)
# and are picked on their own.
FILL_MAX_GAP_S = 0.2
FILL_MIN_STROKES = 4
# A fill stroke this close to a tom hit picked already is that hit (three activation frames,
# the network's own spread, as for figure_repeats).
SAME_STROKE_S = 0.035


def fill_strokes(*, activations: np.ndarray, threshold: float = FILL_THRESHOLD, max_gap_s: float = FILL_MAX_GAP_S,
                 min_strokes: int = FILL_MIN_STROKES) -> np.ndarray:
    """Onset times (seconds, ascending, shape (n,)) of the tom strokes in fills.

    activations: the network's (frames, 5) at peaks.FRAME_RATE, classes BD, SD, TT, HH, CY.
    A stroke is a tom peak (peaks.pick_frames at `threshold` above the moving average) where
    the tom activation is above the kick's and the snare's; a fill is `min_strokes` or more
    strokes, each within `max_gap_s` seconds of the next.
    """
    toms = activations[:, TT]
    frames = peaks.pick_frames(activation=toms, threshold=threshold)
    frames = frames[toms[frames] > np.maximum(activations[frames, BD], activations[frames, SD])]
    times = frames / peaks.FRAME_RATE
    if times.size < min_strokes:
        return np.zeros(0)
    run_starts = np.flatnonzero(np.diff(times, prepend=-np.inf) > max_gap_s)
    run_lengths = np.diff(np.append(run_starts, times.size))
    in_fill = np.repeat(run_lengths >= min_strokes, run_lengths)
    return times[in_fill]


def with_fill_strokes(*, toms: np.ndarray, activations: np.ndarray, **fill_parameters) -> np.ndarray:
    """The tom hits `toms` (seconds, ascending, shape (n,)) and the fill strokes (fill_strokes,
    with `fill_parameters`) more than SAME_STROKE_S from each of them: seconds, ascending."""
    toms = np.asarray(toms, dtype=float)
    strokes = fill_strokes(activations=activations, **fill_parameters)
    if toms.size and strokes.size:
        strokes = strokes[figure_repeats.nearest(times=toms, queries=strokes)[1] > SAME_STROKE_S]
    return np.sort(np.concatenate([toms, strokes]))
