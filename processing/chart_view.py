"""What the browser's lane view draws, built from a .dtx as read back: so the preview shows
exactly what the chart file holds."""

from __future__ import annotations

from processing.dtx.reader import DtxFile
from processing.lanes import Lane

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


def chart_view_data(*, dtx: DtxFile, label: str, level: int) -> dict:
    """JSON-ready chart: times in seconds of audio (0 = the BGM's start).

    notes: [[time, view lane, chip lane], ...] sorted by time; bars, beats: line times;
    tempo: [[time, BPM], ...]; duration: seconds to draw.
    """
    start = dtx.bgm_start_s
    notes = sorted(
        [round(time, DECIMALS), VIEW_LANE_OF[lane], lane.value] for time, lane in dtx.notes()
    )

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
    }
