"""Playability rules and the four difficulties (BASIC, ADVANCED, EXTREME, MASTER).

MASTER is the full transcription made playable; each lower level is a reduction a human
charter would accept: notes ranked by metric strength and thinned per lane with growing
minimum gaps, kicks dropped inside fills, fewer limbs at once. Each level gets a #DLEVEL
from its note density, its densest stretch and how independent the limbs must be.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np

from processing.arrangement import TICKS_PER_BEAT, Chart, Note
from processing.lanes import FOOT_LANES, Lane
from processing.rhythm import TempoMap

HAND_LANES = frozenset({
    Lane.HIHAT_CLOSED, Lane.HIHAT_OPEN, Lane.SNARE, Lane.HIGH_TOM, Lane.LOW_TOM, Lane.FLOOR_TOM,
    Lane.CRASH, Lane.RIDE, Lane.LEFT_CRASH,
})
TOM_LANES = frozenset({Lane.HIGH_TOM, Lane.LOW_TOM, Lane.FLOOR_TOM})
MAX_HANDS, MAX_FEET = 2, 2
# Which of two clashing notes a player keeps: the backbone first, then accents, then colour.
LANE_PRIORITY = {
    Lane.SNARE: 0, Lane.BASS_DRUM: 0, Lane.CRASH: 1, Lane.LEFT_CRASH: 2, Lane.HIHAT_OPEN: 3,
    Lane.HIHAT_CLOSED: 3, Lane.RIDE: 3, Lane.HIGH_TOM: 4, Lane.LOW_TOM: 4, Lane.FLOOR_TOM: 4,
    Lane.HIHAT_PEDAL: 5, Lane.LEFT_BASS_DRUM: 5,
}
FLAM_S = 0.030  # two hand hits closer than this are one stroke to a player below MASTER
LEVEL_WINDOW_S = 30.0
# Computed levels stop here so that the three steps above BASIC still fit under 990.
MAX_COMPUTED_LEVEL = 960


@dataclass(frozen=True)
class DifficultySpec:
    """How far a level reduces the chart.

    min_gap_beats: per lane group, the smallest distance (beats) between two kept notes.
    max_limbs: most limbs at one tick (hands + feet).
    drop_kicks_in_fills: drop bass drum notes in beats that hold tom notes.
    """

    label: str
    file_name: str
    min_gap_beats: dict[str, float]
    max_limbs: int
    drop_kicks_in_fills: bool
    merge_flams: bool


DIFFICULTIES = (
    DifficultySpec("BASIC", "basic.dtx", {"hands": 1.0, "feet": 1.0, "cymbals": 2.0}, 2, True, True),
    DifficultySpec("ADVANCED", "advanced.dtx", {"hands": 0.5, "feet": 0.5, "cymbals": 1.0}, 2, True, True),
    DifficultySpec("EXTREME", "extreme.dtx", {"hands": 0.25, "feet": 0.25, "cymbals": 0.5}, 3, False, True),
    DifficultySpec("MASTER", "master.dtx", {"hands": 0.0, "feet": 0.0, "cymbals": 0.0}, 4, False, False),
)
CYMBAL_LANES = frozenset({Lane.CRASH, Lane.LEFT_CRASH})


def lane_group(lane: Lane) -> str:
    if lane in CYMBAL_LANES:
        return "cymbals"
    return "feet" if lane in FOOT_LANES else "hands"


def metric_strength(tick: int, *, beats_per_bar: int = 4) -> int:
    """How strong a position `tick` ticks into its bar is: 5 bar line, 4 half bar (in bars of
    an even number of beats), 3 beat, 2 eighth, 1 sixteenth, 0 anything finer (triplets)."""
    bar_ticks = beats_per_bar * TICKS_PER_BEAT
    steps = [(5, bar_ticks), (3, TICKS_PER_BEAT), (2, TICKS_PER_BEAT // 2), (1, TICKS_PER_BEAT // 4)]
    if beats_per_bar % 2 == 0:
        steps.insert(1, (4, bar_ticks // 2))
    for strength, step in steps:
        if tick % step == 0:
            return strength
    return 0


def metric_strengths(*, ticks: list[int], tempo_map: TempoMap) -> list[int]:
    """metric_strength of each grid tick, counted from the start of its bar in `tempo_map`
    (tick 0 is beat 0, which need not start a bar)."""
    if not ticks:
        return []
    starts = tempo_map.bar_starts(first_beat=min(ticks) // TICKS_PER_BEAT,
                                  until_beat=max(ticks) // TICKS_PER_BEAT + 1) * TICKS_PER_BEAT
    lengths = np.diff(starts, append=starts[-1] + tempo_map.beats_per_bar * TICKS_PER_BEAT)
    bars = np.searchsorted(starts, ticks, side="right") - 1
    return [metric_strength(tick - int(starts[bar]), beats_per_bar=int(lengths[bar]) // TICKS_PER_BEAT)
            for tick, bar in zip(ticks, bars)]


def make_playable(*, notes: list[Note], max_limbs: int = MAX_HANDS + MAX_FEET) -> list[Note]:
    """At each tick: at most two hands and two feet (and `max_limbs` in all); never open and
    closed hi-hat together; never the hi-hat pedal under an open hi-hat."""
    by_tick: dict[int, list[Note]] = defaultdict(list)
    for note in notes:
        by_tick[note.tick].append(note)
    kept = []
    for tick in sorted(by_tick):
        chord = sorted(by_tick[tick], key=lambda n: (LANE_PRIORITY[n.lane], -n.velocity))
        lanes = {note.lane for note in chord}
        if Lane.HIHAT_OPEN in lanes and Lane.HIHAT_CLOSED in lanes:
            chord = [n for n in chord if n.lane != Lane.HIHAT_CLOSED]
        if Lane.HIHAT_OPEN in lanes:
            chord = [n for n in chord if n.lane != Lane.HIHAT_PEDAL]
        hands = [n for n in chord if n.lane in HAND_LANES][:MAX_HANDS]
        feet = [n for n in chord if n.lane in FOOT_LANES][:MAX_FEET]
        chosen = sorted(hands + feet, key=lambda n: (LANE_PRIORITY[n.lane], -n.velocity))[:max_limbs]
        kept.extend(sorted(chosen, key=lambda n: n.lane.channel))
    return kept


def merge_flams(*, notes: list[Note], note_times: np.ndarray) -> list[Note]:
    """Two hand notes under FLAM_S apart become the first of them."""
    kept, last_hand_time = [], -np.inf
    for note, time in zip(notes, note_times):
        if note.lane in HAND_LANES:
            if 0 < time - last_hand_time < FLAM_S:
                continue
            last_hand_time = time
        kept.append(note)
    return kept


def thin(*, notes: list[Note], spec: DifficultySpec, tempo_map: TempoMap) -> list[Note]:
    """Keep, lane by lane, the metrically strongest notes at least the spec's gap apart."""
    strength = dict(zip(notes, metric_strengths(ticks=[n.tick for n in notes], tempo_map=tempo_map)))
    kept: list[Note] = []
    by_lane: dict[Lane, list[Note]] = defaultdict(list)
    for note in notes:
        by_lane[note.lane].append(note)
    for lane, lane_notes in by_lane.items():
        gap = spec.min_gap_beats[lane_group(lane)] * TICKS_PER_BEAT
        ranked = sorted(lane_notes, key=lambda n: (-strength[n], n.tick))
        accepted: list[int] = []  # sorted ticks
        for note in ranked:
            index = bisect.bisect_left(accepted, note.tick)
            neighbours = accepted[max(index - 1, 0) : index + 1]
            if all(abs(note.tick - other) >= gap for other in neighbours):
                accepted.insert(index, note.tick)
                kept.append(note)
    return sorted(kept, key=lambda n: (n.tick, n.lane.channel))


def drop_kicks_in_fills(*, notes: list[Note]) -> list[Note]:
    """Drop bass drum notes in beats that hold tom notes: a fill is for the hands."""
    fill_beats = {note.tick // TICKS_PER_BEAT for note in notes if note.lane in TOM_LANES}
    return [n for n in notes if not (n.lane == Lane.BASS_DRUM and n.tick // TICKS_PER_BEAT in fill_beats)]


def reduce_chart(*, chart: Chart, spec: DifficultySpec) -> Chart:
    """The chart at the level `spec` describes."""
    notes = make_playable(notes=chart.notes, max_limbs=spec.max_limbs)
    if spec.merge_flams:
        times = chart.tempo_map.times_at(np.array([n.tick for n in notes], dtype=float) / TICKS_PER_BEAT)
        notes = merge_flams(notes=notes, note_times=times)
    notes = thin(notes=notes, spec=spec, tempo_map=chart.tempo_map)
    if spec.drop_kicks_in_fills:
        notes = drop_kicks_in_fills(notes=notes)
    keep = set(notes)
    errors = np.array([e for n, e in zip(chart.notes, chart.quantisation_errors_s) if n in keep])
    return replace(chart, notes=notes, quantisation_errors_s=errors)


def chart_level(*, chart: Chart) -> int:
    """#DLEVEL on DTXMania's x.xx scale as an integer (e.g. 650 shows as 6.50).

    From the mean note density (notes/s), the densest LEVEL_WINDOW_S stretch, and limb
    independence: the share of notes played with another limb at the same tick.
    """
    if not chart.notes:
        return 100
    times = chart.note_times()
    span = max(float(times[-1] - times[0]), 1.0)
    mean_density = len(times) / span
    window_counts = np.searchsorted(times, times + LEVEL_WINDOW_S) - np.arange(times.size)
    peak_density = float(window_counts.max()) / min(LEVEL_WINDOW_S, span)
    ticks = np.array([n.tick for n in chart.notes])
    _, counts = np.unique(ticks, return_counts=True)
    independence = float(counts[counts > 1].sum()) / ticks.size
    score = 60 + 40 * mean_density + 15 * peak_density + 100 * independence
    return int(np.clip(round(score), 100, MAX_COMPUTED_LEVEL))


def leveled_difficulties(*, chart: Chart) -> list[tuple[DifficultySpec, Chart, int]]:
    """(spec, chart, level) for BASIC..MASTER, levels strictly increasing."""
    result = []
    previous_level = 0
    for spec in DIFFICULTIES:
        reduced = reduce_chart(chart=chart, spec=spec)
        level = max(chart_level(chart=reduced), previous_level + 10)
        result.append((spec, reduced, level))
        previous_level = level
    return result
