"""Tom lanes: each tom hit's pitch, and the song's toms told apart by it."""

import numpy as np
import pytest

from processing.transcription.adtof import lanes

SAMPLE_RATE = 44100
HITS_S = (0.5, 1.5, 2.5)


def _toms(*, partials_hz_amplitude: list[tuple[float, float]]) -> np.ndarray:
    """(n,) float32: a faint noise floor and, at each of HITS_S, a tom whose modes are decaying
    sines at the given frequencies (Hz) and amplitudes."""
    rng = np.random.default_rng(0)
    audio = 1e-4 * rng.standard_normal(SAMPLE_RATE * 3)
    ring = np.arange(int(0.4 * SAMPLE_RATE)) / SAMPLE_RATE
    stroke = sum(gain * np.sin(2 * np.pi * hz * ring) for hz, gain in partials_hz_amplitude) * np.exp(-ring / 0.15)
    for time in HITS_S:
        start = int(time * SAMPLE_RATE)
        audio[start:start + len(stroke)] += stroke
    return audio.astype(np.float32)


def test_a_tom_reads_at_its_fundamental_where_an_overtone_rings_louder():
    audio = _toms(partials_hz_amplitude=[(100.0, 0.8), (160.0, 1.0)])
    onsets = np.array(HITS_S)
    pitches = lanes.tom_pitches(samples=audio, sample_rate=SAMPLE_RATE, onsets=onsets)
    assert pitches == pytest.approx([100.0] * 3, abs=6.0)  # 5.4 Hz bins
    loudest = lanes.tom_pitches(samples=audio, sample_rate=SAMPLE_RATE, onsets=onsets, peak_share=1.0)
    assert loudest == pytest.approx([160.0] * 3, abs=6.0), "the largest gain alone hears the overtone"


def test_a_partial_far_weaker_than_the_strongest_is_not_the_pitch():
    """A rumble well under TOM_PEAK_SHARE of the tom's own gain (a bass note struck with it)
    does not pull the tom down to its frequency."""
    audio = _toms(partials_hz_amplitude=[(60.0, 0.2), (150.0, 1.0)])
    pitches = lanes.tom_pitches(samples=audio, sample_rate=SAMPLE_RATE, onsets=np.array(HITS_S))
    assert pitches == pytest.approx([150.0] * 3, abs=6.0)


def test_a_rack_and_a_floor_tom_get_the_high_and_floor_lanes():
    rack, floor = _toms(partials_hz_amplitude=[(180.0, 1.0)]), _toms(partials_hz_amplitude=[(95.0, 1.0)])
    onsets = np.array(HITS_S)
    pitches = np.concatenate([lanes.tom_pitches(samples=rack, sample_rate=SAMPLE_RATE, onsets=onsets),
                              lanes.tom_pitches(samples=floor, sample_rate=SAMPLE_RATE, onsets=onsets)])
    assert list(lanes.tom_lanes(pitches=pitches)) == ["HT"] * 3 + ["FT"] * 3


def test_a_lone_tom_is_a_rack_tom_above_100_hz_and_a_floor_tom_below():
    assert set(lanes.tom_lanes(pitches=np.full(6, 110.0))) == {"HT"}
    assert set(lanes.tom_lanes(pitches=np.full(6, 90.0))) == {"FT"}
    assert lanes.tom_lanes(pitches=np.zeros(0)).size == 0
