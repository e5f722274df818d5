"""Playability rules, each reduction rule, the four difficulties and their levels."""

import numpy as np
import pytest

from processing.arrangement import TICKS_PER_BEAT, Chart, Note
from processing.difficulty import (
    ADVANCED_MAX_SHARE, BASIC_MAX_LIMBS, BASIC_MAX_SHARE, DIFFICULTIES, EXTREME_MAX_SHARE, FAST_RUN_S, FLAM_S,
    FOOT_LANES, HAND_LANES, LEVEL_GAP, MAX_LEVEL, MIN_STEP_SHARE, PHRASE_BARS, SPARSE_ADVANCED_MAX_SHARE,
    SPARSE_BASIC_MAX_SHARE,
    SPARSE_NOTES_PER_S, backbone, bar_positions, busy_beats, cap_share, chart_level, crashes_on_bars,
    crashes_on_phrases, drop_ghost_notes, eighth_hihats, fill_strong_notes, is_sparse, level_features,
    leveled_difficulties, make_playable, merge_flams, metric_strength, metric_strengths, passing_time_where_busy,
    peak_notes_per_s, reduce_chart, second_foot_where_busy, single_kicks, spaced_levels, thin_fast_runs, two_limbs,
)
from processing.lanes import Lane
from processing.pipeline import MAX_LEVEL as MAX_MASTER_LEVEL
from processing.pipeline import MIN_LEVEL, override_levels
from processing.rhythm import TempoMap, constant_tempo_map

BEAT = TICKS_PER_BEAT
BAR = 4 * BEAT
SIXTEENTH, EIGHTH = BEAT // 4, BEAT // 2
LOUD, GHOST = 0.9, 0.2


def _tempo(bpm: float = 120.0, bars: int = 20) -> TempoMap:
    return constant_tempo_map(period_s=60.0 / bpm, phase_s=0.25, duration_s=bars * 4 * 60.0 / bpm + 2)


def _chart(notes: list[Note], tempo_map: TempoMap | None = None) -> Chart:
    notes = sorted(set(notes), key=lambda n: (n.tick, n.lane.channel))
    return Chart(tempo_map=tempo_map or _tempo(), notes=notes, quantisation_errors_s=np.zeros(len(notes)))


def _rock(*, bars: int = 16, hihat_step: int = SIXTEENTH, ghosts: bool = True, fills: bool = True) -> list[Note]:
    """A rock beat: hi-hats every `hihat_step` ticks (accented on eighths), kick on 1, 3 and
    the "and" of 3 with a sixteenth pickup before 3, snare backbeats with quiet sixteenth ghost
    notes before them, a sixteenth tom fill in the last two beats of every phrase and a crash
    where each phrase starts."""
    notes = []
    for bar in range(bars):
        start = bar * BAR
        fill = fills and bar % PHRASE_BARS == PHRASE_BARS - 1
        for tick in range(start, start + (2 * BEAT if fill else BAR), hihat_step):
            notes.append(Note(tick, Lane.HIHAT_CLOSED, LOUD if tick % EIGHTH == 0 else 0.6))
        notes += [Note(start + offset, Lane.BASS_DRUM, LOUD) for offset in (0, 2 * BEAT - SIXTEENTH, 2 * BEAT)]
        if not fill:
            notes.append(Note(start + 2 * BEAT + EIGHTH, Lane.BASS_DRUM, LOUD))
        notes += [Note(start + offset, Lane.SNARE, LOUD) for offset in (BEAT, 3 * BEAT) if not (fill and offset > BEAT)]
        if ghosts:
            notes += [Note(start + offset, Lane.SNARE, GHOST) for offset in (BEAT - SIXTEENTH, 3 * BEAT - SIXTEENTH)]
        if fill:
            toms = (Lane.HIGH_TOM, Lane.LOW_TOM, Lane.FLOOR_TOM, Lane.SNARE)
            notes += [Note(start + 2 * BEAT + i * SIXTEENTH, toms[i // 2], LOUD) for i in range(8)]
        if bar % PHRASE_BARS == 0:
            notes.append(Note(start, Lane.CRASH, LOUD))
    return notes


def _levels(chart: Chart) -> tuple[list[int], list[int]]:
    """(note counts, levels) of BASIC..MASTER."""
    leveled = leveled_difficulties(chart=chart)
    return [len(reduced.notes) for _, reduced, _ in leveled], [level for *_, level in leveled]


def _by_label(label: str):
    return next(spec for spec in DIFFICULTIES if spec.label == label)


# Metric position.

def test_metric_strength_ranks_grid_positions():
    assert [metric_strength(t) for t in (0, 2 * BEAT, BEAT, BEAT // 2, BEAT // 4, BEAT // 3)] == [5, 4, 3, 2, 1, 0]


def test_three_beat_bars_have_no_half_bar():
    assert [metric_strength(t, beats_per_bar=3) for t in (0, BEAT, 3 * BEAT // 2, 2 * BEAT)] == [5, 3, 2, 3]


def test_strength_counts_from_the_bar_not_from_beat_0():
    # Bars start on beat 1 (a one-beat pickup), then a 2-beat bar, then 4/4 again.
    tempo_map = TempoMap(beat_times=0.5 * np.arange(20), first_downbeat=1, bar_lengths=(4, 2))
    ticks = [0, BEAT, 3 * BEAT, 5 * BEAT, 6 * BEAT, 7 * BEAT, 8 * BEAT, 9 * BEAT]
    assert metric_strengths(ticks=ticks, tempo_map=tempo_map) == [3, 5, 4, 5, 4, 5, 3, 4]
    assert metric_strengths(ticks=[-BEAT // 2], tempo_map=tempo_map) == [2]
    bars, offsets, beats = bar_positions(ticks=[0, BEAT, 5 * BEAT, 7 * BEAT], tempo_map=tempo_map)
    assert list(bars) == [-1, 0, 1, 2], "bar 0 starts at the first downbeat"
    assert list(offsets) == [3 * BEAT, 0, 0, 0] and list(beats) == [4, 4, 2, 4]


# MASTER: playable.

def test_playability_limits_and_hihat_rules():
    chord = [Note(0, lane) for lane in (Lane.SNARE, Lane.CRASH, Lane.HIHAT_CLOSED, Lane.HIHAT_OPEN,
                                        Lane.HIHAT_PEDAL, Lane.BASS_DRUM, Lane.LEFT_BASS_DRUM)]
    lanes = {note.lane for note in make_playable(notes=chord)}
    assert len(lanes & HAND_LANES) <= 2 and len(lanes & FOOT_LANES) <= 2
    assert Lane.SNARE in lanes and Lane.BASS_DRUM in lanes
    assert Lane.HIHAT_CLOSED not in lanes and Lane.HIHAT_PEDAL not in lanes


# EXTREME's rules.

def test_ghost_notes_are_the_quiet_drum_hits():
    notes = _rock()
    kept = drop_ghost_notes(notes=notes, tempo_map=_tempo())
    assert {n for n in notes if n not in kept} == {n for n in notes if n.lane == Lane.SNARE and n.velocity == GHOST}
    hats = [Note(0, Lane.HIHAT_CLOSED, GHOST), Note(SIXTEENTH, Lane.HIHAT_CLOSED, LOUD)]
    assert drop_ghost_notes(notes=hats, tempo_map=_tempo()) == hats, "a quiet hi-hat is an accent pattern"


def test_flams_merge_into_the_first_stroke():
    tempo_map = _tempo(bpm=200)  # one tick is 6 ms: notes 4 ticks apart are a flam
    notes = [Note(0, Lane.SNARE), Note(4, Lane.HIGH_TOM), Note(BEAT, Lane.SNARE), Note(BEAT + 4, Lane.BASS_DRUM)]
    assert 4 * 60 / 200 / BEAT < FLAM_S
    assert merge_flams(notes=notes, tempo_map=tempo_map) == [notes[0], notes[2], notes[3]], "a foot is no flam"


def test_the_fastest_runs_keep_every_other_note():
    run = [Note(tick, Lane.SNARE) for tick in range(BAR, 2 * BAR, BEAT // 8)]  # 32nds at 120 BPM: 62.5 ms apart
    sixteenths = [Note(tick, Lane.HIHAT_CLOSED) for tick in range(0, BAR, SIXTEENTH)]  # 125 ms apart: not a run
    kept = thin_fast_runs(notes=sixteenths + run, tempo_map=_tempo())
    kept_run = [n for n in kept if n.lane == Lane.SNARE]
    assert [n.tick for n in kept_run] == list(range(BAR, 2 * BAR, SIXTEENTH)), "the sixteenths of the run stay"
    assert np.diff([n.tick for n in kept_run]).min() * 0.5 / BEAT >= FAST_RUN_S
    assert [n for n in kept if n.lane == Lane.HIHAT_CLOSED] == sixteenths


def test_a_doubled_kick_keeps_its_kick_on_the_eighth():
    notes = [Note(tick, Lane.BASS_DRUM) for tick in (
        0,
        2 * BEAT - SIXTEENTH, 2 * BEAT,  # a sixteenth pickup into 3
        2 * BEAT + EIGHTH, 2 * BEAT + EIGHTH + SIXTEENTH,  # a sixteenth after the "and"
        3 * BEAT + SIXTEENTH,  # a lone syncopated sixteenth: no double
        BAR + BEAT + 2 * BEAT // 3, BAR + 2 * BEAT,  # a shuffle's triplet pickup into 3
    )] + [Note(BEAT - SIXTEENTH, Lane.SNARE)]
    kept = single_kicks(notes=notes, tempo_map=_tempo())
    assert {n for n in notes if n not in kept} == {notes[1], notes[4], notes[6]}


def test_busy_hands_play_an_accent_off_the_beat():
    notes = [Note(BEAT, Lane.SNARE), Note(2 * BEAT + EIGHTH, Lane.SNARE), Note(3 * BEAT + SIXTEENTH, Lane.HIGH_TOM),
             Note(4 * BEAT + EIGHTH, Lane.HIHAT_OPEN), Note(5 * BEAT + SIXTEENTH, Lane.BASS_DRUM)]
    assert busy_beats(notes=notes, tempo_map=_tempo()) == {2, 3}, "a backbeat, the time and the feet leave them free"


def test_passing_hihats_go_where_the_hands_are_busy():
    hats = [Note(tick, Lane.HIHAT_CLOSED) for tick in range(0, 2 * BAR, SIXTEENTH)]
    backbeats = [Note(bar * BAR + offset, Lane.SNARE) for bar in range(2) for offset in (BEAT, 3 * BEAT)]
    pushed = Note(BAR + BEAT + EIGHTH, Lane.SNARE)  # beat 5 is busy
    tom = Note(2 * BAR - EIGHTH, Lane.FLOOR_TOM)  # so is the last beat
    kept = passing_time_where_busy(notes=hats + backbeats + [pushed, tom], tempo_map=_tempo())
    dropped = {n.tick for n in hats if n not in kept}
    # The last hi-hat ends the stream: only one time note lies around it.
    assert dropped == {BAR + BEAT + SIXTEENTH, BAR + BEAT + 3 * SIXTEENTH, 2 * BAR - 3 * SIXTEENTH}
    assert all(n in kept for n in backbeats + [pushed, tom])


def test_the_second_foot_rests_where_the_hands_are_busy():
    pedal = [Note(tick, Lane.HIHAT_PEDAL) for tick in range(0, BAR, EIGHTH)]
    left_kicks = [Note(tick, Lane.LEFT_BASS_DRUM) for tick in range(BEAT, BAR, 2 * BEAT)]
    fill = [Note(2 * BEAT + i * SIXTEENTH, Lane.HIGH_TOM) for i in range(8)]  # beats 2 and 3
    kept = second_foot_where_busy(notes=pedal + left_kicks + fill, tempo_map=_tempo())
    assert {n for n in pedal + left_kicks if n not in kept} == {n for n in pedal + left_kicks if n.tick >= 2 * BEAT}
    assert all(n in kept for n in fill)


# ADVANCED's rules.

def test_sixteenth_hihats_become_eighths():
    notes = _rock()
    kept = eighth_hihats(notes=notes, tempo_map=_tempo())
    hats = [n.tick for n in kept if n.lane == Lane.HIHAT_CLOSED]
    assert hats == [n.tick for n in notes if n.lane == Lane.HIHAT_CLOSED and n.tick % EIGHTH == 0]
    assert [n for n in kept if n.lane != Lane.HIHAT_CLOSED] == [n for n in notes if n.lane != Lane.HIHAT_CLOSED]


def test_fills_keep_their_strong_notes():
    notes = _rock(ghosts=False)
    kept = fill_strong_notes(notes=notes, tempo_map=_tempo())
    fill_notes = [n for n in kept if n.lane in {Lane.HIGH_TOM, Lane.LOW_TOM, Lane.FLOOR_TOM}]
    assert fill_notes and all(n.tick % EIGHTH == 0 for n in fill_notes)
    assert len(fill_notes) == len([n for n in notes if n.lane in {Lane.HIGH_TOM, Lane.LOW_TOM, Lane.FLOOR_TOM}]) // 2
    assert Note(3 * BAR + 2 * BEAT - SIXTEENTH, Lane.BASS_DRUM, LOUD) in kept, "the pickup kick before a fill stays"
    groove = [n for n in notes if (n.tick // BAR) % PHRASE_BARS != PHRASE_BARS - 1]
    assert all(n in kept for n in groove), "outside fills nothing changes"


def test_crashes_only_where_a_bar_starts():
    notes = [Note(0, Lane.CRASH), Note(2 * BEAT, Lane.CRASH), Note(BAR - EIGHTH, Lane.LEFT_CRASH),
             Note(BAR, Lane.CRASH)]
    assert crashes_on_bars(notes=notes, tempo_map=_tempo()) == [notes[0], notes[3]]


# BASIC's rules.

def test_the_backbone_is_kick_snare_and_time_on_the_beat():
    notes = _rock() + [Note(BEAT, Lane.HIHAT_PEDAL), Note(2 * BEAT, Lane.RIDE)]
    kept = backbone(notes=notes, tempo_map=_tempo())
    assert kept and all(n.tick % BEAT == 0 for n in kept)
    assert {n.lane for n in kept} == {Lane.HIHAT_CLOSED, Lane.BASS_DRUM, Lane.SNARE, Lane.HIGH_TOM, Lane.FLOOR_TOM,
                                      Lane.CRASH, Lane.RIDE}, "no second foot"
    assert [n for n in notes if n.tick % BEAT == 0 and n.lane != Lane.HIHAT_PEDAL] == kept


def test_crashes_start_phrases():
    every_bar = [Note(bar * BAR, Lane.CRASH) for bar in range(12)]
    assert [n.tick // BAR for n in crashes_on_phrases(notes=every_bar, tempo_map=_tempo())] == [0, 4, 8]
    # Sections that start after a two-bar intro keep their crashes; a crash inside a bar goes.
    sections = [Note(bar * BAR, Lane.CRASH) for bar in (2, 6, 7, 10)] + [Note(12 * BAR + BEAT, Lane.CRASH)]
    assert [n.tick // BAR for n in crashes_on_phrases(notes=sections, tempo_map=_tempo())] == [2, 6, 10]


def test_two_limbs_at_most_keep_the_backbone():
    chord = [Note(0, Lane.BASS_DRUM), Note(0, Lane.CRASH), Note(0, Lane.HIHAT_CLOSED), Note(BEAT, Lane.SNARE),
             Note(BEAT, Lane.HIHAT_CLOSED), Note(BEAT, Lane.BASS_DRUM)]
    assert set(two_limbs(notes=chord, tempo_map=_tempo())) == {chord[0], chord[1], chord[3], chord[5]}


# Every difficulty's cap.

def test_the_cap_drops_the_weakest_then_the_quietest_never_the_backbone():
    notes = [Note(0, Lane.BASS_DRUM, LOUD), Note(BEAT, Lane.SNARE, GHOST), Note(BEAT, Lane.HIHAT_CLOSED, LOUD),
             Note(EIGHTH, Lane.HIHAT_CLOSED, LOUD), Note(BEAT + EIGHTH, Lane.HIHAT_CLOSED, 0.5),
             Note(SIXTEENTH, Lane.HIHAT_CLOSED, LOUD), Note(3 * SIXTEENTH, Lane.BASS_DRUM, LOUD)]
    assert cap_share(notes=notes, tempo_map=_tempo(), max_notes=len(notes)) == notes
    assert cap_share(notes=notes, tempo_map=_tempo(), max_notes=5) == notes[:5], "the sixteenths go first"
    assert cap_share(notes=notes, tempo_map=_tempo(), max_notes=4) == notes[:4], "then the quieter eighth"
    kept = cap_share(notes=notes, tempo_map=_tempo(), max_notes=1)
    assert kept == notes[:2], "a kick or a snare on a beat stays, however quiet"


def test_the_cap_drops_a_part_through_its_phrase_not_a_note_here_and_there():
    # Eight bars (two phrases) of eighth hi-hats whose off-beats vary in loudness from bar to bar.
    offbeats = [EIGHTH + step * BEAT for step in range(4)]
    hihats = {(bar, offset): Note(bar * BAR + offset, Lane.HIHAT_CLOSED, 0.4 + 0.05 * ((3 * bar + step) % 5))
              for bar in range(2 * PHRASE_BARS) for step, offset in enumerate(offbeats)}
    backbone = [Note(bar * BAR + beat * BEAT, lane, LOUD) for bar in range(2 * PHRASE_BARS) for beat in range(4)
                for lane in ((Lane.BASS_DRUM, Lane.HIHAT_CLOSED) if beat % 2 == 0 else (Lane.SNARE,))]
    notes = sorted(backbone + list(hihats.values()), key=lambda n: n.tick)
    kept = set(cap_share(notes=notes, tempo_map=_tempo(), max_notes=len(notes) - 2 * PHRASE_BARS))
    assert len(kept) == len(notes) - 2 * PHRASE_BARS and set(backbone) <= kept
    parts = {(offset, phrase): [hihats[(bar, offset)] in kept for bar in range(phrase * PHRASE_BARS,
                                                                               (phrase + 1) * PHRASE_BARS)]
             for offset in offbeats for phrase in range(2)}
    assert sorted(sum(part) for part in parts.values()) == [0, 0] + [PHRASE_BARS] * 6, \
        "two off-beats go through a phrase each, and the others stay in every bar"


def test_a_sparse_song_is_one_with_its_time_in_quarters():
    def groove(hihat_step: int, bpm: float) -> Chart:
        return _chart(_rock(hihat_step=hihat_step, ghosts=False, fills=False), _tempo(bpm=bpm))

    for chart, sparse in ((groove(BEAT, 100), True), (groove(BEAT, 120), False), (groove(EIGHTH, 100), False)):
        assert (peak_notes_per_s(times=chart.note_times()) < SPARSE_NOTES_PER_S) == sparse
        assert is_sparse(notes=chart.notes, tempo_map=chart.tempo_map) == sparse
    # The quarter-note beat at 100 BPM keeps more of its notes than at 120: the sparse caps.
    for bpm, basic_share, advanced_share in ((100, SPARSE_BASIC_MAX_SHARE, SPARSE_ADVANCED_MAX_SHARE),
                                             (120, BASIC_MAX_SHARE, ADVANCED_MAX_SHARE)):
        basic, advanced, _, master = _levels(groove(BEAT, bpm))[0]
        assert basic == int(basic_share * master) and advanced == int(advanced_share * master)


def test_a_plain_sixteenth_groove_still_thins_and_keeps_its_backbone():
    # No ghost notes or fills for EXTREME's rules to drop: the cap thins the hi-hats' sixteenths.
    chart = _chart(_rock(ghosts=False, fills=False))
    charts = {spec.label: reduce_chart(chart=chart, spec=spec).notes for spec in DIFFICULTIES}
    master = charts["MASTER"]
    assert len(charts["EXTREME"]) <= EXTREME_MAX_SHARE * len(master)
    assert len(charts["ADVANCED"]) <= ADVANCED_MAX_SHARE * len(master)
    assert len(charts["BASIC"]) <= BASIC_MAX_SHARE * len(master)
    dropped = [n for n in master if n not in charts["EXTREME"]]
    assert {n.lane for n in dropped} == {Lane.HIHAT_CLOSED, Lane.BASS_DRUM}
    assert all(metric_strength(n.tick) == 1 for n in dropped), "only sixteenths: hi-hats and the kick's pickups"
    on_beats = [n for n in master if n.lane in {Lane.BASS_DRUM, Lane.SNARE} and n.tick % BEAT == 0]
    assert all(n in notes for notes in charts.values() for n in on_beats)


# The four difficulties.

def test_each_difficulty_is_the_one_above_reduced():
    chart = _chart(_rock())
    charts = [set(reduce_chart(chart=chart, spec=spec).notes) for spec in DIFFICULTIES]
    assert all(easier < harder for easier, harder in zip(charts, charts[1:]))
    assert charts[-1] == set(make_playable(notes=chart.notes))


def test_basic_asks_two_limbs_on_the_beat_without_flams():
    basic = reduce_chart(chart=_chart(_rock() + [Note(BEAT + 1, Lane.HIGH_TOM)]), spec=_by_label("BASIC"))
    ticks = [n.tick for n in basic.notes]
    assert max(np.unique(ticks, return_counts=True)[1]) <= BASIC_MAX_LIMBS
    hands = np.unique([t for n, t in zip(basic.notes, basic.note_times()) if n.lane in HAND_LANES])
    assert np.diff(hands).min() >= FLAM_S
    snares = {n.tick for n in basic.notes if n.lane == Lane.SNARE}
    assert {bar * BAR + BEAT for bar in range(16)} <= snares, "every backbeat on 2 stays"


def test_a_typical_rock_song_thins_as_rhythm_games_do():
    counts, _ = _levels(_chart(_rock()))
    ratios = np.array(counts) / counts[-1]
    # EXTREME 75-90 %, ADVANCED 50-70 %, BASIC 25-45 % of MASTER
    assert 0.25 <= ratios[0] <= 0.45 and 0.5 <= ratios[1] <= 0.7 and 0.75 <= ratios[2] <= 0.9, ratios


def test_advanced_stays_a_step_below_an_extreme_that_dropped_many_ghost_notes():
    # Quiet snare strokes on every sixteenth between the eighths: EXTREME's rule drops them all,
    # and ADVANCED's cap alone would leave it a few notes under EXTREME.
    notes = _rock(hihat_step=EIGHTH, ghosts=False, fills=False)
    notes += [Note(tick, Lane.SNARE, GHOST) for tick in range(SIXTEENTH, 16 * BAR, EIGHTH)]
    basic, advanced, extreme, master = _levels(_chart(notes))[0]
    assert extreme <= 0.75 * master, "EXTREME's rule dropped the ghost notes"
    assert advanced <= extreme - MIN_STEP_SHARE * master
    assert basic <= advanced - MIN_STEP_SHARE * master


# Levels.

@pytest.mark.parametrize("step,expected", [(BEAT, 4.0), (EIGHTH, 4.5), (SIXTEENTH, 6.5)])
def test_a_rock_beat_is_leveled_on_dtxmanias_scale(step, expected):
    master = reduce_chart(chart=_chart(_rock(hihat_step=step, ghosts=False, fills=False)), spec=_by_label("MASTER"))
    assert chart_level(chart=master) / 100 == pytest.approx(expected, abs=0.5)


def test_level_features_measure_what_makes_a_chart_hard():
    beats = range(16)
    offbeat_snares = level_features(chart=_chart([Note(b * BEAT, Lane.BASS_DRUM) for b in beats]
                                                 + [Note(b * BEAT + EIGHTH, Lane.SNARE) for b in beats]))
    assert offbeat_snares["syncopation"] == 0.5 and offbeat_snares["independence"] == 0
    chords = level_features(chart=_chart([Note(b * BEAT, lane) for b in beats
                                          for lane in (Lane.BASS_DRUM, Lane.SNARE, Lane.HIHAT_CLOSED)]))
    assert chords["independence"] == 1 and chords["syncopation"] == 0
    # Kick doubles 125 ms apart are a foot's fast run; the same doubles at 90 BPM (167 ms) are not.
    doubles = [Note(b * BEAT + offset, Lane.BASS_DRUM) for b in beats for offset in (0, SIXTEENTH)]
    assert level_features(chart=_chart(doubles))["fast"] == 0.5
    assert level_features(chart=_chart(doubles, _tempo(bpm=90)))["fast"] == 0
    assert chart_level(chart=_chart(doubles)) > chart_level(chart=_chart(doubles, _tempo(bpm=90)))


def test_levels_rise_with_a_visible_gap():
    counts, levels = _levels(_chart(_rock()))
    assert all(a < b for a, b in zip(counts, counts[1:]))
    assert all(b - a >= LEVEL_GAP for a, b in zip(levels, levels[1:])) and 100 <= levels[0] and levels[-1] <= 999
    _, trivial = _levels(_chart([Note(0, Lane.SNARE)]))
    assert all(b - a >= LEVEL_GAP for a, b in zip(trivial, trivial[1:]))


def test_spaced_levels_stay_on_the_scale():
    assert spaced_levels(levels=[200, 220, 400, 410]) == [200, 250, 400, 450]
    assert spaced_levels(levels=[950, 960, 980, 990]) == [849, 899, 949, MAX_LEVEL]


@pytest.mark.parametrize("master,expected", [
    (650, [350, 450, 600, 650]),  # each keeps its distance below MASTER
    (990, [690, 790, 940, 990]),
    (250, [100, 150, 225, 250]),  # no room: the distances shrink in proportion
    (100, [97, 98, 99, 100]),
])
def test_a_master_level_moves_the_others_with_it(master, expected):
    assert override_levels(levels=[400, 500, 650, 700], master_level=master) == expected


def test_every_master_level_keeps_the_levels_rising():
    levels = _levels(_chart(_rock()))[1]
    for master in range(MIN_LEVEL, MAX_MASTER_LEVEL + 1):
        moved = override_levels(levels=levels, master_level=master)
        assert moved[-1] == master and all(0 < a < b for a, b in zip(moved, moved[1:])), (master, moved)
