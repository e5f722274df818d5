"""Playability rules and the four difficulties (BASIC, ADVANCED, EXTREME, MASTER).

MASTER is the full transcription made playable. Each easier difficulty is the one above it
reduced by a few named rules, the simplifications a human charter makes:

- EXTREME drops ghost notes (quiet snare, tom and kick hits), merges flams, thins the fastest
  runs and simplifies ornaments: doubled kicks, passing sixteenths of the hi-hat or ride and
  the second foot where the hands are busy;
- ADVANCED turns sixteenth hi-hats into eighths, keeps fills to their strong notes and
  crashes only where a bar starts;
- BASIC keeps the backbone (kick, snare, toms and hi-hat or ride on the beat, a crash where
  a phrase starts) and never asks for more than two limbs at once.

Each difficulty then caps its share of MASTER's notes (cap_share): on a real transcription its
rules alone may find little to drop (a plain groove without ghost notes or fills), and a
player choosing a difficulty must not get the same chart twice. Below MASTER, each also keeps
a step (MIN_STEP_SHARE of MASTER's notes) under the one above it, where the rules above dropped
so much that its cap alone would leave the two alike. A sparse song (is_sparse) keeps more.

A rule only drops notes, so no difficulty holds more notes than the one above it. Each chart
gets a level on DTXMania's 1.00-9.99 scale from what makes it hard (chart_level).

Units: positions are ticks, TICKS_PER_BEAT to a beat, counted from beat 0 of the tempo map;
times are seconds of audio; a level is an integer, DTXMania's x.xx times 100 (650 is 6.50).
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Callable
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
CRASH_LANES = frozenset({Lane.CRASH, Lane.LEFT_CRASH})
# The lanes that keep time: what ADVANCED plays in eighths and BASIC on the beat.
TIME_LANES = frozenset({Lane.HIHAT_CLOSED, Lane.HIHAT_OPEN, Lane.HIHAT_PEDAL, Lane.RIDE})
# The lanes a fill is played on.
FILL_LANES = frozenset({Lane.SNARE}) | TOM_LANES
# What BASIC keeps at all: one foot, the drums and the time; the hi-hat pedal and the left
# bass drum ask for a second foot.
BACKBONE_LANES = frozenset({Lane.BASS_DRUM}) | FILL_LANES | (TIME_LANES - {Lane.HIHAT_PEDAL}) | CRASH_LANES
MAX_HANDS, MAX_FEET = 2, 2
BASIC_MAX_LIMBS = 2
# Which of two clashing notes a player keeps: the backbone first, then accents, then colour.
LANE_PRIORITY = {
    Lane.SNARE: 0, Lane.BASS_DRUM: 0, Lane.CRASH: 1, Lane.LEFT_CRASH: 2, Lane.HIHAT_OPEN: 3,
    Lane.HIHAT_CLOSED: 3, Lane.RIDE: 3, Lane.HIGH_TOM: 4, Lane.LOW_TOM: 4, Lane.FLOOR_TOM: 4,
    Lane.HIHAT_PEDAL: 5, Lane.LEFT_BASS_DRUM: 5,
}

# The densest stretch of a chart (for is_sparse and the levels) is timed over this window: a
# verse or chorus.
DENSEST_WINDOW_S = 10.0

# metric_strength's scale: a bar line, half a bar, a beat, an eighth, a sixteenth, finer.
BAR, HALF_BAR, BEAT, EIGHTH, SIXTEENTH, FINER = 5, 4, 3, 2, 1, 0

# A drum hit under this share of its lane's full-strength hits (the 90th percentile of the
# lane's velocities, so that a few loud outliers do not make every hit a ghost) is a ghost
# note. Cymbals and hi-hats are left alone: their quiet strokes are the pattern's own accents.
GHOST_LANES = frozenset({Lane.SNARE, Lane.BASS_DRUM}) | TOM_LANES
GHOST_SHARE = 0.5
FULL_STRENGTH_PERCENTILE = 90
FLAM_S = 0.030  # two hand hits closer than this are one stroke below MASTER
# Notes of one stream closer than this are the song's fastest runs: for the hands, sixteenths
# above 150 BPM or sixteenth triplets above 100 BPM; a foot is slower, and a kick double of
# sixteenths above 100 BPM is its fastest run. EXTREME keeps the strong notes of a run this far apart.
FAST_RUN_S = 0.100
FAST_FOOT_RUN_S = 0.150
# Streams of notes a player reads as one run (the kicks, the drums of a fill, the time lanes,
# the crashes), each with the gap under which its notes are a fast run.
RUN_STREAMS = {
    frozenset({Lane.BASS_DRUM, Lane.LEFT_BASS_DRUM}): FAST_FOOT_RUN_S,
    FILL_LANES: FAST_RUN_S,
    TIME_LANES: FAST_RUN_S,
    CRASH_LANES: FAST_RUN_S,
}
# A doubled kick: a kick off the eighths this close to a kick on an eighth (a sixteenth before or
# after it, or the triplet pickup of a shuffle). EXTREME keeps the kick on the eighth.
DOUBLE_KICK_TICKS = TICKS_PER_BEAT // 3
# The hand lanes that play accents and figures against the time lanes' pattern.
ACCENT_LANES = HAND_LANES - TIME_LANES
# The second foot: what a player drops first when the hands have work to do.
SECOND_FOOT_LANES = frozenset({Lane.HIHAT_PEDAL, Lane.LEFT_BASS_DRUM})

# Each difficulty keeps at most this share of MASTER's notes. The rules above drop what a
# charter drops; on a plain groove they find little, and the cap then drops the least
# important notes left, so that the four charts differ as in rhythm games, where EXTREME keeps
# about 75-90 % of MASTER, ADVANCED 50-70 % and BASIC 25-45 % on a typical rock song. Each cap
# sits at the top of its range, so that a chart whose rules reach it is left alone.
EXTREME_MAX_SHARE = 0.90
ADVANCED_MAX_SHARE = 0.72
BASIC_MAX_SHARE = 0.48
# A sparse song keeps more: its MASTER is already easy to read, so the difficulties part by
# fewer notes, but still by some.
SPARSE_EXTREME_MAX_SHARE = 0.95
SPARSE_ADVANCED_MAX_SHARE = 0.85
SPARSE_BASIC_MAX_SHARE = 0.65
# Below MASTER, each difficulty of a song that is not sparse keeps at least this share of
# MASTER's notes fewer than the one above it, unless only notes the cap never drops remain
# (CAP_KEEPS_LANES on a beat). Where EXTREME's rules already drop much (a song full of ghost
# notes), ADVANCED's cap at the top of its range would leave the two a few notes apart: the
# same chart to a player.
MIN_STEP_SHARE = 0.10
# A song is sparse when its MASTER plays fewer notes a second than this over its densest
# DENSEST_WINDOW_S: a beat with its time in quarters at 120 BPM plays 4 a second (four hi-hats,
# two kicks and two snares a bar), in eighths 6; under 4.5 its time is in quarters or slow.
SPARSE_NOTES_PER_S = 4.5
# Backbone notes the caps never drop: a kick or a snare on a beat.
CAP_KEEPS_LANES = frozenset({Lane.BASS_DRUM, Lane.SNARE})

# A beat is part of a fill when it holds a tom or this many snare and tom notes (a roll).
FILL_NOTES_PER_BEAT = 3
PHRASE_BARS = 4  # a phrase, at whose start BASIC keeps a crash

# Levels.
# Chords of this many limbs or more ask for independence (two at once is a unison stroke).
INDEPENDENT_LIMBS = 3
# level (x.xx) = LEVEL_BASE + the weights times level_features. Set by hand against DTXMania's
# own scale: a 120 BPM rock beat with a syncopated kick scores about 4 with its hi-hats in
# quarters, 4.5 in eighths and 6.5 in sixteenths (tests/test_difficulty.py); fast runs,
# syncopation and three-limb chords add up to two levels each.
LEVEL_BASE = 0.5
LEVEL_PER_PEAK_NOTE_PER_S = 0.45
LEVEL_PER_INDEPENDENCE = 2.0
LEVEL_PER_FAST = 2.0
LEVEL_PER_SYNCOPATION = 2.0
MIN_LEVEL, MAX_LEVEL = 100, 999
LEVEL_GAP = 50  # neighbouring difficulties differ by at least 0.50, so a player sees the step


Rule = Callable[..., list[Note]]  # rule(*, notes, tempo_map) -> the notes it keeps


@dataclass(frozen=True)
class DifficultySpec:
    """One difficulty: its set.def label, its file, the rules that reduce the difficulty
    above it (MASTER's full transcription, for EXTREME) to it, and the share of MASTER's notes
    it keeps at most (cap_share), for a song and for a sparse one (is_sparse)."""

    label: str
    file_name: str
    rules: tuple[Rule, ...]
    max_share: float = 1.0
    sparse_max_share: float = 1.0


def metric_strength(tick: int, *, beats_per_bar: int = 4) -> int:
    """How strong a position `tick` ticks into its bar is: BAR (5) on the bar line, HALF_BAR (4)
    in bars of an even number of beats, BEAT (3), EIGHTH (2), SIXTEENTH (1), FINER (0, triplets)."""
    bar_ticks = beats_per_bar * TICKS_PER_BEAT
    steps = [(BAR, bar_ticks), (BEAT, TICKS_PER_BEAT), (EIGHTH, TICKS_PER_BEAT // 2), (SIXTEENTH, TICKS_PER_BEAT // 4)]
    if beats_per_bar % 2 == 0:
        steps.insert(1, (HALF_BAR, bar_ticks // 2))
    for strength, step in steps:
        if tick % step == 0:
            return strength
    return FINER


def bar_positions(*, ticks: list[int], tempo_map: TempoMap) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bar, offset, beats) of each tick: the index of its bar in `tempo_map` (bar 0 starts at
    the first downbeat; bars before it are negative), the ticks since that bar's start, and
    the beats in that bar. Tick 0 is beat 0, which need not start a bar."""
    if not ticks:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    starts = tempo_map.bar_starts(first_beat=min(ticks) // TICKS_PER_BEAT,
                                  until_beat=max(ticks) // TICKS_PER_BEAT + 1) * TICKS_PER_BEAT
    lengths = np.diff(starts, append=starts[-1] + tempo_map.beats_per_bar * TICKS_PER_BEAT) // TICKS_PER_BEAT
    bars = np.searchsorted(starts, ticks, side="right") - 1
    first_downbeat = int(np.searchsorted(starts, tempo_map.first_downbeat * TICKS_PER_BEAT))
    return bars - first_downbeat, np.asarray(ticks) - starts[bars], lengths[bars]


def metric_strengths(*, ticks: list[int], tempo_map: TempoMap) -> list[int]:
    """metric_strength of each tick, counted from the start of its bar in `tempo_map`."""
    _, offsets, beats = bar_positions(ticks=ticks, tempo_map=tempo_map)
    return [metric_strength(int(offset), beats_per_bar=int(n)) for offset, n in zip(offsets, beats)]


def _keep(notes: list[Note], keep: Callable[[Note, int], bool], tempo_map: TempoMap) -> list[Note]:
    """The notes for which keep(note, metric strength) holds."""
    strengths = metric_strengths(ticks=[n.tick for n in notes], tempo_map=tempo_map)
    return [note for note, strength in zip(notes, strengths) if keep(note, strength)]


def _note_times(notes: list[Note], tempo_map: TempoMap) -> np.ndarray:
    """(n_notes,) seconds of each note."""
    return tempo_map.times_at(np.array([n.tick for n in notes], dtype=float) / TICKS_PER_BEAT)


def peak_notes_per_s(*, times: np.ndarray) -> float:
    """Notes per second over the densest DENSEST_WINDOW_S of the sorted note `times` (s); the
    whole chart when it is shorter (at least 1 s)."""
    if times.size == 0:
        return 0.0
    span_s = min(DENSEST_WINDOW_S, max(float(times[-1] - times[0]), 1.0))
    window_counts = np.searchsorted(times, times + span_s) - np.arange(times.size)
    return float(window_counts.max()) / span_s


def is_sparse(*, notes: list[Note], tempo_map: TempoMap) -> bool:
    """Whether the MASTER `notes` are a sparse song: under SPARSE_NOTES_PER_S notes a second
    at their densest (peak_notes_per_s)."""
    return peak_notes_per_s(times=_note_times(notes, tempo_map)) < SPARSE_NOTES_PER_S


def busy_beats(*, notes: list[Note], tempo_map: TempoMap) -> set[int]:
    """The beats (tick // TICKS_PER_BEAT) in which the hands are busy: besides keeping time
    they play an accent, a figure or a fill, a note of ACCENT_LANES off the beat. A backbeat
    on the beat leaves them free: one hand keeps the time, the other strikes it."""
    strengths = metric_strengths(ticks=[n.tick for n in notes], tempo_map=tempo_map)
    return {note.tick // TICKS_PER_BEAT for note, strength in zip(notes, strengths)
            if note.lane in ACCENT_LANES and strength < BEAT}


# MASTER: the transcription made playable.

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


# EXTREME.

def drop_ghost_notes(*, notes: list[Note], tempo_map: TempoMap) -> list[Note]:
    """Drop ghost notes: hits on the snare, the toms and the kick (GHOST_LANES) whose velocity
    (the network's activation for the adtof track, the onset's energy for spectral) is under
    GHOST_SHARE of their lane's full strength."""
    velocities: dict[Lane, list[float]] = defaultdict(list)
    for note in notes:
        velocities[note.lane].append(note.velocity)
    floors = {lane: GHOST_SHARE * float(np.percentile(values, FULL_STRENGTH_PERCENTILE))
              for lane, values in velocities.items() if lane in GHOST_LANES}
    return [n for n in notes if n.velocity >= floors.get(n.lane, 0.0)]


def merge_flams(*, notes: list[Note], tempo_map: TempoMap) -> list[Note]:
    """Two hand notes under FLAM_S apart become the first of them: a flam is one stroke."""
    kept, last_hand_s = [], -np.inf
    for note, time in zip(notes, _note_times(notes, tempo_map)):
        if note.lane in HAND_LANES:
            if 0 < time - last_hand_s < FLAM_S:
                continue
            last_hand_s = time
        kept.append(note)
    return kept


def thin_fast_runs(*, notes: list[Note], tempo_map: TempoMap) -> list[Note]:
    """In each stream of RUN_STREAMS, keep the metrically strongest notes (then the loudest,
    then the earliest) at least the stream's gap (s) apart: a run faster than that keeps about
    every other note."""
    strengths = metric_strengths(ticks=[n.tick for n in notes], tempo_map=tempo_map)
    times = _note_times(notes, tempo_map)
    dropped: set[int] = set()
    for stream, min_gap_s in RUN_STREAMS.items():
        members = [i for i, note in enumerate(notes) if note.lane in stream]
        accepted: list[float] = []  # sorted times of the notes kept so far
        for i in sorted(members, key=lambda i: (-strengths[i], -notes[i].velocity, notes[i].tick)):
            at = bisect.bisect_left(accepted, times[i])
            neighbours = accepted[max(at - 1, 0) : at + 1]
            # Notes at one time are a chord of two lanes, not a run.
            if all(abs(times[i] - other) >= min_gap_s or times[i] == other for other in neighbours):
                accepted.insert(at, times[i])
            else:
                dropped.add(i)
    return [note for i, note in enumerate(notes) if i not in dropped]


def single_kicks(*, notes: list[Note], tempo_map: TempoMap) -> list[Note]:
    """A doubled kick becomes one: a kick off the eighths (a sixteenth or a triplet) within
    DOUBLE_KICK_TICKS of a kick on an eighth or stronger goes."""
    kicks = [n.tick for n in notes if n.lane == Lane.BASS_DRUM]
    strong = sorted(tick for tick, strength in zip(kicks, metric_strengths(ticks=kicks, tempo_map=tempo_map))
                    if strength >= EIGHTH)

    def doubled(tick: int) -> bool:
        at = bisect.bisect_left(strong, tick - DOUBLE_KICK_TICKS)
        return at < len(strong) and strong[at] <= tick + DOUBLE_KICK_TICKS

    return _keep(notes, lambda note, strength: (
        note.lane != Lane.BASS_DRUM or strength >= EIGHTH or not doubled(note.tick)), tempo_map)


def passing_time_where_busy(*, notes: list[Note], tempo_map: TempoMap) -> list[Note]:
    """In busy_beats, the time lanes (hi-hats, ride, pedal) drop their passing notes: a note
    off the eighths whose previous and next time notes both lie within an eighth of it. The
    eighths stay, and so do notes off the eighths that start or end a stream (an open hi-hat
    pushed ahead of the beat)."""
    busy = busy_beats(notes=notes, tempo_map=tempo_map)
    time_ticks = sorted({n.tick for n in notes if n.lane in TIME_LANES})
    eighth = TICKS_PER_BEAT // 2

    def passing(tick: int) -> bool:
        at = bisect.bisect_left(time_ticks, tick)
        return (0 < at < len(time_ticks) - 1 and tick - time_ticks[at - 1] <= eighth
                and time_ticks[at + 1] - tick <= eighth)

    return _keep(notes, lambda note, strength: (
        note.lane not in TIME_LANES or strength >= EIGHTH or note.tick // TICKS_PER_BEAT not in busy
        or not passing(note.tick)), tempo_map)


def second_foot_where_busy(*, notes: list[Note], tempo_map: TempoMap) -> list[Note]:
    """In busy_beats, the hi-hat pedal and the left bass drum (SECOND_FOOT_LANES) go."""
    busy = busy_beats(notes=notes, tempo_map=tempo_map)
    return [n for n in notes if n.lane not in SECOND_FOOT_LANES or n.tick // TICKS_PER_BEAT not in busy]


# ADVANCED.

def eighth_hihats(*, notes: list[Note], tempo_map: TempoMap) -> list[Note]:
    """The time lanes (hi-hats, ride) keep their notes on eighths: sixteenths and triplets go."""
    return _keep(notes, lambda note, strength: note.lane not in TIME_LANES or strength >= EIGHTH, tempo_map)


def fill_strong_notes(*, notes: list[Note], tempo_map: TempoMap) -> list[Note]:
    """In the beats of a fill (a beat holding a tom, or FILL_NOTES_PER_BEAT snare and tom notes),
    the drums and the kick keep only their notes on eighths."""
    per_beat: dict[int, list[Lane]] = defaultdict(list)
    for note in notes:
        if note.lane in FILL_LANES:
            per_beat[note.tick // TICKS_PER_BEAT].append(note.lane)
    fill_beats = {beat for beat, lanes in per_beat.items()
                  if TOM_LANES & set(lanes) or len(lanes) >= FILL_NOTES_PER_BEAT}
    return _keep(notes, lambda note, strength: (
        note.lane not in FILL_LANES | {Lane.BASS_DRUM} or note.tick // TICKS_PER_BEAT not in fill_beats
        or strength >= EIGHTH), tempo_map)


def crashes_on_bars(*, notes: list[Note], tempo_map: TempoMap) -> list[Note]:
    """Crashes only where a bar starts."""
    return _keep(notes, lambda note, strength: note.lane not in CRASH_LANES or strength == BAR, tempo_map)


# BASIC.

def backbone(*, notes: list[Note], tempo_map: TempoMap) -> list[Note]:
    """Only BACKBONE_LANES, and only on the beat: kick and snare on the main beats, hi-hat or
    ride on the beat, a fill as the beats it falls on."""
    return _keep(notes, lambda note, strength: note.lane in BACKBONE_LANES and strength >= BEAT, tempo_map)


def crashes_on_phrases(*, notes: list[Note], tempo_map: TempoMap) -> list[Note]:
    """A crash where a phrase (a section) starts: the first crash on a bar line, then the next
    at least PHRASE_BARS bars later, and so on. Counting from the song's own crashes follows
    its sections even where they do not start on a multiple of PHRASE_BARS."""
    bars, offsets, _ = bar_positions(ticks=[n.tick for n in notes], tempo_map=tempo_map)
    kept, next_phrase = [], -np.inf
    for note, bar, offset in zip(notes, bars, offsets):
        if note.lane in CRASH_LANES:
            if offset != 0 or bar < next_phrase:
                continue
            next_phrase = bar + PHRASE_BARS
        kept.append(note)
    return kept


def two_limbs(*, notes: list[Note], tempo_map: TempoMap) -> list[Note]:
    """At most BASIC_MAX_LIMBS notes at a time, the backbone first (LANE_PRIORITY)."""
    return make_playable(notes=notes, max_limbs=BASIC_MAX_LIMBS)


# Every difficulty.

def cap_share(*, notes: list[Note], tempo_map: TempoMap, max_notes: int) -> list[Note]:
    """At most `max_notes` of `notes`, thinned a part at a time, as a charter simplifies: a part
    is one lane's notes at one position of the bar through a phrase (PHRASE_BARS bars), and a
    part goes whole, so that a phrase does not lose a note in one bar and keep it in the next.
    The least important parts go first: the metrically weakest, then the quietest for their
    lane (mean velocity over the lane's FULL_STRENGTH_PERCENTILE), then colour before the
    backbone (LANE_PRIORITY), then the latest. Only the last part needed may go partly, its
    quietest notes first. A kick or a snare on a beat (CAP_KEEPS_LANES) never goes, so a chart
    of nothing else keeps more."""
    if len(notes) <= max_notes:
        return notes
    ticks = [n.tick for n in notes]
    strengths = metric_strengths(ticks=ticks, tempo_map=tempo_map)
    bars, offsets, _ = bar_positions(ticks=ticks, tempo_map=tempo_map)
    velocities: dict[Lane, list[float]] = defaultdict(list)
    for note in notes:
        velocities[note.lane].append(note.velocity)
    # A lane of silent hits (velocity 0) divides by a tiny floor, not by zero.
    full = {lane: max(float(np.percentile(values, FULL_STRENGTH_PERCENTILE)), 1e-9)
            for lane, values in velocities.items()}
    loudness = [note.velocity / full[note.lane] for note in notes]
    parts: dict[tuple, list[int]] = defaultdict(list)
    for i, (note, strength) in enumerate(zip(notes, strengths)):
        if not (note.lane in CAP_KEEPS_LANES and strength >= BEAT):
            parts[(note.lane, int(offsets[i]), int(bars[i]) // PHRASE_BARS)].append(i)

    def rank(members: list[int]) -> tuple:
        return (strengths[members[0]], float(np.mean([loudness[i] for i in members])),
                -LANE_PRIORITY[notes[members[0]].lane], -max(notes[i].tick for i in members))

    order = [i for members in sorted(parts.values(), key=rank) for i in sorted(members, key=lambda i: rank([i]))]
    dropped = set(order[:len(notes) - max_notes])
    return [note for i, note in enumerate(notes) if i not in dropped]


DIFFICULTIES = (
    DifficultySpec("BASIC", "basic.dtx", (backbone, crashes_on_phrases, two_limbs),
                   BASIC_MAX_SHARE, SPARSE_BASIC_MAX_SHARE),
    DifficultySpec("ADVANCED", "advanced.dtx", (eighth_hihats, fill_strong_notes, crashes_on_bars),
                   ADVANCED_MAX_SHARE, SPARSE_ADVANCED_MAX_SHARE),
    DifficultySpec("EXTREME", "extreme.dtx", (drop_ghost_notes, merge_flams, thin_fast_runs, single_kicks,
                                              passing_time_where_busy, second_foot_where_busy),
                   EXTREME_MAX_SHARE, SPARSE_EXTREME_MAX_SHARE),
    DifficultySpec("MASTER", "master.dtx", ()),
)


def reduce_chart(*, chart: Chart, spec: DifficultySpec) -> Chart:
    """The chart at the difficulty `spec`: MASTER's notes, then, for every difficulty from
    EXTREME down to `spec`, its rules and its cap_share (the sparse cap for a sparse song; for
    another, also MIN_STEP_SHARE of MASTER's notes below the difficulty above)."""
    master = make_playable(notes=chart.notes)
    sparse = is_sparse(notes=master, tempo_map=chart.tempo_map)
    notes = master
    for below in reversed(DIFFICULTIES[DIFFICULTIES.index(spec):]):
        above = len(notes)
        for rule in below.rules:
            notes = rule(notes=notes, tempo_map=chart.tempo_map)
        share = below.sparse_max_share if sparse else below.max_share
        max_notes = int(share * len(master))
        if below.max_share < 1.0 and not sparse:  # MASTER, uncapped, takes no step
            max_notes = max(0, min(max_notes, above - math.ceil(MIN_STEP_SHARE * len(master))))
        notes = cap_share(notes=notes, tempo_map=chart.tempo_map, max_notes=max_notes)
    keep = set(notes)
    errors = np.array([e for n, e in zip(chart.notes, chart.quantisation_errors_s) if n in keep])
    return replace(chart, notes=notes, quantisation_errors_s=errors)


# Levels.

def level_features(*, chart: Chart) -> dict[str, float]:
    """What makes `chart` hard, each a number:

    peak_notes_per_s: notes per second over its densest DENSEST_WINDOW_S (peak_notes_per_s);
    independence: the share of notes in chords of INDEPENDENT_LIMBS limbs or more;
    fast: the share of notes closer to the previous note of their stream than the stream's
        gap in RUN_STREAMS: the fastest runs;
    syncopation: the share of kick, snare, tom and crash notes off the beat.
    """
    times = chart.note_times()
    _, chord_sizes = np.unique([n.tick for n in chart.notes], return_counts=True)
    fast = 0
    for stream, min_gap_s in RUN_STREAMS.items():
        stream_times = np.unique([t for t, note in zip(times, chart.notes) if note.lane in stream])
        fast += int(np.count_nonzero(np.diff(stream_times) < min_gap_s))
    strengths = metric_strengths(ticks=[n.tick for n in chart.notes], tempo_map=chart.tempo_map)
    accents = [strength for note, strength in zip(chart.notes, strengths) if note.lane not in TIME_LANES]
    return {
        "peak_notes_per_s": peak_notes_per_s(times=times),
        "independence": float(chord_sizes[chord_sizes >= INDEPENDENT_LIMBS].sum()) / times.size,
        "fast": fast / times.size,
        "syncopation": sum(strength < BEAT for strength in accents) / max(len(accents), 1),
    }


def chart_level(*, chart: Chart) -> int:
    """The level of `chart` from its level_features, MIN_LEVEL..MAX_LEVEL (650 shows as 6.50)."""
    if not chart.notes:
        return MIN_LEVEL
    features = level_features(chart=chart)
    level = (LEVEL_BASE + LEVEL_PER_PEAK_NOTE_PER_S * features["peak_notes_per_s"]
             + LEVEL_PER_INDEPENDENCE * features["independence"] + LEVEL_PER_FAST * features["fast"]
             + LEVEL_PER_SYNCOPATION * features["syncopation"])
    return int(np.clip(round(100 * level), MIN_LEVEL, MAX_LEVEL))


def spaced_levels(*, levels: list[int]) -> list[int]:
    """`levels` (BASIC..MASTER) raised where needed so that each is at least LEVEL_GAP above
    the one below, then, where that passes MAX_LEVEL, lowered from the top down."""
    spaced = list(levels)
    for i in range(1, len(spaced)):
        spaced[i] = max(spaced[i], spaced[i - 1] + LEVEL_GAP)
    spaced[-1] = min(spaced[-1], MAX_LEVEL)
    for i in range(len(spaced) - 2, -1, -1):
        spaced[i] = min(spaced[i], spaced[i + 1] - LEVEL_GAP)
    return spaced


def leveled_difficulties(*, chart: Chart) -> list[tuple[DifficultySpec, Chart, int]]:
    """(spec, chart, level) for BASIC..MASTER, levels rising by at least LEVEL_GAP."""
    reduced = [reduce_chart(chart=chart, spec=spec) for spec in DIFFICULTIES]
    levels = spaced_levels(levels=[chart_level(chart=r) for r in reduced])
    return list(zip(DIFFICULTIES, reduced, levels))
