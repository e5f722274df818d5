"""Tom fills too dense for ADTOF's peak picking come back as runs of strokes (tom_fills), on
synthetic activations with known answers."""

import numpy as np

from processing.transcription.adtof import peaks, tom_fills
from processing.transcription.adtof.hit_model import SD, TT

FPS = 100
# One stroke's activation, frame by frame around its peak: the network's spread of a hit.
STROKE_SHAPE = (0.1, 0.25, 0.45, 0.25, 0.1)
FILL_START_S = 2.0
SIXTEENTH_S = 0.09  # a sixteenth at 167 BPM, as in Punk's fill


def _activations(*, strokes_at, seconds=5, tom=True):
    """(frames, 5): zero but for a stroke of STROKE_SHAPE at each of `strokes_at` (seconds), in
    the tom class, or in the snare class with a weaker echo in the tom class (a snare roll)."""
    activations = np.zeros((seconds * FPS, 5))
    for time in strokes_at:
        frame = round(time * FPS)
        shape = np.array(STROKE_SHAPE)
        frames = slice(frame - len(shape) // 2, frame + len(shape) // 2 + 1)
        if tom:
            activations[frames, TT] = shape
        else:
            activations[frames, SD] = shape
            activations[frames, TT] = 0.8 * shape
    return activations


def _fill(strokes, gap_s=SIXTEENTH_S):
    return FILL_START_S + gap_s * np.arange(strokes)


def test_a_fill_of_sixteenths_comes_back_whole_where_the_picking_keeps_one_stroke():
    activations = _activations(strokes_at=_fill(4))
    picked = peaks.pick_onsets(activations=activations)[TT]
    assert len(picked) == 1  # each stroke lifts the moving average the next must clear
    np.testing.assert_allclose(tom_fills.fill_strokes(activations=activations), _fill(4), atol=1e-9)


def test_too_few_or_too_slow_strokes_or_a_snare_roll_are_no_fill():
    assert tom_fills.fill_strokes(activations=_activations(strokes_at=_fill(tom_fills.FILL_MIN_STROKES - 1))).size == 0
    slow = _fill(6, gap_s=tom_fills.FILL_MAX_GAP_S + 0.05)
    assert tom_fills.fill_strokes(activations=_activations(strokes_at=slow)).size == 0
    assert tom_fills.fill_strokes(activations=_activations(strokes_at=_fill(6), tom=False)).size == 0


def test_only_the_run_is_a_fill_not_a_lone_stroke_before_it():
    lone = FILL_START_S - 1.0
    strokes = tom_fills.fill_strokes(activations=_activations(strokes_at=[lone, *_fill(5)]))
    np.testing.assert_allclose(strokes, _fill(5), atol=1e-9)


def test_a_fill_stroke_already_picked_is_not_added_twice():
    activations = _activations(strokes_at=_fill(4))
    picked = np.array([0.5, FILL_START_S + 0.01])  # a tom hit before the fill, and the fill's first stroke
    toms = tom_fills.with_fill_strokes(toms=picked, activations=activations)
    np.testing.assert_allclose(toms, np.sort(np.concatenate([[0.5, FILL_START_S + 0.01], _fill(4)[1:]])), atol=1e-9)
    assert np.all(np.diff(toms) > 0)
    np.testing.assert_allclose(tom_fills.with_fill_strokes(toms=np.zeros(0), activations=activations), _fill(4),
                               atol=1e-9)
