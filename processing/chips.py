"""Chip sounds cut from the song's own drum stem: one clean hit per lane.

A chart sounds best with the song's own drums as its chips. For each lane the cutter
takes the hit that stands out most from what surrounds it (least bleed from other drums,
no neighbour hit running into it), cuts it from the attack to where it dies away or the
next hit begins, fades it out and brings it to a common loudness. A lane with too few
hits, or none standing alone, gets no chip, and the caller falls back to the synthesised
kit.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

import numpy as np

MIN_HITS = 3  # fewer hits than this in a lane are more likely false detections than a drum
ISOLATION_S = 0.15  # no other hit of any lane this close before or after a candidate
ONSET_TOLERANCE_S = 0.03  # how far a transcribed hit time may sit from the real attack
ONSET_FRACTION = 0.1  # the attack starts where the envelope first reaches this share of the peak
ENVELOPE_S = 0.001  # smoothing of the rectified signal when looking for the attack
PRE_ROLL_S = 0.003  # the chip starts this long before the attack, so the attack is whole
ATTACK_S = 0.03  # the hit's peak is looked for this long after the attack
BACKGROUND_S = 0.1  # what surrounds a hit: the stem's level over this long before it
MIN_CLARITY = 2.0  # a hit whose peak is not 6 dB above its surroundings is bleed, not a chip
MAX_CHIP_S = 1.0  # cymbals ring for seconds; a chip retriggers long before that matters
SILENCE_DB = -60.0  # a chip ends once it stays this far below its peak
FADE_OUT_S = 0.02
LOUDNESS_S = 0.1  # loudness is the RMS of the chip's first 100 ms: its attack and body
TARGET_RMS = 10 ** (-18 / 20)  # -18 dBFS
PEAK_LEVEL = 0.89  # about -1 dBFS, as the synthesised kit
FLOOR = 1e-6  # -120 dBFS: keeps ratios finite over digital silence

Lane = TypeVar("Lane", bound=Hashable)


def _attack(*, signal: np.ndarray, time_s: float, sample_rate: int) -> int:
    """Sample index where the hit near `time_s` starts: the envelope's first rise to
    ONSET_FRACTION of its peak within the onset tolerance."""
    tolerance = round(ONSET_TOLERANCE_S * sample_rate)
    centre = round(time_s * sample_rate)
    start = max(centre - tolerance, 0)
    stop = min(centre + tolerance + round(ATTACK_S * sample_rate), signal.size)
    width = max(round(ENVELOPE_S * sample_rate), 1)
    envelope = np.convolve(np.abs(signal[start:stop]), np.ones(width) / width, mode="same")
    if envelope.size == 0 or envelope.max() <= FLOOR:
        return min(max(centre, 0), signal.size)
    return start + int(np.argmax(envelope >= ONSET_FRACTION * envelope.max()))


def _clarity(*, signal: np.ndarray, attack: int, sample_rate: int) -> float:
    """Peak of the hit over the RMS of the BACKGROUND_S before it (a ratio, not dB)."""
    peak = np.abs(signal[attack : attack + round(ATTACK_S * sample_rate)]).max(initial=0.0)
    before = signal[max(attack - round(BACKGROUND_S * sample_rate), 0) : attack]
    background = np.sqrt(np.mean(before**2)) if before.size else 0.0
    return float(peak / max(background, FLOOR))


def _cut(*, signal: np.ndarray, attack: int, end: int, sample_rate: int) -> np.ndarray:
    """(n,) float32 chip from just before `attack` to `end` at most, shortened to where it
    falls silent, faded out and brought to the common loudness."""
    chip = signal[max(attack - round(PRE_ROLL_S * sample_rate), 0) : end].astype(np.float64)
    peak = np.abs(chip).max()
    loud = np.flatnonzero(np.abs(chip) >= peak * 10 ** (SILENCE_DB / 20))
    chip = chip[: loud[-1] + 1]
    fade = min(round(FADE_OUT_S * sample_rate), chip.size // 4)
    if fade:
        chip[-fade:] *= np.linspace(1.0, 0.0, fade)
    rms = np.sqrt(np.mean(chip[: round(LOUDNESS_S * sample_rate)] ** 2))
    # Loudness first; a very peaky hit is turned down further rather than clipped.
    gain = min(TARGET_RMS / max(rms, FLOOR), PEAK_LEVEL / max(np.abs(chip).max(), FLOOR))
    return (chip * gain).astype(np.float32)


def cut_chips(*, drum_stem: np.ndarray, sample_rate: int, hits: Iterable[tuple[float, Lane]]) -> dict[Lane, np.ndarray]:
    """One chip sound per lane, cut from the drum stem at that lane's cleanest lone hit.

    drum_stem: (channels, n) or (n,) float, the separated drums, at `sample_rate` Hz.
    hits: (time in seconds, lane) pairs, any order; the lane is any hashable key.

    Returns {lane: (m,) float32 mono chip at `sample_rate`, m <= MAX_CHIP_S * sample_rate,
    RMS of its first 100 ms at -18 dBFS unless that would put its peak above -1 dBFS}.
    Lanes with fewer than MIN_HITS hits, or with no hit ISOLATION_S clear of every other
    hit and standing MIN_CLARITY above its surroundings, are left out.
    """
    # Kept in its own precision: a float64 copy of a 10-minute stem is 200 MB; the chip
    # that is cut is converted on its own.
    signal = np.asarray(drum_stem)
    signal = signal.mean(axis=0) if signal.ndim == 2 else signal
    ordered = sorted(hits, key=lambda hit: hit[0])
    times = np.array([time for time, _ in ordered])
    counts: dict[Lane, int] = {}
    for _, lane in ordered:
        counts[lane] = counts.get(lane, 0) + 1
    best: dict[Lane, tuple[float, int, int]] = {}  # lane -> (clarity, attack, end)
    for index, (time_s, lane) in enumerate(ordered):
        previous_gap = time_s - times[index - 1] if index > 0 else np.inf
        next_gap = times[index + 1] - time_s if index + 1 < len(ordered) else np.inf
        if counts[lane] < MIN_HITS or min(previous_gap, next_gap) < ISOLATION_S:
            continue
        attack = _attack(signal=signal, time_s=time_s, sample_rate=sample_rate)
        if attack >= signal.size:
            continue
        # The chip may ring until just before the next hit's attack could begin.
        ring_s = min(MAX_CHIP_S, time_s + next_gap - ONSET_TOLERANCE_S - PRE_ROLL_S - attack / sample_rate)
        end = min(attack + round(ring_s * sample_rate), signal.size)
        clarity = _clarity(signal=signal, attack=attack, sample_rate=sample_rate)
        if clarity >= MIN_CLARITY and (lane not in best or clarity > best[lane][0]):
            best[lane] = (clarity, attack, end)
    return {
        lane: _cut(signal=signal, attack=attack, end=end, sample_rate=sample_rate)
        for lane, (_, attack, end) in best.items()
    }
