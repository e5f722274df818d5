"""Weak peaks kept where they repeat the song's figure of their class (figure_repeats), on
synthetic activations with known answers."""

import numpy as np

from processing.lanes import Lane
from processing.transcription.adtof import advanced, figure_repeats, hit_model, peaks
from processing.transcription.base import Hit

FPS = 100
BAR_S = 2.0  # a floor-tom beat on every bar of 120 BPM 4/4


def _activation(*, seconds, peaks_at):
    """(frames,) one class's activation: zero but for one-frame peaks, (time, height) each."""
    activation = np.zeros(seconds * FPS)
    for time, height in peaks_at:
        activation[round(time * FPS)] = height
    return activation


def test_a_figure_repeated_every_bar_has_the_bar_as_its_period():
    bars = np.arange(1.0, 11.0, BAR_S)
    assert abs(figure_repeats.figure_period_s(times=bars) - BAR_S) < 1e-9
    # Two strokes a bar: the bar is the period, not the half-bar gap between the strokes
    # (too short) nor two bars (fewer repeats).
    two_strokes = np.sort(np.concatenate([bars, bars + 0.75]))
    assert abs(figure_repeats.figure_period_s(times=two_strokes) - BAR_S) < 1e-9


def test_a_fill_or_a_figure_heard_too_few_times_has_no_period():
    fill = np.arange(30.0, 31.0, 0.125)
    assert figure_repeats.figure_period_s(times=fill) is None
    assert figure_repeats.figure_period_s(times=np.arange(1.0, 1.0 + figure_repeats.MIN_REPEATS * BAR_S, BAR_S)) is None
    assert figure_repeats.figure_period_s(times=np.zeros(0)) is None


def test_weak_tom_peaks_on_the_figure_come_back_and_others_stay_out():
    kept = np.arange(5.0, 15.0, BAR_S)  # five strong strokes, heard by the network
    weak, off_period, too_weak = 3.0, 16.0, 15.0  # a bar before the first; 3 s after the last; a bar after
    activation = _activation(seconds=20, peaks_at=[*((time, 0.9) for time in kept), (weak, 0.3),
                                                   (off_period, 0.3), (too_weak, 0.1)])
    # The weak peak clears the candidates' threshold but not the network's own.
    margin = 0.3 - 0.3 / (peaks.PRE_AVG + peaks.POST_AVG + 1)
    assert figure_repeats.CANDIDATE_THRESHOLDS[hit_model.TT] <= margin < peaks.THRESHOLDS[hit_model.TT]
    times, repeated = figure_repeats.repeated_peaks(
        activation=activation, times=kept, candidate_threshold=figure_repeats.CANDIDATE_THRESHOLDS[hit_model.TT])
    assert list(times) == [weak]
    assert list(repeated) == [0], "it repeats the first kept stroke, a bar later"


def test_no_figure_no_repeats():
    kept = np.array([5.0, 7.0, 12.5])
    activation = _activation(seconds=20, peaks_at=[*((time, 0.9) for time in kept), (9.0, 0.3)])
    times, repeated = figure_repeats.repeated_peaks(activation=activation, times=kept, candidate_threshold=0.1)
    assert times.size == 0 and repeated.size == 0


def test_a_repeat_takes_the_lane_and_velocity_of_the_stroke_it_repeats_and_no_confidence():
    """A masked repeat's pitch is read less surely: it is the same drum played again."""
    floor, rack = np.arange(5.0, 15.0, BAR_S), np.arange(5.5, 15.5, BAR_S)
    curves = np.zeros((20 * FPS, 5))
    curves[:, hit_model.TT] = _activation(
        seconds=20, peaks_at=[*((time, 0.9) for time in np.concatenate([floor, rack])), (15.0, 0.3), (3.5, 0.3)])
    kept = np.sort(np.concatenate([floor, rack]))
    hits = [Hit(float(time), Lane.FLOOR_TOM if time in floor else Lane.HIGH_TOM, 0.8 if time in floor else 0.6, 1.0)
            for time in kept]
    onsets = [np.zeros(0)] * 5
    onsets[hit_model.TT] = kept
    repeats = advanced._figure_repeats(curves=curves, onsets=onsets, hits=hits)
    assert [(hit.time_s, hit.lane, hit.velocity, hit.confidence) for hit in repeats] == [
        (3.5, Lane.HIGH_TOM, 0.6, 0.0), (15.0, Lane.FLOOR_TOM, 0.8, 0.0)]


def test_quiet_backbeat_strokes_come_back_but_not_a_twitch_between_them():
    """Snare on 2 and 4 at 120 BPM (every second); the network hears five strokes faintly,
    under its threshold, and twitches once where no snare plays."""
    backbeat = np.arange(0.5, 60.0, 1.0)
    quiet = backbeat[[3, 10, 17, 29, 41]]
    twitch = 30.25  # an eighth note after a stroke: off the figure
    heights = [(time, 0.2 if time in quiet else 0.9) for time in backbeat] + [(twitch, 0.2)]
    activation = _activation(seconds=62, peaks_at=heights)
    picked = peaks.pick_frames(activation=activation, threshold=peaks.THRESHOLDS[hit_model.SD]) / FPS
    assert not np.isin(quiet, picked).any(), "the network's threshold drops the quiet strokes"
    times, _ = figure_repeats.repeated_peaks(activation=activation, times=picked,
                                             candidate_threshold=figure_repeats.CANDIDATE_THRESHOLDS[hit_model.SD])
    assert np.allclose(times, quiet)


def test_thousands_of_hits_find_their_period():
    """A ten-minute song of sixteenth-note hi-hats at 120 BPM: 4,800 hits, each with 32 others
    1 to 5 s later."""
    hihats = np.arange(0.0, 600.0, 0.125)
    assert abs(figure_repeats.figure_period_s(times=hihats) - 1.0) < 1e-9


def test_a_played_figure_has_its_period_in_the_middle_of_its_jitter():
    rng = np.random.default_rng(0)
    strokes = np.arange(1.0, 41.0, BAR_S) + rng.uniform(-0.01, 0.01, 20)  # a drummer's +-10 ms
    assert abs(figure_repeats.figure_period_s(times=strokes) - BAR_S) < 0.005


def test_two_faint_peaks_at_one_repeat_make_one_stroke():
    kept = np.arange(5.0, 15.0, BAR_S)
    activation = _activation(seconds=20, peaks_at=[*((time, 0.9) for time in kept), (3.0, 0.3), (3.03, 0.3)])
    times, _ = figure_repeats.repeated_peaks(activation=activation, times=kept, candidate_threshold=0.2)
    assert list(times) == [3.0]
