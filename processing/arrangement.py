"""Arrangement: drum hits placed on the tempo map's grid.

Positions are integer ticks, TICKS_PER_BEAT to a beat, counted from beat 0 of the tempo
map (ticks before it are negative). The grid holds sixteenth notes and sixteenth-note
triplets; DTXMania divides a 4/4 bar into 384 ticks, and 192 per bar divides that exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from processing.lanes import Lane
from processing.rhythm import TempoMap
from processing.transcription import Hit

TICKS_PER_BEAT = 48
# Offsets within a beat (ticks) that a note may take: sixteenths (12) and their triplets (16).
GRID_OFFSETS = np.array(sorted(set(range(0, TICKS_PER_BEAT + 1, 12)) | set(range(0, TICKS_PER_BEAT + 1, 16))))


@dataclass(frozen=True)
class Note:
    """A chart note: its grid position in ticks, its lane, its chip's volume and the track's
    confidence in its hit (`Hit.confidence`). Notes equal and hash as (tick, lane, velocity):
    the confidence only describes a note."""

    tick: int
    lane: Lane
    velocity: float = 1.0
    confidence: float = field(default=1.0, compare=False)


@dataclass(frozen=True)
class Chart:
    """Notes on a tempo map, sorted by tick; `quantisation_errors_s` holds, per note, the
    quantised time minus the hit's time (seconds)."""

    tempo_map: TempoMap
    notes: list[Note]
    quantisation_errors_s: np.ndarray

    def note_times(self) -> np.ndarray:
        """(n_notes,) seconds in audio time of each note."""
        ticks = np.array([note.tick for note in self.notes], dtype=float)
        return self.tempo_map.times_at(ticks / TICKS_PER_BEAT)

    def counts_by_lane(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for note in self.notes:
            counts[note.lane.value] = counts.get(note.lane.value, 0) + 1
        return counts


def quantise_ticks(*, beat_positions: np.ndarray) -> np.ndarray:
    """Nearest grid tick for each fractional beat position: (n,) float beats -> (n,) int ticks."""
    positions = np.asarray(beat_positions, dtype=float)
    beat = np.floor(positions)
    offset_ticks = (positions - beat) * TICKS_PER_BEAT
    nearest = GRID_OFFSETS[np.argmin(np.abs(offset_ticks[:, None] - GRID_OFFSETS[None, :]), axis=1)]
    return (beat.astype(int) * TICKS_PER_BEAT + nearest).astype(int)


def arrange(*, hits: list[Hit], tempo_map: TempoMap) -> Chart:
    """Place `hits` on the grid of `tempo_map`; two hits of one lane on one tick become one,
    with the louder hit's velocity and the surer hit's confidence: the note is there if either
    hit surely is (a faint repeat of a figure, confidence 0, may land on a picked stroke)."""
    if not hits:
        return Chart(tempo_map=tempo_map, notes=[], quantisation_errors_s=np.zeros(0))
    times = np.array([hit.time_s for hit in hits])
    ticks = quantise_ticks(beat_positions=tempo_map.beat_positions(times))
    earliest_tick = int(np.ceil(tempo_map.beat_positions(np.zeros(1))[0] * TICKS_PER_BEAT))
    ticks = np.maximum(ticks, earliest_tick)  # never before the audio starts
    notes: dict[tuple[int, Lane], Note] = {}
    errors: dict[tuple[int, Lane], float] = {}
    quantised_times = tempo_map.times_at(ticks / TICKS_PER_BEAT)
    for hit, tick, quantised in zip(hits, ticks, quantised_times):
        key = (int(tick), hit.lane)
        kept = notes.get(key)
        if kept is None or hit.velocity > kept.velocity:
            errors[key] = float(quantised - hit.time_s)
        velocity = hit.velocity if kept is None else max(hit.velocity, kept.velocity)
        confidence = hit.confidence if kept is None else max(hit.confidence, kept.confidence)
        notes[key] = Note(tick=int(tick), lane=hit.lane, velocity=velocity, confidence=confidence)
    ordered = sorted(notes, key=lambda key: (key[0], key[1].channel))
    return Chart(
        tempo_map=tempo_map,
        notes=[notes[key] for key in ordered],
        quantisation_errors_s=np.array([errors[key] for key in ordered]),
    )
