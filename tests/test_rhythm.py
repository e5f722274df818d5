"""Tempo maps on click trains with known tempo and phase."""

import numpy as np
import pytest

from processing.arrangement import quantise_ticks
from processing.rhythm import TempoMap, estimate_global_tempo_map

SAMPLE_RATE = 44_100


def click_train(*, bpm: float, phase_s: float, seconds: float) -> np.ndarray:
    samples = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)
    click = np.hanning(64).astype(np.float32) * np.sign(np.sin(np.arange(64)))
    for time in np.arange(phase_s, seconds - 0.1, 60.0 / bpm):
        start = int(round(time * SAMPLE_RATE))
        samples[start : start + 64] += click
    return samples


@pytest.mark.parametrize("bpm,phase", [(96.0, 0.31), (120.0, 0.05), (137.0, 0.6)])
def test_click_train_tempo_and_phase(bpm, phase):
    tempo_map = estimate_global_tempo_map(mono=click_train(bpm=bpm, phase_s=phase, seconds=30.0),
                                          sample_rate=SAMPLE_RATE)
    assert tempo_map.mean_bpm == pytest.approx(bpm, abs=0.05)
    period = 60.0 / bpm
    offsets = (tempo_map.beat_times - phase + period / 2) % period - period / 2
    assert np.max(np.abs(offsets)) < 0.012


def test_beat_positions_and_times_invert_each_other_beyond_the_edges():
    tempo_map = TempoMap(beat_times=np.array([1.0, 1.5, 2.0, 2.4, 2.8]))
    times = np.array([0.0, 0.75, 1.0, 2.2, 2.8, 4.0])
    positions = tempo_map.beat_positions(times)
    assert positions == pytest.approx([-2.0, -0.5, 0.0, 2.5, 4.0, 7.0])
    assert tempo_map.times_at(positions) == pytest.approx(times)


def test_quantisation_grid_holds_sixteenths_and_triplets():
    positions = np.array([0.0, 0.26, 0.31, 0.49, 0.68, 0.9, 1.02])
    assert list(quantise_ticks(beat_positions=positions)) == [0, 12, 16, 24, 32, 48, 48]
