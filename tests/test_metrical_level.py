"""Tests of the metrical level chosen for tracked beats, on a synthetic rock groove with a
backbeat: the true grid is kept, and double, half and off-beat grids are brought back to it."""

import numpy as np
import pytest

from processing.rhythm import metrical_level

FPS = 100.0
PERIOD_S = 0.6  # 100 BPM
BEATS = 0.5 + PERIOD_S * np.arange(48)
N_FRAMES = int((BEATS[-1] + 1.0) * FPS)
BD, SD, HH = 0, 1, 3


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


def test_candidate_grids_are_double_halves_and_offbeats():
    tracked = np.array([1.0, 1.5, 2.0, 2.5])
    same, double, even, odd, shifted = metrical_level.candidate_grids(tracked)
    assert np.array_equal(same, tracked)
    assert np.allclose(double, [1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75])
    assert np.allclose(even, [1.0, 2.0]) and np.allclose(odd, [1.5, 2.5])
    assert np.allclose(shifted, [1.25, 1.75, 2.25, 2.75])


def test_the_true_grid_scores_best_and_is_kept():
    activations = rock_groove()
    chosen = metrical_level.choose_level(beat_times=BEATS, drum_activations=activations)
    assert np.array_equal(chosen, BEATS)


@pytest.mark.parametrize("wrong_grid", ["double", "half, even beats", "half, odd beats", "shifted half a beat"])
def test_a_grid_at_another_level_is_brought_back_to_the_beats(wrong_grid):
    activations = rock_groove()
    tracked = metrical_level.candidate_grids(BEATS)[metrical_level.CANDIDATES.index(wrong_grid)]
    chosen = metrical_level.choose_level(beat_times=tracked, drum_activations=activations)
    inside = chosen[chosen <= BEATS[-1] + 0.01]
    # Within the song every chosen beat is a true beat, and (but for an end beat a halved
    # grid may lack) every true beat is chosen.
    assert np.abs(inside[:, None] - BEATS[None, :]).min(axis=1).max() <= 0.011
    assert inside.size >= BEATS.size - 1


def test_too_few_beats_are_left_alone():
    activations = rock_groove()
    three = BEATS[:3]
    assert np.array_equal(metrical_level.choose_level(beat_times=three, drum_activations=activations), three)
