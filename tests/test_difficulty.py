"""Playability rules, the four reductions and their levels."""

import numpy as np

from processing.arrangement import TICKS_PER_BEAT, Chart, Note
from processing.difficulty import (
    DIFFICULTIES, FOOT_LANES, HAND_LANES, leveled_difficulties, make_playable, merge_flams, metric_strength,
    metric_strengths, reduce_chart,
)
from processing.lanes import Lane
from processing.rhythm import TempoMap, constant_tempo_map

BEAT = TICKS_PER_BEAT


def _busy_chart() -> Chart:
    """Sixteenth hi-hats, kicks on every eighth, snare backbeats, a tom fill every 4th bar."""
    notes = []
    for bar in range(16):
        start = bar * 4 * BEAT
        fill = bar % 4 == 3
        for sixteenth in range(16):
            tick = start + sixteenth * BEAT // 4
            if fill and sixteenth >= 8:
                notes.append(Note(tick, Lane.HIGH_TOM if sixteenth < 12 else Lane.FLOOR_TOM))
            else:
                notes.append(Note(tick, Lane.HIHAT_CLOSED))
            if sixteenth % 2 == 0:
                notes.append(Note(tick, Lane.BASS_DRUM))
            if sixteenth in (4, 12):
                notes.append(Note(tick, Lane.SNARE))
        notes.append(Note(start, Lane.CRASH))
    notes.sort(key=lambda n: (n.tick, n.lane.channel))
    tempo_map = constant_tempo_map(period_s=0.5, phase_s=0.25, duration_s=40)
    return Chart(tempo_map=tempo_map, notes=notes, quantisation_errors_s=np.zeros(len(notes)))


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


def test_playability_limits_and_hihat_rules():
    chord = [Note(0, lane) for lane in (Lane.SNARE, Lane.CRASH, Lane.HIHAT_CLOSED, Lane.HIHAT_OPEN,
                                        Lane.HIHAT_PEDAL, Lane.BASS_DRUM, Lane.LEFT_BASS_DRUM)]
    lanes = {note.lane for note in make_playable(notes=chord)}
    assert len(lanes & HAND_LANES) <= 2 and len(lanes & FOOT_LANES) <= 2
    assert Lane.SNARE in lanes and Lane.BASS_DRUM in lanes
    assert Lane.HIHAT_CLOSED not in lanes and Lane.HIHAT_PEDAL not in lanes


def test_flams_merge_into_the_first_stroke():
    notes = [Note(0, Lane.SNARE), Note(4, Lane.HIGH_TOM), Note(48, Lane.SNARE)]
    kept = merge_flams(notes=notes, note_times=np.array([1.0, 1.02, 1.5]))
    assert kept == [notes[0], notes[2]]


def test_reductions_thin_and_keep_the_backbone():
    chart = _busy_chart()
    counts = [len(reduce_chart(chart=chart, spec=spec).notes) for spec in DIFFICULTIES]
    assert counts[0] < counts[1] < counts[2] <= counts[3] == len(make_playable(notes=chart.notes))
    basic = reduce_chart(chart=chart, spec=DIFFICULTIES[0])
    snares = [n.tick for n in basic.notes if n.lane == Lane.SNARE]
    assert snares and all(t % BEAT == 0 for t in snares), "backbeats survive on the beat"
    fill_beats = {n.tick // BEAT for n in basic.notes if n.lane in (Lane.HIGH_TOM, Lane.FLOOR_TOM)}
    assert fill_beats and not any(n.lane == Lane.BASS_DRUM and n.tick // BEAT in fill_beats for n in basic.notes)
    for spec in DIFFICULTIES[:2]:
        reduced = reduce_chart(chart=chart, spec=spec)
        per_tick = {}
        for note in reduced.notes:
            per_tick[note.tick] = per_tick.get(note.tick, 0) + 1
        assert max(per_tick.values()) <= 2, f"{spec.label}: never three limbs at once"


def test_levels_rise_from_basic_to_master():
    levels = [level for _, _, level in leveled_difficulties(chart=_busy_chart())]
    assert levels == sorted(set(levels)) and 100 <= levels[0] and levels[-1] <= 1000
