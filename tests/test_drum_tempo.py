"""Tests of the beat/bar tracker and tempo segments on synthetic activations."""

import numpy as np

from processing.rhythm import bar_tracking
from processing.rhythm import beat_tracking
from processing.rhythm import drum_tempo as tempo_map
from processing.rhythm.segments import segment_beat_times, tempo_segments

FPS = 100.0


def _pulses(times_s, n_frames, height=0.9):
    """Activation with a 3-frame peak at each time (s)."""
    activation = np.zeros(n_frames)
    for t in times_s:
        i = int(round(t * FPS))
        activation[max(i - 1, 0):i + 2] = [height * 0.5, height, height * 0.5][max(1 - i, 0):]
    return activation


def _drums(beat_times, n_frames, pattern):
    """(n_frames, 5) drum activations: class indices in pattern[k % len(pattern)] at beat k."""
    activations = np.zeros((n_frames, 5))
    for k, t in enumerate(beat_times):
        for c in pattern[k % len(pattern)]:
            activations[:, c] = np.maximum(activations[:, c], _pulses([t], n_frames))
    return activations


def test_steady_click_is_tracked_to_the_frame():
    truth = 0.3 + 0.5 * np.arange(40)
    beats = beat_tracking.track_beats(activation=_pulses(truth, int(truth[-1] * FPS) + 20))
    assert len(beats) == len(truth)
    assert np.abs(beats - truth).max() <= 0.011


def test_tempo_ramp_is_followed():
    periods = np.linspace(0.6, 0.45, 50)  # 100 to 133 BPM
    truth = 0.2 + np.concatenate([[0.0], np.cumsum(periods[:-1])])
    beats = beat_tracking.track_beats(activation=_pulses(truth, int(truth[-1] * FPS) + 30))
    assert len(beats) == len(truth)
    assert np.abs(beats - truth).max() <= 0.021


def test_gap_without_drums_keeps_the_tempo():
    truth = 0.25 + 0.5 * np.arange(80)
    heard = truth[(truth < 12) | (truth > 24)]
    beats = beat_tracking.track_beats(activation=_pulses(heard, int(truth[-1] * FPS) + 20))
    in_gap = beats[(beats > 12.5) & (beats < 23.5)]
    assert np.allclose(np.diff(in_gap), 0.5, atol=0.021)
    after = beats[beats > 24.5]
    assert np.abs(after - truth[np.searchsorted(truth, after - 0.1)]).max() <= 0.021


def test_rock_pattern_finds_the_downbeat_after_a_pickup():
    beats = 0.5 * np.arange(2, 66)  # beat 0 of the list is the bar's third beat
    n = int(beats[-1] * FPS) + 60
    bd, sd, hh, cy = 0, 1, 3, 4
    bar = [(bd, hh, cy), (sd, hh), (bd, hh), (sd, hh)]
    activations = _drums(beats, n, bar[2:] + bar[:2])
    bars = bar_tracking.track_bars(beat_times=beats, drum_activations=activations)
    assert bars.first_downbeat == 2
    assert set(bars.lengths.tolist()) == {4}


def test_waltz_pattern_gives_three_beat_bars():
    beats = 0.4 + 0.5 * np.arange(60)
    n = int(beats[-1] * FPS) + 60
    bd, sd, hh, cy = 0, 1, 3, 4
    activations = _drums(beats, n, [(bd, cy), (sd, cy), (sd, cy)])
    bars = bar_tracking.track_bars(beat_times=beats, drum_activations=activations)
    assert bars.first_downbeat == 0
    assert np.all(bars.lengths == 3)


def test_estimate_tempo_map_end_to_end():
    beats = 0.1 + 0.4 * np.arange(70)
    n = int(beats[-1] * FPS) + 20
    activations = _drums(beats, n, [(0, 3, 4), (1, 3), (0, 3), (1, 3)])
    beat_times, bars = tempo_map.estimate_tempo_map(drum_activations=activations)
    assert len(beat_times) == len(beats) and np.abs(beat_times - beats).max() <= 0.011
    downbeats = tempo_map.downbeat_times(beat_times=beat_times, first_downbeat=bars.first_downbeat,
                                         bar_lengths=bars.lengths)
    assert np.abs(downbeats - beats[::4]).max() <= 0.011


def test_segments_bound_the_error_and_merge_steady_tempo():
    rng = np.random.default_rng(0)
    steady = 0.5 * np.arange(100) + rng.uniform(-0.004, 0.004, 100)
    starts, times, periods = tempo_segments(beat_times=steady, max_error_s=0.01)
    assert len(starts) == 1 and abs(periods[0] - 0.5) < 1e-3
    two = np.concatenate([0.5 * np.arange(50), 24.5 + 0.4 * np.arange(1, 50)])
    starts, times, periods = tempo_segments(beat_times=two, max_error_s=0.01)
    assert starts.tolist() == [0, 49] and np.allclose(60 / periods, [120, 150])
    for trial in range(50):
        beats = np.cumsum(rng.uniform(0.3, 0.7) + rng.normal(0, 0.02, rng.integers(2, 90)))
        for error in (0.005, 0.01, 0.035):
            starts, times, periods = tempo_segments(beat_times=beats, max_error_s=error)
            model = segment_beat_times(starts=starts, times=times, periods=periods,
                                       n_beats=len(beats))
            assert np.abs(model - beats).max() <= error + 1e-9


def test_short_and_silent_inputs():
    assert beat_tracking.track_beats(activation=np.zeros(0)).size == 0
    assert beat_tracking.track_beats(activation=np.zeros(5)).size <= 1
    silent = beat_tracking.track_beats(activation=np.zeros(1000))
    assert np.all(np.diff(silent) > 0)
    bars = bar_tracking.track_bars(beat_times=np.array([0.5]), drum_activations=np.zeros((100, 5)))
    assert bars.first_downbeat == 0 and bars.lengths.tolist() == [4]


def test_a_silent_intro_before_a_soft_pickup_gets_the_drums_grid():
    """Soft drums (under the gate) a beat before the first loud one do not hide the silent
    intro before them: the intro's drifting beats are replaced by the drums' grid."""
    period, drums_in = 0.5, 20.0
    activation = np.zeros(3000)
    for time in drums_in + period * np.arange(18):
        activation[int(round(time * FPS))] = 0.9
    for time in (drums_in - 2 * period, drums_in - period):  # the pickup
        activation[int(round(time * FPS))] = 0.1
    drifting = 0.2 + 0.493 * np.arange(40)  # a tracker that followed nothing through the intro
    tracked = np.concatenate([drifting[drifting < drums_in - 0.3], drums_in + period * np.arange(18)])
    steadied = tempo_map.steady_intro(beat_times=tracked, activation=activation)
    grid = drums_in - period * np.arange(int(drums_in / period), 0, -1)
    intro = steadied[steadied < drums_in]
    assert intro.size == grid.size and np.abs(intro - grid).max() < 0.01
    # Music further ahead than PICKUP_BEATS is the intro's own: the tracker's beats stay.
    activation[int(round((drums_in - (tempo_map.PICKUP_BEATS + 2) * period) * FPS))] = 0.1
    np.testing.assert_array_equal(tempo_map.steady_intro(beat_times=tracked, activation=activation), tracked)


def _onset_pulses(times_s, n_frames, height=5.0):
    """Onset strength (spectral flux) with a one-frame rise at each time (s)."""
    strength = np.zeros(n_frames)
    strength[np.round(np.asarray(times_s) * FPS).astype(int)] = height
    return strength


def _drums_from(start_s, period, n_beats, n_frames):
    """Beat activation of drums playing every beat from start_s, and those beats."""
    drums = start_s + period * np.arange(n_beats)
    return _pulses(drums, n_frames), drums


def test_a_silent_intros_chords_place_its_beats_where_the_drums_tempo_is_off():
    """The band plays a 30-second intro at 120 BPM; the drums come in 1 % faster. Laid at
    the drums' tempo, the intro's first beat would fall 0.3 s early; fitted to the intro's
    onsets (a chord a bar, a bass note a beat) every intro beat is on time."""
    intro = 0.5 * np.arange(60)  # the band's beats, 0 s to 29.5 s
    activation, drums = _drums_from(30.0, 0.495, 30, 4600)
    onsets = _onset_pulses(intro, 4600, height=1.0) + _onset_pulses(intro[::4], 4600, height=4.0)
    tracked = np.concatenate([0.2 + 0.493 * np.arange(60)[0.2 + 0.493 * np.arange(60) < 29.7], drums])
    laid = tempo_map.steady_intro(beat_times=tracked, activation=activation)
    assert abs(laid[0] - 0.0) > 0.2  # the drums' grid alone misses the intro's start
    fitted = tempo_map.steady_intro(beat_times=tracked, activation=activation, onset_strength=onsets)
    lead_in = fitted[fitted < 29.9]
    assert lead_in.size == intro.size and np.abs(lead_in - intro).max() <= 0.011
    np.testing.assert_array_equal(fitted[lead_in.size:], drums)


def test_an_intro_the_tracker_drifted_through_is_fitted_to_its_onsets():
    """Chord strums leave weak activations in the intro; the tracker held a period one frame
    short and drifted 0.3 s by its start. The intro's onsets put its beats back."""
    intro = 0.5 * np.arange(60)
    activation, drums = _drums_from(30.0, 0.5, 30, 4600)
    activation = np.maximum(activation, _pulses(intro[::4], 4600, height=0.05))
    drifting = 30.0 - 0.495 * np.arange(60, 0, -1)
    onsets = _onset_pulses(intro, 4600)
    fitted = tempo_map.steady_intro(beat_times=np.concatenate([drifting, drums]), activation=activation,
                                    onset_strength=onsets)
    lead_in = fitted[fitted < 29.9]
    assert lead_in.size == intro.size and np.abs(lead_in - intro).max() <= 0.011


def test_an_intro_at_a_tempo_of_its_own_keeps_the_trackers_beats():
    """A 100 BPM intro before 120 BPM drums: the tracker followed the intro's strums, and no
    grid near the drums' tempo meets their onsets as well."""
    intro = 0.6 * np.arange(50)  # 0 s to 29.4 s
    activation, drums = _drums_from(30.0, 0.5, 30, 4600)
    activation = np.maximum(activation, _pulses(intro, 4600, height=0.05))
    tracked = np.concatenate([intro, drums])
    kept = tempo_map.steady_intro(beat_times=tracked, activation=activation,
                                  onset_strength=_onset_pulses(intro, 4600))
    np.testing.assert_array_equal(kept, tracked)


def test_a_silent_intro_without_a_pulse_keeps_the_drums_grid():
    """Noise in the intro (onsets everywhere alike) reaches no grid's contrast: the lead-in
    is the drums' grid continued back, as without onsets; digital silence likewise."""
    activation, drums = _drums_from(20.0, 0.5, 20, 3200)
    tracked = np.concatenate([0.2 + 0.493 * np.arange(40)[0.2 + 0.493 * np.arange(40) < 19.7], drums])
    laid = tempo_map.steady_intro(beat_times=tracked, activation=activation)
    noise = np.random.default_rng(0).uniform(0.5, 1.0, 3200)
    for onsets in (noise, np.zeros(3200)):
        np.testing.assert_array_equal(
            tempo_map.steady_intro(beat_times=tracked, activation=activation, onset_strength=onsets), laid)


def test_a_lead_in_of_a_few_beats_is_not_fitted():
    """Under LEAD_IN_MIN_FIT_BEATS beats of lead-in, one onset would fit any grid."""
    onsets = _onset_pulses([0.0, 0.5, 1.0], 400)
    assert tempo_map.fit_lead_in(onset_strength=onsets, end_time=1.5, period=0.5) is None
    assert tempo_map.fit_lead_in(onset_strength=_onset_pulses(0.5 * np.arange(8), 600), end_time=4.0,
                                 period=0.5) is not None


def test_onset_strength_rises_where_a_band_rises():
    """Spectral flux: only rises count, the first frame rises from silence."""
    spectrogram = np.zeros((6, 3))
    spectrogram[0, 0] = 1.0
    spectrogram[2:, 1] = 2.0
    spectrogram[4:, 1] = 0.5  # a fall: no onset
    np.testing.assert_allclose(tempo_map.onset_strength(spectrogram=spectrogram), [1.0, 0.0, 2.0, 0.0, 0.0, 0.0])


def test_a_lead_in_shorter_than_a_pickup_keeps_its_beats_unless_silent():
    """Drums from 1 s with a soft hit before them: no intro, the tracker's beats stay."""
    period, drums_in = 0.5, 1.0
    activation = np.zeros(1500)
    for time in drums_in + period * np.arange(20):
        activation[int(round(time * FPS))] = 0.9
    tracked = np.concatenate([[0.02, 0.52], drums_in + period * np.arange(20)])
    activation[int(round(0.52 * FPS))] = 0.1
    np.testing.assert_array_equal(tempo_map.steady_intro(beat_times=tracked, activation=activation), tracked)
    activation[int(round(0.52 * FPS))] = 0.0  # silent: the lead-in is laid on the drums' grid
    steadied = tempo_map.steady_intro(beat_times=tracked, activation=activation)
    np.testing.assert_allclose(steadied[:2], [0.0, 0.5], atol=0.01)


def test_a_lead_in_beat_on_the_first_sample_is_kept():
    """A silent intro whose grid falls on 0 s keeps that beat whatever the rounding of the
    fitted period: 20 s at 0.5 s a beat is 40 beats, the first at 0 s."""
    for period in (0.5 - 1e-12, 0.5, 0.5 + 1e-12):
        activation = np.zeros(3000)
        drums = 20.0 + period * np.arange(18)
        for time in drums:
            activation[int(round(time * FPS))] = 0.9
        tracked = np.concatenate([0.2 + 0.493 * np.arange(40)[0.2 + 0.493 * np.arange(40) < 19.7], drums])
        steadied = tempo_map.steady_intro(beat_times=tracked, activation=activation)
        intro = steadied[steadied < 20.0 - 1e-6]
        assert intro.size == 40 and abs(intro[0]) < 1e-6 and intro.min() >= 0.0


def test_a_drumless_break_whose_tracker_lost_a_beat_is_counted_at_the_drums_tempo():
    """Drums at 120 BPM, a 16-second break, drums again: tracked with 31 beats in the break
    (one lost), the break gets its 32, evenly spaced."""
    truth = 0.3 + 0.5 * np.arange(96)
    drums = np.r_[truth[:32], truth[64:]]
    activation = _pulses(drums, int(truth[-1] * FPS) + 20)
    tracked = np.r_[truth[:32], np.linspace(truth[31], truth[64], 32)[1:-1], truth[64:]]
    steadied = tempo_map.steady_breaks(beat_times=tracked, activation=activation)
    assert steadied.size == truth.size
    np.testing.assert_allclose(steadied, truth, atol=1e-9)


def test_a_break_whose_beats_number_the_drums_tempo_keeps_the_trackers_beats():
    """The band alone for 8 beats, tracked with the right count but following its own
    timing (a beat pushed 30 ms): the tracker's beats stay."""
    truth = 0.3 + 0.5 * np.arange(40)
    activation = _pulses(np.r_[truth[:16], truth[24:]], int(truth[-1] * FPS) + 20)
    tracked = truth.copy()
    tracked[20] -= 0.03
    np.testing.assert_array_equal(tempo_map.steady_breaks(beat_times=tracked, activation=activation), tracked)


def test_a_break_across_a_tempo_change_keeps_a_count_between_the_two_tempos():
    """120 BPM, a 12-second break, then 132 BPM: the break holds between 24 beats (at the
    tempo before) and 26 (after); the tracker's 25 stay, a lost beat (23) is put back."""
    before = 0.3 + 0.5 * np.arange(24)
    after = before[-1] + 12.0 + (60 / 132) * np.arange(24)
    activation = _pulses(np.r_[before, after], int(after[-1] * FPS) + 20)
    tracked = np.r_[before, np.linspace(before[-1], after[0], 26)[1:-1], after]
    np.testing.assert_array_equal(tempo_map.steady_breaks(beat_times=tracked, activation=activation), tracked)
    lost = np.r_[before, np.linspace(before[-1], after[0], 24)[1:-1], after]
    steadied = tempo_map.steady_breaks(beat_times=lost, activation=activation)
    assert steadied.size == lost.size + 1
    np.testing.assert_allclose(steadied[23:48], np.linspace(before[-1], after[0], 25), atol=1e-9)
