"""The metrical level of tracked beats: keep them, take twice or half their tempo, or move
them by half a beat, whichever grid a fitted model finds the most beat-like.

The beat tracker follows the drums' strongest pulse. In some grooves that is the eighth note
(hi-hats through recorded kits: double tempo), the half note (a half-time feel: half tempo)
or the off-beat (a snare on every "and"). Each candidate grid is scored by a conditional
logit: a weighted sum of the drum activations on its beats and half-way between them, and
of its tempo. The weights are fitted
by bench/fit_metrical_level.py on the train renders of bench/groove_renders.py, through
soundfonts and through recorded kits; its regularisation and SWITCH_MARGIN were chosen on
their validation renders. The development songs were not used.
"""

import numpy as np

from processing.rhythm import bar_tracking

FRAME_RATE = 100.0  # frames per second of the drum activations
CANDIDATES = ("tracked", "double", "half, even beats", "half, odd beats", "shifted half a beat")
# Evidence curves: ADTOF's five drum classes. The mix's onsets in the bass and middle
# registers were tried as well: they helped on the renders, whose generated bass plays on
# every beat, and halved songs whose harmony moves once a bar.
CURVES = ("BD", "SD", "TT", "HH", "CY")
# A curve's value at a time is its maximum within this many frames (the slot window of
# bar_tracking, 35 ms), so that a hit a little early or late still counts.
PEAK_RADIUS_FRAMES = 3
# Tempo features: octaves from CENTRE_BPM, and their square (a log-normal tempo preference).
CENTRE_BPM = 120.0
FEATURES = (tuple(f"{curve} on beats" for curve in CURVES) + tuple(f"{curve} between beats" for curve in CURVES)
            + ("octaves from 120 BPM", "octaves from 120 BPM, squared"))
# Nats per unit of each feature, fitted by bench/fit_metrical_level.py (L2 penalty 3 on the
# standardised features): on the 90 train renders in 4/4, soundfonts and kits, the true grid
# against its four relatives, and the tracked grid against the candidate nearest the true
# beats.
WEIGHTS = np.array([
    4.2693, 2.3104, -2.5371, 1.7267, 2.6534,
    -1.1743, -3.9175, 4.0281, 1.9876, 1.5858,
    -0.5068, -2.4930])
# Another grid replaces the tracked one only when it scores this many nats higher. Penalties
# of 0.1 to 3 with margins of 1 to 2 tied on the validation renders (mean beat F 0.831); the
# strongest penalty and the largest margin change the fewest tracked grids.
SWITCH_MARGIN = 2.0
MIN_BEATS = 4


def midpoints(beat_times):
    """Times half-way between consecutive beats, and half a period after the last:
    np.ndarray, shape (n_beats,), seconds."""
    beat_times = np.asarray(beat_times, dtype=float)
    half_last = (beat_times[-1] - beat_times[-2]) / 2
    return np.append((beat_times[:-1] + beat_times[1:]) / 2, beat_times[-1] + half_last)


def candidate_grids(beat_times):
    """The grids of CANDIDATES, in that order, from tracked beats (seconds, increasing,
    n_beats >= 2): a tuple of np.ndarray, seconds."""
    beat_times = np.asarray(beat_times, dtype=float)
    between = midpoints(beat_times)
    return (beat_times, np.sort(np.concatenate([beat_times, between])), beat_times[0::2], beat_times[1::2], between)


def grid_features(*, beat_times, curves, frame_rate=FRAME_RATE):
    """FEATURES of a beat grid.

    Parameters
    ----------
    beat_times : np.ndarray, shape (n_beats,), seconds, increasing, n_beats >= 2.
    curves : np.ndarray, shape (n_frames, len(CURVES)), ADTOF's drum activations, in [0, 1].

    Returns
    -------
    np.ndarray, shape (len(FEATURES),): each curve's mean peak on the beats and between
    them, then the grid's tempo in octaves from CENTRE_BPM and its square.
    """
    def mean_peaks(times):
        centres = np.round(np.asarray(times) * frame_rate).astype(int)
        frames = np.clip(centres[:, None] + np.arange(-PEAK_RADIUS_FRAMES, PEAK_RADIUS_FRAMES + 1), 0, len(curves) - 1)
        return curves[frames].max(axis=1).mean(axis=0)

    octaves = np.log2(60.0 / np.median(np.diff(beat_times)) / CENTRE_BPM)
    return np.concatenate([mean_peaks(beat_times), mean_peaks(midpoints(beat_times)), [octaves, octaves ** 2]])


def level_scores(*, beat_times, curves, frame_rate=FRAME_RATE):
    """Score in nats of each of CANDIDATES built from `beat_times`: np.ndarray, shape (5,)."""
    return np.array([grid_features(beat_times=grid, curves=curves, frame_rate=frame_rate) @ WEIGHTS
                     for grid in candidate_grids(beat_times)])


def choose_level(*, beat_times, drum_activations, frame_rate=FRAME_RATE):
    """The candidate grid of `beat_times` that scores best, if it beats the tracked grid by
    SWITCH_MARGIN nats; else `beat_times` unchanged.

    Only beats whose drums repeat in four (bar_tracking.estimate_meter) are considered: the
    model was fitted on 4/4 renders, and halving the eighths a 6/8 song is tracked on, or
    doubling a waltz, would break its bars.

    Parameters
    ----------
    beat_times : np.ndarray, shape (n_beats,), seconds, increasing.
    drum_activations : np.ndarray, shape (n_frames, 5), in [0, 1], CURVES.

    Returns
    -------
    np.ndarray, shape (n_beats',), seconds, increasing.
    """
    beat_times = np.asarray(beat_times, dtype=float)
    if beat_times.size < MIN_BEATS:
        return beat_times
    curves = np.asarray(drum_activations, dtype=np.float64)
    slots = bar_tracking.beat_slot_features(beat_times=beat_times, activations=curves, frame_rate=frame_rate)
    if bar_tracking.estimate_meter(slot_features=slots) != bar_tracking.METERS[0]:
        return beat_times
    scores = level_scores(beat_times=beat_times, curves=curves, frame_rate=frame_rate)
    best = int(np.argmax(scores))
    return candidate_grids(beat_times)[best] if scores[best] - scores[0] > SWITCH_MARGIN else beat_times
