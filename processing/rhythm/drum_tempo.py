"""A song's tempo map from drum-transcriber output: beats, downbeats and bar lengths.

Inputs are what the transcription stage already computes: the ADTOF Frame_RNN's per-frame
drum activations (100 frames per second, classes BD, SD, TT, HH, CY) and its input
log-filterbank spectrogram. Nothing else is analysed, so the map costs about 0.3 s for a
4-minute song on top of transcription. ``tempo_segments`` turns the beats into BPM segments.
"""

import numpy as np

from processing.rhythm import bar_tracking
from processing.rhythm import beat_tracking
from processing.rhythm import metrical_level

FRAME_RATE = 100.0  # frames per second of activations and spectrogram
# Weight of each drum class (BD, SD, TT, HH, CY) in the beat evidence. Kick and snare mark
# the beats in most grooves; toms count half; hi-hats and cymbals, which often play every
# eighth or sixteenth note and so pull the tracker to double tempo, count less. They are still
# needed where the kick is syncopated (on off-beats) and the hi-hat or ride keeps the quarter
# notes. The hi-hat and cymbal weights were chosen on the 45 train renders of
# bench/groove_renders.py (mean beat F 0.717 -> 0.745 against 0.5 each); on the 31 test renders
# beat F rose from 0.879 to 0.920, on the development songs it stayed 0.994.
BEAT_WEIGHTS = np.array([1.0, 1.0, 0.5, 0.15, 0.25])
# Perceptual tempo prior (log-normal around 120 BPM, one octave wide), in nats per second
# at one octave from the centre: it only decides between metrical levels the drums leave
# equally likely (e.g. passages without drums).
PRIOR_BPM = 120.0
PRIOR_OCTAVES = 1.0
PRIOR_NATS_PER_SECOND = 1.0
# Before the first beat whose activation reaches beat_tracking.GATE_LEVEL (within
# DRUMMED_RADIUS_FRAMES), an intro where the activation never exceeds NO_EVIDENCE gives the
# tracker nothing to follow, and its beats there drift (by 90 ms over a silent 30-second
# intro): they are replaced by the tempo of the first LEAD_IN_FIT_BEATS drummed beats,
# continued back to the start. Where the intro's music does leave weak activations (chord
# strums), the tracker's own beats follow them better than that grid (replacing those too
# lowered the mean downbeat F of the Groove test renders from 0.859 to 0.826), though not
# better than a grid fitted to the intro's onsets (below). Silence is judged before the
# PICKUP_BEATS that precede the first drummed beat, where soft drums under the gate (a
# pickup) may play: judged up to the first drummed beat, a soft pickup hid two silent intros
# of the Groove test renders and two of the train renders (set, not fitted: 2 to 8 beats act
# alike on every render; of the 121 renders only those with a drumless intro change; test
# renders beat F 0.918 -> 0.928, downbeat F 0.898 -> 0.909).
DRUMMED_RADIUS_FRAMES = 2
NO_EVIDENCE = 0.02
LEAD_IN_FIT_BEATS = 8
PICKUP_BEATS = 4
# Counting the lead-in's beats back to 0 s keeps a beat up to half a frame before 0 s, laid
# on 0 s: the rounding of a fitted period, or an onset fit meeting the song's first frame.
LEAD_IN_START_TOLERANCE_FRAMES = 0.5
# The drums' first beats give the intro's tempo only to 1-3 % (a drummer pushes or drags
# against the band, and beats are tracked on 10 ms frames), which over a 30-second intro
# puts its first bar line 100 to 175 ms off. Where the intro's own music has onsets (chords,
# a bass line), the lead-in's grid is fitted to them: periods within LEAD_IN_TEMPO_RANGE of
# the drums' (in LEAD_IN_TEMPO_STEP steps) and grids ending within LEAD_IN_SHIFT_S of the
# first drummed beat, the one whose beats meet the most onset strength. It is kept where
# its beats meet LEAD_IN_MIN_CONTRAST times the intro's mean onset strength (a silent or
# pulseless intro keeps the drums' grid) and, where the tracker followed weak activations
# there, more onset strength than the tracker's beats (an intro at a tempo of its own keeps
# them). A lead-in shorter than LEAD_IN_MIN_FIT_BEATS is not fitted: a beat or two of
# onsets would fit any grid. Set, not fitted. On the intros of the Groove renders (train,
# soundfonts / kits) the mean error of the intro's beats fell from 91 / 96 ms to 51 / 25 ms;
# what remains follows drums tracked off the beat or at double tempo (bench/RESULTS.md).
LEAD_IN_TEMPO_RANGE = 0.04
LEAD_IN_TEMPO_STEP = 0.0005
LEAD_IN_SHIFT_S = 0.05
LEAD_IN_SHIFT_STEP_S = 0.005
LEAD_IN_MIN_CONTRAST = 2.0
LEAD_IN_MIN_FIT_BEATS = 4
# A drumless break inside a song (the band alone for a verse or a bridge) gives the tracker
# nothing to follow either: over a 16-second break at 120 BPM it lost a beat, and the bar
# lines of the break moved. The drums' tempo on either side of a break of more than
# MIN_BREAK_BEATS (the median period of LEAD_IN_FIT_BEATS beats on each side) counts the
# beats across it; the tempo may change in the break, so any count from one side's to the
# other's stands. Where the tracker's count lies outside, the break's beats are laid evenly
# at the nearest count within; elsewhere the tracker's beats stay (they may follow the band's
# weak activations). Set, not fitted. On Groove renders whose drums were silenced for the
# middle third (bench/drumless_breaks.py), beat F rose 0.797 -> 0.835 (soundfonts) and
# 0.809 -> 0.849 (kits); judging by the mean of the two sides' tempos instead lost beats in
# renders with a tempo change.
MIN_BREAK_BEATS = 4
# Frames either side of a lead-in beat searched for its onset, an onset counting less the
# further it is (linearly, to nothing at one frame beyond), so that the grid meeting the
# onsets exactly scores best.
LEAD_IN_ONSET_RADIUS_FRAMES = 1


def beat_activation(*, drum_activations, weights=BEAT_WEIGHTS):
    """Beat evidence per frame: weighted sum of the drum activations, clipped to [0, 1].

    Parameters
    ----------
    drum_activations : np.ndarray, shape (n_frames, 5), in [0, 1].
    weights : np.ndarray, shape (5,), per class.

    Returns
    -------
    np.ndarray, shape (n_frames,), float64 in [0, 1].
    """
    return np.clip(np.asarray(drum_activations, dtype=np.float64) @ weights, 0.0, 1.0)


def log_tempo_prior(periods_s):
    """Log prior per second of music at each beat period (seconds), for ``track_beats``.

    Returns np.ndarray, same shape as ``periods_s``, nats per second, 0 at PRIOR_BPM.
    """
    octaves = np.log2(60.0 / np.asarray(periods_s) / PRIOR_BPM) / PRIOR_OCTAVES
    return -PRIOR_NATS_PER_SECOND * 0.5 * octaves ** 2


def estimate_tempo_map(*, drum_activations, spectrogram=None, frame_rate=FRAME_RATE,
                       meters=bar_tracking.METERS):
    """Beats and bars of a song.

    Parameters
    ----------
    drum_activations : np.ndarray, shape (n_frames, 5), in [0, 1], ADTOF classes
        (BD, SD, TT, HH, CY); frame ``i`` at ``i / frame_rate`` seconds.
    spectrogram : np.ndarray, shape (n_frames, 84), or None: the ADTOF log-filterbank
        spectrogram; gives the harmonic-change cue for downbeats.
    meters : tuple of int, beats per bar considered, the usual one first.

    Returns
    -------
    (beat_times, bars):
    beat_times : np.ndarray, shape (n_beats,), seconds, increasing.
    bars : bar_tracking.Bars, indices into beat_times: the first beat of the first full bar,
        the beats per bar from it on, and the bars' best rival.
    """
    beat_times = track_song_beats(drum_activations=drum_activations, spectrogram=spectrogram,
                                  frame_rate=frame_rate, meters=meters)
    bars = bar_tracking.track_bars(beat_times=beat_times, drum_activations=drum_activations, spectrogram=spectrogram,
                                   frame_rate=frame_rate, meters=meters)
    return beat_times, bars


def track_song_beats(*, drum_activations, spectrogram=None, frame_rate=FRAME_RATE, meters=bar_tracking.METERS):
    """A song's beats: track_drum_beats, at the metrical level metrical_level chooses.

    Parameters
    ----------
    drum_activations : np.ndarray, shape (n_frames, 5), in [0, 1], ADTOF classes.
    spectrogram : np.ndarray, shape (n_frames, 84), or None: the ADTOF log-filterbank
        spectrogram, whose onsets place a silent intro's beats (see track_drum_beats).
    meters : tuple of int, the meters the bar tracker chooses from.

    Returns
    -------
    np.ndarray, shape (n_beats,), seconds, increasing.
    """
    return metrical_level.choose_level(beat_times=track_drum_beats(drum_activations=drum_activations,
                                                                   spectrogram=spectrogram, frame_rate=frame_rate),
                                       drum_activations=drum_activations, frame_rate=frame_rate, meters=meters)


def track_drum_beats(*, drum_activations, spectrogram=None, frame_rate=FRAME_RATE):
    """Beats tracked on the drums' beat activation, with drumless breaks counted at the
    drums' tempo (steady_breaks) and a silent intro laid at the drums' tempo, or fitted to
    the onsets of `spectrogram` where it has them (steady_intro):
    np.ndarray, shape (n_beats,), seconds, increasing, from drum_activations ((n_frames, 5),
    in [0, 1]) and the ADTOF spectrogram ((n_frames, 84), or None)."""
    activation = beat_activation(drum_activations=drum_activations)
    beat_times = beat_tracking.track_beats(activation=activation, frame_rate=frame_rate,
                                           log_tempo_prior=log_tempo_prior)
    strength = None if spectrogram is None else onset_strength(spectrogram=spectrogram)
    beat_times = steady_breaks(beat_times=beat_times, activation=activation, frame_rate=frame_rate)
    return steady_intro(beat_times=beat_times, activation=activation, onset_strength=strength,
                        frame_rate=frame_rate)


def onset_strength(*, spectrogram):
    """Spectral flux: the summed rise of each band of `spectrogram` ((n_frames, n_bands),
    log magnitude) over the frame before, the first frame rising from silence:
    np.ndarray, shape (n_frames,), >= 0."""
    spectrogram = np.asarray(spectrogram, dtype=np.float64)
    return np.maximum(np.diff(spectrogram, axis=0, prepend=0.0), 0.0).sum(axis=1)


def fit_lead_in(*, onset_strength, end_time, period, frame_rate=FRAME_RATE):
    """The lead-in grid that best meets the intro's onsets (see LEAD_IN_TEMPO_RANGE).

    Parameters
    ----------
    onset_strength : np.ndarray, shape (n_frames,), >= 0, of the intro (frames past its end
        are not read).
    end_time : float, seconds: the first drummed beat, which the grid leads into.
    period : float, seconds per beat of the drums' grid.

    Returns
    -------
    (period, end_time) of the fitted grid, whose beats fall at end_time - k * period for
    k >= 1 down to 0 s; None where the intro's onsets do not reach LEAD_IN_MIN_CONTRAST or
    it is shorter than LEAD_IN_MIN_FIT_BEATS.
    """
    intro = _intro(onset_strength=onset_strength, end_time=end_time, frame_rate=frame_rate)
    if end_time < LEAD_IN_MIN_FIT_BEATS * period or intro.mean() <= 0.0:
        return None
    n_steps = int(round(LEAD_IN_TEMPO_RANGE / LEAD_IN_TEMPO_STEP))
    n_shifts = int(round(LEAD_IN_SHIFT_S / LEAD_IN_SHIFT_STEP_S))
    periods = period * (1.0 + LEAD_IN_TEMPO_STEP * np.arange(-n_steps, n_steps + 1))
    ends = end_time + LEAD_IN_SHIFT_STEP_S * np.arange(-n_shifts, n_shifts + 1)
    mean_strength = np.zeros((periods.size, ends.size))
    for index, candidate in enumerate(periods):  # one period at a time: a long intro has thousands of beats
        frames = (ends[:, None] - candidate * np.arange(1, int(end_time / candidate) + 2)) * frame_rate
        mean_strength[index] = _mean_strength(intro=intro, frames=frames)
    best_period, best_end = np.unravel_index(np.argmax(mean_strength), mean_strength.shape)
    if mean_strength[best_period, best_end] < LEAD_IN_MIN_CONTRAST * intro.mean():
        return None
    return float(periods[best_period]), float(ends[best_end])


def _intro(*, onset_strength, end_time, frame_rate):
    """The frames of `onset_strength` ((n_frames,)) before `end_time` (s), as float64."""
    return np.asarray(onset_strength, dtype=np.float64)[:max(int(round(end_time * frame_rate)), 0)]


def _mean_strength(*, intro, frames):
    """Mean onset strength (_strength_at) met at the fractional `frames` (..., n_beats) that
    fall within `intro` ((n_frames,)): shape (...), 0 where none does."""
    if intro.size == 0:
        return np.zeros(np.shape(frames)[:-1])
    inside = (np.round(frames) >= 0) & (np.round(frames) < intro.size)
    strength = np.where(inside, _strength_at(onset_strength=intro, frames=frames), 0.0)
    return strength.sum(axis=-1) / np.maximum(inside.sum(axis=-1), 1)


def _strength_at(*, onset_strength, frames):
    """Onset strength met at fractional `frames` (any shape): the strongest onset within
    LEAD_IN_ONSET_RADIUS_FRAMES, weighted down linearly with its distance in frames."""
    radius = LEAD_IN_ONSET_RADIUS_FRAMES + 1
    nearest = np.floor(frames).astype(int)
    met = np.zeros(np.shape(frames))
    for offset in range(-LEAD_IN_ONSET_RADIUS_FRAMES, radius + 1):
        frame = nearest + offset
        weight = np.maximum(0.0, 1.0 - np.abs(frames - frame) / radius)
        met = np.maximum(met, weight * onset_strength[np.clip(frame, 0, onset_strength.size - 1)])
    return met


def steady_intro(*, beat_times, activation, onset_strength=None, frame_rate=FRAME_RATE):
    """``beat_times`` with the beats of a drumless intro laid at the drums' tempo, or
    fitted to the intro's onsets.

    Parameters
    ----------
    beat_times : np.ndarray, shape (n_beats,), seconds, increasing.
    activation : np.ndarray, shape (n_frames,), the beat activation the beats were tracked on.
    onset_strength : np.ndarray, shape (n_frames,), or None: the song's onset_strength, to
        which the intro's grid is fitted (fit_lead_in).

    Returns
    -------
    np.ndarray, shape (n_beats',), seconds, increasing: the first drummed beat and the ones
    after it, after a lead-in grid from the first of its beats at or after 0 s:
    - where onset_strength is given and fit_lead_in fits a grid to the intro, that grid,
      unless the activation exceeds NO_EVIDENCE in the intro (see below) and the tracker's
      own beats there meet more onset strength;
    - otherwise, where the activation stays under NO_EVIDENCE until PICKUP_BEATS before the
      first drummed beat (all the way to it for a shorter lead-in), the grid of the first
      LEAD_IN_FIT_BEATS drummed beats continued back;
    - otherwise ``beat_times`` unchanged.
    """
    beat_times = np.asarray(beat_times, dtype=float)
    if beat_times.size < 2:
        return beat_times
    frames = np.round(beat_times * frame_rate).astype(int)
    drummed = _drummed_beats(beat_times=beat_times, activation=activation, frame_rate=frame_rate)
    if drummed.size == 0 or drummed[0] == 0:
        return beat_times
    first = drummed[0]
    fitted = beat_times[first:first + LEAD_IN_FIT_BEATS]
    if fitted.size < 2:
        return beat_times
    period = float(np.polyfit(np.arange(fitted.size), fitted, 1)[0])
    # Soft drums (a pickup, a fill into the first bar) may precede the first beat on a hit by
    # up to PICKUP_BEATS; the silence that makes an intro is judged before them. A lead-in no
    # longer than that is no intro with a pickup: all of it must be silent.
    lead_in_end = frames[first] - DRUMMED_RADIUS_FRAMES
    pickup = round(PICKUP_BEATS * period * frame_rate)
    silent_until = lead_in_end - pickup if lead_in_end > pickup else lead_in_end
    silent = activation[:max(silent_until, 0)].max(initial=0.0) <= NO_EVIDENCE
    end_time = beat_times[first]
    fit = None if onset_strength is None else fit_lead_in(onset_strength=onset_strength, end_time=end_time,
                                                          period=period, frame_rate=frame_rate)
    if fit is None:
        return _lead_in(end_time=end_time, period=period, beat_times=beat_times[first:],
                        frame_rate=frame_rate) if silent else beat_times
    fitted_beats = _lead_in(end_time=fit[1], period=fit[0], beat_times=beat_times[first:], frame_rate=frame_rate)
    # Where the intro's music left weak activations, the tracker followed it: its beats stay
    # unless the fitted grid meets the intro's onsets better (an intro at a tempo of its own
    # is better served by the tracker).
    intro = _intro(onset_strength=onset_strength, end_time=end_time, frame_rate=frame_rate)
    if not silent and (_mean_strength(intro=intro, frames=beat_times[:first] * frame_rate)
                       >= _mean_strength(intro=intro, frames=fitted_beats * frame_rate)):
        return beat_times
    return fitted_beats


def _drummed_beats(*, beat_times, activation, frame_rate):
    """Indices of the `beat_times` ((n,), s) where `activation` ((n_frames,)) reaches
    beat_tracking.GATE_LEVEL within DRUMMED_RADIUS_FRAMES: (m,), int, increasing."""
    frames = np.round(np.asarray(beat_times) * frame_rate).astype(int)
    window = np.arange(-DRUMMED_RADIUS_FRAMES, DRUMMED_RADIUS_FRAMES + 1)
    evidence = activation[np.clip(frames[:, None] + window, 0, len(activation) - 1)].max(axis=1)
    return np.flatnonzero(evidence >= beat_tracking.GATE_LEVEL)


def steady_breaks(*, beat_times, activation, frame_rate=FRAME_RATE):
    """``beat_times`` with the beats of each drumless break counted at the drums' tempo.

    Parameters
    ----------
    beat_times : np.ndarray, shape (n_beats,), seconds, increasing.
    activation : np.ndarray, shape (n_frames,), the beat activation the beats were tracked on.

    Returns
    -------
    np.ndarray, shape (n_beats',), seconds, increasing: between two drummed beats more than
    MIN_BREAK_BEATS apart, where the beats between them number outside the counts of the
    gap by the drums' period before it and after it (rounded), beats evenly spaced at the
    nearest of those counts; elsewhere ``beat_times`` unchanged.
    """
    beat_times = np.asarray(beat_times, dtype=float)
    drummed = _drummed_beats(beat_times=beat_times, activation=activation, frame_rate=frame_rate)
    pieces, kept_from = [], 0
    for before, after in zip(drummed[:-1], drummed[1:]):
        if after - before <= MIN_BREAK_BEATS:
            continue
        periods = [np.diff(beat_times[max(before - LEAD_IN_FIT_BEATS, 0):before + 1]),
                   np.diff(beat_times[after:after + LEAD_IN_FIT_BEATS + 1])]
        counts = [round((beat_times[after] - beat_times[before]) / np.median(side)) for side in periods if side.size]
        if not counts:
            continue
        # The tempo may change in the break: any count between the two sides' will do.
        count = int(np.clip(after - before, max(min(counts), 1), max(*counts, 1)))
        if count == after - before:
            continue
        pieces += [beat_times[kept_from:before], np.linspace(beat_times[before], beat_times[after], count + 1)[:-1]]
        kept_from = after
    return np.concatenate([*pieces, beat_times[kept_from:]])


def _lead_in(*, end_time, period, beat_times, frame_rate):
    """`beat_times` ((n,), s) after a grid of `period` (s) ending at `end_time` (s), from
    the first of its beats at or after 0 s (LEAD_IN_START_TOLERANCE_FRAMES)."""
    count = int(np.floor((end_time + LEAD_IN_START_TOLERANCE_FRAMES / frame_rate) / period))
    lead_in = np.maximum(end_time - period * np.arange(count, 0, -1), 0.0)
    return np.concatenate([lead_in, beat_times])


def downbeat_times(*, beat_times, first_downbeat, bar_lengths):
    """Times (s) of the first beat of each bar: np.ndarray, shape (<= n_bars,)."""
    starts = first_downbeat + np.concatenate([[0], np.cumsum(bar_lengths)[:-1]])
    return np.asarray(beat_times)[starts[starts < len(beat_times)]]

