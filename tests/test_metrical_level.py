"""Tests of the metrical level chosen for tracked beats, on synthetic drum activations with
known beats: a rock groove's true grid is kept, and its double, half and off-beat grids are
brought back to it; a waltz and a groove too short to judge are left alone."""

import numpy as np
import pytest

from processing.rhythm import drum_tempo, metrical_level

FPS = 100.0
PERIOD_S = 0.6  # 100 BPM
BEATS = 0.5 + PERIOD_S * np.arange(48)
N_FRAMES = int((BEATS[-1] + 1.0) * FPS)
DURATION_S = N_FRAMES / FPS
BD, SD, HH, CY = 0, 1, 3, 4


def _peak(curve, time_s, height):
    frame = int(round(time_s * FPS))
    curve[frame - 1:frame + 2] = np.maximum(curve[frame - 1:frame + 2], [height / 2, height, height / 2])


def rock_groove():
    """Drum activations, shape (N_FRAMES, 5): kick on beats 1 and 3, snare on 2 and 4,
    hi-hat eighths."""
    activations = np.zeros((N_FRAMES, 5))
    for index, beat in enumerate(BEATS):
        _peak(activations[:, BD if index % 2 == 0 else SD], beat, 0.9)
        for eighth in (beat, beat + PERIOD_S / 2):
            _peak(activations[:, HH], eighth, 0.6)
    return activations


def test_the_weights_are_one_per_feature():
    assert metrical_level.WEIGHTS.shape == (len(metrical_level.FEATURES),)


def test_candidate_grids_are_double_halves_and_offbeats_within_the_song():
    tracked = np.array([0.2, 0.7, 1.2, 1.7])
    same, double, even, odd, shifted = metrical_level.candidate_grids(beat_times=tracked, duration_s=2.0)
    assert np.array_equal(same, tracked)
    # Half a beat before the first (-0.05 s) is before the song; after the last (1.95 s) is in it.
    assert np.allclose(shifted, [0.45, 0.95, 1.45, 1.95])
    assert np.allclose(double, [0.2, 0.45, 0.7, 0.95, 1.2, 1.45, 1.7, 1.95])
    assert np.allclose(even, [0.2, 1.2]) and np.allclose(odd, [0.7, 1.7])
    _, _, _, _, shifted = metrical_level.candidate_grids(beat_times=tracked, duration_s=1.9)
    assert np.allclose(shifted, [0.45, 0.95, 1.45])


def test_the_true_grid_is_kept():
    activations = rock_groove()
    chosen = metrical_level.choose_level(beat_times=BEATS, drum_activations=activations)
    assert np.array_equal(chosen, BEATS)


@pytest.mark.parametrize("wrong_grid", ["double", "half, even beats", "half, odd beats", "shifted half a beat"])
def test_a_grid_at_another_level_is_brought_back_to_the_beats(wrong_grid):
    activations = rock_groove()
    tracked = metrical_level.candidate_grids(beat_times=BEATS, duration_s=DURATION_S)[
        metrical_level.CANDIDATES.index(wrong_grid)]
    chosen = metrical_level.choose_level(beat_times=tracked, drum_activations=activations)
    # Every chosen beat is on the groove's grid (which may go on a beat past its last hit),
    # and every true beat is chosen but for one at an end that a halved grid lacks.
    beats_from_first = (chosen - BEATS[0]) / PERIOD_S
    assert np.abs(beats_from_first - np.round(beats_from_first)).max() * PERIOD_S <= 0.011
    assert np.isin(np.round(beats_from_first), np.arange(BEATS.size)).sum() >= BEATS.size - 1


def test_a_better_grid_within_the_margin_leaves_the_tracked_one():
    activations = rock_groove()
    doubled = metrical_level.candidate_grids(beat_times=BEATS, duration_s=DURATION_S)[1]
    scores = metrical_level.candidate_features(beat_times=doubled, drum_activations=activations) @ metrical_level.WEIGHTS
    gain = scores.max() - scores[0]
    assert gain > metrical_level.SWITCH_MARGIN
    assert metrical_level.chosen_candidate(scores=scores, margin=gain + 0.1) == 0
    assert metrical_level.chosen_candidate(scores=scores, margin=gain - 0.1) == int(np.argmax(scores))


def test_a_waltz_keeps_its_beats():
    # Kick on one, snare on two and three, crash on every beat: drums that repeat in three,
    # tracked at twice their tempo would still be left alone.
    activations = np.zeros((N_FRAMES, 5))
    for index, beat in enumerate(BEATS):
        _peak(activations[:, BD if index % 3 == 0 else SD], beat, 0.9)
        _peak(activations[:, CY], beat, 0.5)
    assert not metrical_level.repeats_in_four(beat_times=BEATS, drum_activations=activations)
    np.testing.assert_array_equal(metrical_level.choose_level(beat_times=BEATS, drum_activations=activations), BEATS)


def test_too_few_beats_are_left_alone():
    three = BEATS[:3]
    np.testing.assert_array_equal(metrical_level.choose_level(beat_times=three, drum_activations=rock_groove()), three)


def test_the_song_beats_come_back_at_the_level_of_the_drums():
    tracked = drum_tempo.track_song_beats(drum_activations=rock_groove())
    inside = tracked[(tracked > BEATS[0] - 0.1) & (tracked < BEATS[-1] + 0.1)]
    assert inside.size == BEATS.size and np.abs(inside - BEATS).max() <= 0.011
