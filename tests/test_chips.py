"""cut_chips on a synthetic drum stem: CC0 one-shots placed at known times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from processing.chips import PEAK_LEVEL, TARGET_RMS, cut_chips

SAMPLE_RATE = 44_100
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "samples-cc0"
BPM_BEAT_S = 0.5  # 120 BPM


def one_shot(name: str) -> np.ndarray:
    sound, rate = sf.read(SAMPLES / f"{name}.flac", dtype="float32", always_2d=True)
    assert rate == SAMPLE_RATE
    return sound.mean(axis=1)


def place(stem: np.ndarray, sound: np.ndarray, time_s: float, gain: float = 0.5) -> None:
    start = round(time_s * SAMPLE_RATE)
    part = sound[: stem.size - start]
    stem[start : start + part.size] += gain * part


def band_share(chip: np.ndarray, low_hz: float, high_hz: float) -> float:
    """Share of the chip's energy between low_hz and high_hz."""
    power = np.abs(np.fft.rfft(chip)) ** 2
    freqs = np.fft.rfftfreq(chip.size, 1 / SAMPLE_RATE)
    return float(power[(freqs >= low_hz) & (freqs < high_hz)].sum() / power.sum())


@pytest.fixture(scope="module")
def groove():
    """16 s stereo drum stem: 8 s of a busy groove (kick and hi-hat always together, so
    neither is isolated there), then a break with lone kicks, snares and hi-hats, one
    kick of them buried in noise; plus a tom that only ever plays with a kick and a crash
    hit twice. Returns (stem (2, n), hits)."""
    rng = np.random.default_rng(7)
    kick, snare, hihat = one_shot("drum_heavy_kick"), one_shot("drum_snare_hard"), one_shot("drum_cymbal_closed")
    tom, crash = one_shot("drum_tom_lo_hard"), one_shot("drum_splash_hard")
    mono = 0.002 * rng.standard_normal(16 * SAMPLE_RATE)  # a low noise floor, like real bleed
    hits: list[tuple[float, str]] = []
    for beat in range(16):
        time_s = beat * BPM_BEAT_S
        place(mono, hihat, time_s, 0.3)
        hits.append((time_s, "HH"))
        place(mono, kick if beat % 2 == 0 else snare, time_s)
        hits.append((time_s, "BD" if beat % 2 == 0 else "SD"))
        if beat % 4 == 0:
            place(mono, tom, time_s)
            hits.append((time_s, "LT"))
    for time_s, lane, sound in [
        (9.0, "BD", kick),
        (10.0, "SD", snare),
        (11.0, "HH", hihat),
        (12.0, "BD", kick),
        (13.0, "HH", hihat),
        (14.0, "SD", snare),
        (15.0, "BD", kick),
    ]:
        place(mono, sound, time_s, 0.3 if lane == "HH" else 0.5)
        hits.append((time_s, lane))
    # Loud noise just before the 12 s kick: that one must not be picked.
    mono[round(11.85 * SAMPLE_RATE) : round(12.0 * SAMPLE_RATE)] += 0.2 * rng.standard_normal(round(0.15 * SAMPLE_RATE))
    for time_s in (2.0, 6.0):
        place(mono, crash, time_s)
        hits.append((time_s, "CY"))
    stem = np.stack([mono, 0.9 * mono]).astype(np.float32)
    rng.shuffle(hits)  # callers need not sort
    return stem, hits


def test_kick_chip_is_low_and_hihat_chip_is_high(groove):
    stem, hits = groove
    chips = cut_chips(drum_stem=stem, sample_rate=SAMPLE_RATE, hits=hits)
    assert band_share(chips["BD"], 0, 150) > 0.8
    assert band_share(chips["HH"], 5000, SAMPLE_RATE / 2) > 0.7
    assert band_share(chips["SD"], 150, SAMPLE_RATE / 2) > 0.8


def test_lanes_without_a_lone_hit_or_with_too_few_hits_are_left_out(groove):
    stem, hits = groove
    chips = cut_chips(drum_stem=stem, sample_rate=SAMPLE_RATE, hits=hits)
    assert set(chips) == {"BD", "SD", "HH"}  # LT always plays with BD; CY has two hits


def best_fit(chip: np.ndarray, sound: np.ndarray) -> tuple[float, int]:
    """(correlation, lag in samples) of `sound` placed at its best lag in the chip's first 6 ms."""
    window = round(0.006 * SAMPLE_RATE)
    n = min(chip.size, sound.size) - window
    fits = [np.corrcoef(chip[lag : lag + n], sound[:n])[0, 1] for lag in range(window)]
    return max(fits), int(np.argmax(fits))


@pytest.mark.parametrize("delay_s", [0.0, 0.02], ids=["on time", "20 ms late"])
def test_cleanest_hit_is_chosen_and_cut_from_its_attack(groove, delay_s):
    stem, hits = groove
    chips = cut_chips(drum_stem=stem, sample_rate=SAMPLE_RATE, hits=[(t + delay_s, lane) for t, lane in hits])
    # A clean kick (the noisy 12 s one would not line up), starting within the chip's
    # first 6 ms but not at its very first sample: the attack is whole, even when the
    # transcriber's times run late.
    correlation, lag = best_fit(chips["BD"], one_shot("drum_heavy_kick"))
    assert correlation > 0.99
    assert lag > 0


def test_chips_are_levelled_short_and_faded(groove):
    stem, hits = groove
    chips = cut_chips(drum_stem=stem, sample_rate=SAMPLE_RATE, hits=hits)
    for lane, chip in chips.items():
        assert chip.dtype == np.float32 and chip.ndim == 1, lane
        assert 0.05 * SAMPLE_RATE < chip.size <= SAMPLE_RATE, lane
        assert np.abs(chip).max() <= PEAK_LEVEL + 1e-6, lane
        loudness = np.sqrt(np.mean(chip[: round(0.1 * SAMPLE_RATE)].astype(np.float64) ** 2))
        # At the target, unless the peak cap turned it down.
        assert loudness == pytest.approx(TARGET_RMS, rel=0.02) or np.abs(chip).max() == pytest.approx(PEAK_LEVEL), lane
        assert abs(chip[-1]) < 1e-3, lane


def test_silence_gives_no_chips():
    stem = np.zeros((2, 5 * SAMPLE_RATE), dtype=np.float32)
    hits = [(1.0, "BD"), (2.0, "BD"), (3.0, "BD")]
    assert cut_chips(drum_stem=stem, sample_rate=SAMPLE_RATE, hits=hits) == {}
