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
# The evidence: ADTOF's five drum classes (bar_tracking.DRUM_CLASSES), read at the sixteenth
# slots of bar_tracking.beat_slot_features: on the beat, and half-way to the next. The mix's
# onsets in the bass and middle registers were tried as well: they helped on the renders,
# whose generated bass plays on every beat, and halved songs whose harmony moves once a bar.
ON_BEAT_SLOT, BETWEEN_BEATS_SLOT = 0, 2
# Tempo features: octaves from CENTRE_BPM, and their square (a log-normal tempo preference).
CENTRE_BPM = 120.0
FEATURES = (tuple(f"{drum} on beats" for drum in bar_tracking.DRUM_CLASSES)
            + tuple(f"{drum} between beats" for drum in bar_tracking.DRUM_CLASSES)
            + (f"octaves from {CENTRE_BPM:g} BPM", f"octaves from {CENTRE_BPM:g} BPM, squared"))
# Nats per unit of each feature, fitted by bench/fit_metrical_level.py (L2 penalty 0.3 on the
# standardised features): on the 80 train renders in 4/4, soundfonts and kits, the true grid
# against its four relatives, and the tracked grid against the candidate nearest the true
# beats.
WEIGHTS = np.array([
    6.2251, 2.4498, -6.3802, 3.5037, 8.1505,
    -0.6259, -5.8291, 9.0636, 3.8034, 1.9183,
    -1.1488, -4.3992])
# Another grid replaces the tracked one only when it scores this many nats higher. On the
# validation renders no penalty and margin did better than leaving every grid alone; those
# that changed none there tied, and of them this one (with L2 0.3) does best on the train
# renders.
SWITCH_MARGIN = 2.0
# Only beats whose drums repeat in this many beats are moved: the model was fitted on 4/4
# renders, and halving the eighths a 6/8 song is tracked on, or doubling a waltz, would break
# its bars.
DUPLE_METER = 4
# Each half of the tracked beats needs two beats to have a tempo.
MIN_BEATS = 4


def candidate_grids(*, beat_times, duration_s):
    """The grids of CANDIDATES, in that order.

    Parameters
    ----------
    beat_times : np.ndarray, shape (n_beats,), seconds, increasing, n_beats >= 2: tracked.
    duration_s : float, the song's length: beats added half-way between tracked ones also
        go half a period before the first and after the last, where the song lasts.

    Returns
    -------
    tuple of np.ndarray, seconds, increasing.
    """
    beat_times = np.asarray(beat_times, dtype=float)
    first_half, last_half = (beat_times[1] - beat_times[0]) / 2, (beat_times[-1] - beat_times[-2]) / 2
    between = np.concatenate([[beat_times[0] - first_half], (beat_times[:-1] + beat_times[1:]) / 2,
                              [beat_times[-1] + last_half]])
    between = between[(between >= 0.0) & (between < duration_s)]
    return (beat_times, np.sort(np.concatenate([beat_times, between])), beat_times[0::2], beat_times[1::2], between)


def grid_features(*, beat_times, drum_activations, frame_rate=FRAME_RATE):
    """FEATURES of a beat grid.

    Parameters
    ----------
    beat_times : np.ndarray, shape (n_beats,), seconds, increasing, n_beats >= 2.
    drum_activations : np.ndarray, shape (n_frames, 5), in [0, 1], bar_tracking.DRUM_CLASSES.

    Returns
    -------
    np.ndarray, shape (len(FEATURES),): each class's mean activation on the beats and
    half-way between them, then the grid's tempo in octaves from CENTRE_BPM and its square.
    """
    slots = bar_tracking.beat_slot_features(beat_times=beat_times, activations=drum_activations,
                                            frame_rate=frame_rate)
    octaves = np.log2(60.0 / np.median(np.diff(beat_times)) / CENTRE_BPM)
    return np.concatenate([slots[:, :, ON_BEAT_SLOT].mean(axis=0), slots[:, :, BETWEEN_BEATS_SLOT].mean(axis=0),
                           [octaves, octaves ** 2]])


def candidate_features(*, beat_times, drum_activations, frame_rate=FRAME_RATE):
    """FEATURES of each of the candidate_grids of `beat_times` (tracked, n_beats >= MIN_BEATS)
    over a song of `drum_activations` ((n_frames, 5)): np.ndarray, shape (5, len(FEATURES))."""
    duration_s = len(drum_activations) / frame_rate
    return np.array([grid_features(beat_times=grid, drum_activations=drum_activations, frame_rate=frame_rate)
                     for grid in candidate_grids(beat_times=beat_times, duration_s=duration_s)])


def chosen_candidate(*, scores, margin=SWITCH_MARGIN):
    """Index into CANDIDATES of the best of `scores` ((5,), nats) if it beats the tracked
    grid's by more than `margin` nats, else 0 (the tracked grid)."""
    best = int(np.argmax(scores))
    return best if scores[best] - scores[0] > margin else 0


def repeats_in_four(*, beat_times, drum_activations, frame_rate=FRAME_RATE, meters=bar_tracking.METERS):
    """Whether the drums over `beat_times` (seconds, n_beats >= 2) repeat in DUPLE_METER beats
    (bar_tracking.estimate_meter among `meters`)."""
    slots = bar_tracking.beat_slot_features(beat_times=beat_times, activations=drum_activations,
                                            frame_rate=frame_rate)
    return bar_tracking.estimate_meter(slot_features=slots, meters=meters) == DUPLE_METER


def choose_level(*, beat_times, drum_activations, frame_rate=FRAME_RATE, meters=bar_tracking.METERS):
    """The candidate grid of `beat_times` that scores best, if it beats the tracked grid by
    SWITCH_MARGIN nats; else `beat_times` unchanged, and always so for fewer than MIN_BEATS
    beats or drums that do not repeat in four (repeats_in_four).

    Parameters
    ----------
    beat_times : np.ndarray, shape (n_beats,), seconds, increasing.
    drum_activations : np.ndarray, shape (n_frames, 5), in [0, 1], bar_tracking.DRUM_CLASSES.
    meters : tuple of int, the meters bar_tracking.estimate_meter chooses from.

    Returns
    -------
    np.ndarray, shape (n_beats',), seconds, increasing, within the song.
    """
    beat_times = np.asarray(beat_times, dtype=float)
    if beat_times.size < MIN_BEATS or not repeats_in_four(beat_times=beat_times, drum_activations=drum_activations,
                                                          frame_rate=frame_rate, meters=meters):
        return beat_times
    scores = candidate_features(beat_times=beat_times, drum_activations=drum_activations,
                                frame_rate=frame_rate) @ WEIGHTS
    grids = candidate_grids(beat_times=beat_times, duration_s=len(drum_activations) / frame_rate)
    return grids[chosen_candidate(scores=scores)]
