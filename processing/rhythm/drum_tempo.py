"""A song's tempo map from drum-transcriber output: beats, downbeats and bar lengths.

Inputs are what the transcription stage already computes: the ADTOF Frame_RNN's per-frame
drum activations (100 frames per second, classes BD, SD, TT, HH, CY) and its input
log-filterbank spectrogram. Nothing else is analysed, so the map costs about 0.3 s for a
4-minute song on top of transcription. ``tempo_segments`` turns the beats into BPM segments.
"""

import numpy as np

from processing.rhythm import bar_tracking
from processing.rhythm import beat_tracking

FRAME_RATE = 100.0  # frames per second of activations and spectrogram
# Weight of each drum class (BD, SD, TT, HH, CY) in the beat evidence. Kick and snare
# mark the beats in most grooves; toms, hi-hats and cymbals count half, because they
# often play every eighth note, but they are needed where the kick is syncopated (on
# off-beats) and the hi-hat or ride keeps the quarter notes.
BEAT_WEIGHTS = np.array([1.0, 1.0, 0.5, 0.5, 0.5])
# Perceptual tempo prior (log-normal around 120 BPM, one octave wide), in nats per second
# at one octave from the centre: it only decides between metrical levels the drums leave
# equally likely (e.g. passages without drums).
PRIOR_BPM = 120.0
PRIOR_OCTAVES = 1.0
PRIOR_NATS_PER_SECOND = 1.0


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
    activation = beat_activation(drum_activations=drum_activations)
    beat_times = beat_tracking.track_beats(activation=activation, frame_rate=frame_rate,
                                           log_tempo_prior=log_tempo_prior)
    first_downbeat, bar_lengths = bar_tracking.track_bars(
        beat_times=beat_times, drum_activations=drum_activations, spectrogram=spectrogram,
        frame_rate=frame_rate, meters=meters)
    return beat_times, first_downbeat, bar_lengths


def downbeat_times(*, beat_times, first_downbeat, bar_lengths):
    """Times (s) of the first beat of each bar: np.ndarray, shape (<= n_bars,)."""
    starts = first_downbeat + np.concatenate([[0], np.cumsum(bar_lengths)[:-1]])
    return np.asarray(beat_times)[starts[starts < len(beat_times)]]

