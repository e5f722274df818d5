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
# strums), the tracker's own beats follow them better (replacing those too lowered the mean
# downbeat F of the Groove test renders from 0.859 to 0.826). Silence is judged before the
# PICKUP_BEATS that precede the first drummed beat, where soft drums under the gate (a
# pickup) may play: judged up to the first drummed beat, a soft pickup hid two silent intros
# of the Groove test renders and two of the train renders (set, not fitted: 2 to 8 beats act
# alike on every render; of the 121 renders only those with a drumless intro change; test
# renders beat F 0.918 -> 0.928, downbeat F 0.898 -> 0.909).
DRUMMED_RADIUS_FRAMES = 2
NO_EVIDENCE = 0.02
LEAD_IN_FIT_BEATS = 8
PICKUP_BEATS = 4
# Counting the lead-in's beats back to 0 s allows this much rounding of the fitted period, so
# that a beat falling on 0 s is kept.
LEAD_IN_ROUNDING_BEATS = 1e-6


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
    """Beats, downbeats and bar lengths of a song.

    Parameters
    ----------
    drum_activations : np.ndarray, shape (n_frames, 5), in [0, 1], ADTOF classes
        (BD, SD, TT, HH, CY); frame ``i`` at ``i / frame_rate`` seconds.
    spectrogram : np.ndarray, shape (n_frames, 84), or None: the ADTOF log-filterbank
        spectrogram; gives the harmonic-change cue for downbeats.
    meters : tuple of int, beats per bar considered, the usual one first.

    Returns
    -------
    (beat_times, first_downbeat, bar_lengths):
    beat_times : np.ndarray, shape (n_beats,), seconds, increasing.
    first_downbeat : int, index into beat_times of the first beat of the first full bar.
    bar_lengths : np.ndarray, shape (n_bars,), int, beats per bar from first_downbeat on.
    """
    beat_times = track_song_beats(drum_activations=drum_activations, frame_rate=frame_rate, meters=meters)
    first_downbeat, bar_lengths = bar_tracking.track_bars(
        beat_times=beat_times, drum_activations=drum_activations, spectrogram=spectrogram,
        frame_rate=frame_rate, meters=meters)
    return beat_times, first_downbeat, bar_lengths


def track_song_beats(*, drum_activations, frame_rate=FRAME_RATE, meters=bar_tracking.METERS):
    """A song's beats: track_drum_beats, at the metrical level metrical_level chooses.

    Parameters
    ----------
    drum_activations : np.ndarray, shape (n_frames, 5), in [0, 1], ADTOF classes.
    meters : tuple of int, the meters the bar tracker chooses from.

    Returns
    -------
    np.ndarray, shape (n_beats,), seconds, increasing.
    """
    return metrical_level.choose_level(beat_times=track_drum_beats(drum_activations=drum_activations,
                                                                   frame_rate=frame_rate),
                                       drum_activations=drum_activations, frame_rate=frame_rate, meters=meters)


def track_drum_beats(*, drum_activations, frame_rate=FRAME_RATE):
    """Beats tracked on the drums' beat activation, with a silent intro laid at the drums'
    tempo (steady_silent_intro): np.ndarray, shape (n_beats,), seconds, increasing, from
    drum_activations ((n_frames, 5), in [0, 1])."""
    activation = beat_activation(drum_activations=drum_activations)
    beat_times = beat_tracking.track_beats(activation=activation, frame_rate=frame_rate,
                                           log_tempo_prior=log_tempo_prior)
    return steady_silent_intro(beat_times=beat_times, activation=activation, frame_rate=frame_rate)


def steady_silent_intro(*, beat_times, activation, frame_rate=FRAME_RATE):
    """``beat_times`` with the beats of a silent intro laid at the drums' tempo.

    Parameters
    ----------
    beat_times : np.ndarray, shape (n_beats,), seconds, increasing.
    activation : np.ndarray, shape (n_frames,), the beat activation the beats were tracked on.

    Returns
    -------
    np.ndarray, shape (n_beats',), seconds, increasing: unchanged unless the activation stays
    under NO_EVIDENCE until PICKUP_BEATS before the first drummed beat (all the way to it for
    a shorter lead-in); then that beat and the ones after it, after the grid of the first
    LEAD_IN_FIT_BEATS drummed beats continued back to the first beat at or after 0 s.
    """
    beat_times = np.asarray(beat_times, dtype=float)
    if beat_times.size < 2:
        return beat_times
    frames = np.round(beat_times * frame_rate).astype(int)
    window = np.arange(-DRUMMED_RADIUS_FRAMES, DRUMMED_RADIUS_FRAMES + 1)
    evidence = activation[np.clip(frames[:, None] + window, 0, len(activation) - 1)].max(axis=1)
    drummed = np.flatnonzero(evidence >= beat_tracking.GATE_LEVEL)
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
    if activation[:max(silent_until, 0)].max(initial=0.0) > NO_EVIDENCE:
        return beat_times
    count = int(np.floor(beat_times[first] / period + LEAD_IN_ROUNDING_BEATS))
    lead_in = np.maximum(beat_times[first] - period * np.arange(count, 0, -1), 0.0)
    return np.concatenate([lead_in, beat_times[first:]])


def downbeat_times(*, beat_times, first_downbeat, bar_lengths):
    """Times (s) of the first beat of each bar: np.ndarray, shape (<= n_bars,)."""
    starts = first_downbeat + np.concatenate([[0], np.cumsum(bar_lengths)[:-1]])
    return np.asarray(beat_times)[starts[starts < len(beat_times)]]

