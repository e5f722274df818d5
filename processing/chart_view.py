"""What the browser's lane view draws, built from a .dtx as read back: so the preview shows
exactly what the chart file holds. The confidence of each note, which DTX has no field for,
comes from the package's confidence file (`processing.package.CONFIDENCE_FILE`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from processing.dtx.reader import DtxFile
from processing.lanes import Lane

if TYPE_CHECKING:  # the web process reads charts without loading the arrangement's numerics
    from processing.arrangement import Note

# DTXMania's lane order, left to right; open hi-hat shares the hi-hat lane and the left bass
# drum the pedal lane, as on DTXMania's default lane type.
VIEW_LANES = ("LC", "HH", "LP", "SD", "HT", "BD", "LT", "FT", "CY", "RD")
VIEW_LANE_OF = {
    Lane.LEFT_CRASH: "LC", Lane.HIHAT_CLOSED: "HH", Lane.HIHAT_OPEN: "HH", Lane.HIHAT_PEDAL: "LP",
    Lane.LEFT_BASS_DRUM: "LP", Lane.SNARE: "SD", Lane.HIGH_TOM: "HT", Lane.BASS_DRUM: "BD",
    Lane.LOW_TOM: "LT", Lane.FLOOR_TOM: "FT", Lane.CRASH: "CY", Lane.RIDE: "RD",
}
TAIL_S = 2.0
DECIMALS = 4
# A note whose confidence is below this is uncertain: the preview can mark it and the chart
# page counts it. Confidences are clearness scores (0 on the track's decision boundary), so
# below the middle means the hit or its lane was closer to a coin flip than to sure.
UNCERTAIN_BELOW = 0.5
CONFIDENCE_DECIMALS = 2

# {chip lane: each note's confidence, in tick order}, one per difficulty in the package
LaneConfidences = dict[str, list[float]]


@dataclass(frozen=True)
class LaneUncertainty:
    """How many of a lane's notes are uncertain."""

    lane: Lane
    notes: int
    uncertain: int


def lane_confidences(*, notes: list[Note]) -> LaneConfidences:
    """Each note's confidence by chip lane, in tick order, rounded: what the package stores
    beside a chart. The .dtx holds the same notes lane by lane in time order, so the n-th
    confidence of a lane belongs to the lane's n-th note read back."""
    confidences: LaneConfidences = defaultdict(list)
    for note in sorted(notes, key=lambda note: note.tick):
        confidences[note.lane.value].append(round(note.confidence, CONFIDENCE_DECIMALS))
    return dict(confidences)


def lane_uncertainty(*, confidences: LaneConfidences) -> list[LaneUncertainty]:
    """Per lane with notes, in DTX channel order, how many notes are below UNCERTAIN_BELOW."""
    lanes = sorted((Lane(name) for name, values in confidences.items() if values), key=lambda lane: lane.channel)
    return [
        LaneUncertainty(lane=lane, notes=len(confidences[lane.value]),
                        uncertain=sum(value < UNCERTAIN_BELOW for value in confidences[lane.value]))
        for lane in lanes
    ]


def chart_view_data(*, dtx: DtxFile, label: str, level: int, confidences: LaneConfidences | None = None) -> dict:
    """JSON-ready chart: times in seconds of audio (0 = the BGM's start).

    notes: [[time, view lane, chip lane, confidence], ...] sorted by time; the confidence is
    None where `confidences` does not cover the note's lane (a chart made before notes carried
    one, or a lane whose count differs from the .dtx's); bars, beats: line times;
    tempo: [[time, BPM], ...]; duration: seconds to draw; uncertain_below: UNCERTAIN_BELOW.
    """
    start = dtx.bgm_start_s
    by_lane: dict[Lane, list[float]] = defaultdict(list)
    for time, lane in dtx.notes():
        by_lane[lane].append(time)
    notes = []
    for lane, times in by_lane.items():
        stored = (confidences or {}).get(lane.value, [])
        lane_confidence = stored if len(stored) == len(times) else [None] * len(times)
        notes.extend([round(time, DECIMALS), VIEW_LANE_OF[lane], lane.value, confidence]
                     for time, confidence in zip(sorted(times), lane_confidence))
    notes.sort(key=lambda note: (note[0], note[1], note[2]))

    def after_start(times: list[float]) -> list[float]:
        return [round(t - start, DECIMALS) for t in times if t - start > -1e-6]

    last = notes[-1][0] if notes else 0.0
    return {
        "difficulty": label,
        "level": level,
        "lanes": list(VIEW_LANES),
        "notes": notes,
        "bars": after_start(dtx.bar_times_s),
        "beats": after_start(dtx.beat_times_s),
        "tempo": [[round(max(t - start, 0.0), DECIMALS), bpm] for t, bpm in dtx.tempo_changes],
        "duration": round(last + TAIL_S, DECIMALS),
        "uncertain_below": UNCERTAIN_BELOW,
    }
