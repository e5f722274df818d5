"""Writing a chart as a .dtx file.

Layout: empty lead-in bars at the song's first tempo, then a pickup bar that starts with
the BGM chip and lasts exactly until the first downbeat of the audio (its length set on
channel 02), then one 4/4 bar per four beats of the tempo map. The BGM therefore starts on
a bar line and every bar line after it sits on a downbeat of the music.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from processing.arrangement import TICKS_PER_BEAT, Chart
from processing.dtx.format import (
    CHANNEL_BAR_LENGTH,
    CHANNEL_BGM,
    CHANNEL_BPM,
    LINE_END,
    TICKS_PER_BAR,
    UTF8_BOM,
    encode_bar,
    encode_base36,
    safe_header_value,
)
from processing.lanes import Lane

LEAD_IN_S = 2.0
# A pickup shorter than this (the audio starts on a downbeat) is left out.
MIN_PICKUP_S = 0.001
BPM_DECIMALS = 4
GENERATOR_COMMENT = "; Created by Audio2DTX"
BGM_CHIP_ID = "01"


@dataclass(frozen=True)
class DtxHeader:
    title: str
    artist: str = ""
    level: int = 0  # DTXMania's x.xx scale as an integer: 650 shows as 6.50
    genre: str = ""
    comment: str = ""
    preview: str = ""


@dataclass(frozen=True)
class ChipSounds:
    """File names (relative to the .dtx) of the BGM and of each lane's chip sound."""

    bgm: str
    lanes: dict[Lane, str]


def write_dtx(*, chart: Chart, header: DtxHeader, sounds: ChipSounds) -> str:
    """The .dtx text for `chart` (CRLF line endings, with a UTF-8 byte-order mark)."""
    layout = _BarLayout.for_chart(chart)
    chip_ids = {lane: encode_base36(index + 2) for index, lane in enumerate(sorted(sounds.lanes, key=lambda l: l.channel))}
    lines = [GENERATOR_COMMENT, *_header_lines(header=header, bpm=layout.start_bpm)]
    lines.append(f"#WAV{BGM_CHIP_ID}: {sounds.bgm}")
    for lane, chip_id in chip_ids.items():
        lines.append(f"#WAV{chip_id}: {sounds.lanes[lane]}")
    objects: dict[tuple[int, str], dict[Fraction, str]] = defaultdict(dict)
    objects[(layout.pickup_bar, CHANNEL_BGM)][Fraction(0)] = BGM_CHIP_ID
    bpm_ids = _place_bpm_changes(chart=chart, layout=layout, objects=objects)
    for bpm_value, bpm_id in bpm_ids.items():
        lines.append(f"#BPM{bpm_id}: {bpm_value}")
    for note in chart.notes:
        if note.lane in chip_ids:
            bar, position = layout.place(chart=chart, tick=note.tick)
            objects[(bar, note.lane.channel)][position] = chip_ids[note.lane]
    lines.extend(layout.bar_length_lines())
    for (bar, channel), chips in sorted(objects.items()):
        lines.append(f"#{encode_bar(bar)}{channel}: {_object_data(chips)}")
    return UTF8_BOM + LINE_END.join(lines) + LINE_END


def _header_lines(*, header: DtxHeader, bpm: float) -> list[str]:
    lines = [f"#TITLE: {safe_header_value(header.title)}"]
    for name, value in (("ARTIST", header.artist), ("GENRE", header.genre), ("COMMENT", header.comment),
                        ("PREVIEW", header.preview)):
        if value:
            lines.append(f"#{name}: {safe_header_value(value)}")
    lines.append(f"#BPM: {_format_bpm(bpm)}")
    lines.append(f"#DLEVEL: {int(header.level)}")
    return lines


def _format_bpm(bpm: float) -> str:
    return f"{bpm:.{BPM_DECIMALS}f}"


@dataclass(frozen=True)
class _BarLayout:
    """Where the chart's beats fall among DTX bars.

    lead_in_bars: empty bars before the pickup bar.
    pickup_s: audio time (s) of the first downbeat; the pickup bar lasts that long.
    first_downbeat: the tempo map's index of that beat.
    """

    lead_in_bars: int
    pickup_s: float
    first_downbeat: int
    beats_per_bar: int
    start_bpm: float

    @classmethod
    def for_chart(cls, chart: Chart) -> "_BarLayout":
        tempo_map = chart.tempo_map
        start_bpm = float(tempo_map.beat_bpms()[0])
        bar_s = tempo_map.beats_per_bar * 60.0 / start_bpm
        return cls(
            lead_in_bars=max(1, math.ceil(LEAD_IN_S / bar_s)),
            pickup_s=float(tempo_map.beat_times[tempo_map.first_downbeat]),
            first_downbeat=tempo_map.first_downbeat,
            beats_per_bar=tempo_map.beats_per_bar,
            start_bpm=start_bpm,
        )

    @property
    def has_pickup(self) -> bool:
        return self.pickup_s >= MIN_PICKUP_S

    @property
    def pickup_bar(self) -> int:
        """The bar whose first tick starts the BGM."""
        return self.lead_in_bars

    @property
    def first_full_bar(self) -> int:
        return self.pickup_bar + (1 if self.has_pickup else 0)

    def pickup_length(self) -> float:
        """The pickup bar's length as a factor of a 4/4 bar at the start BPM."""
        return self.pickup_s * self.start_bpm / 240.0

    def bar_length_lines(self) -> list[str]:
        if not self.has_pickup:
            return []
        return [
            f"#{encode_bar(self.pickup_bar)}{CHANNEL_BAR_LENGTH}: {self.pickup_length():.9f}",
            f"#{encode_bar(self.first_full_bar)}{CHANNEL_BAR_LENGTH}: 1",
        ]

    def place(self, *, chart: Chart, tick: int) -> tuple[int, Fraction]:
        """(bar, position as a fraction of the bar) of a grid tick."""
        ticks_per_bar = self.beats_per_bar * TICKS_PER_BEAT
        from_downbeat = tick - self.first_downbeat * TICKS_PER_BEAT
        if from_downbeat >= 0 or not self.has_pickup:
            bar_offset, within = divmod(from_downbeat, ticks_per_bar)
            return self.first_full_bar + bar_offset, Fraction(within, ticks_per_bar)
        # Before the first downbeat the pickup bar is linear in audio time.
        time = float(chart.tempo_map.times_at(np.array([tick / TICKS_PER_BEAT]))[0])
        slot = min(TICKS_PER_BAR - 1, max(0, round(time / self.pickup_s * TICKS_PER_BAR)))
        return self.pickup_bar, Fraction(slot, TICKS_PER_BAR)


def _place_bpm_changes(
    *, chart: Chart, layout: _BarLayout, objects: dict[tuple[int, str], dict[Fraction, str]]
) -> dict[str, str]:
    """Put a channel-08 chip wherever the tempo changes from the first downbeat on; returns
    {bpm text: #BPMzz id}."""
    bpms = chart.tempo_map.beat_bpms()
    ids: dict[str, str] = {}
    current = _format_bpm(layout.start_bpm)
    for beat in range(layout.first_downbeat, bpms.size):
        value = _format_bpm(float(bpms[beat]))
        if value == current:
            continue
        current = value
        if value not in ids:
            ids[value] = encode_base36(len(ids) + 1)
        bar, position = layout.place(chart=chart, tick=beat * TICKS_PER_BEAT)
        objects[(bar, CHANNEL_BPM)][position] = ids[value]
    return ids


def _object_data(chips: dict[Fraction, str]) -> str:
    """Pairs of chip ids at the finest division the positions need (at most 384 a bar)."""
    slots = math.lcm(*(position.denominator for position in chips))
    if slots > TICKS_PER_BAR:
        slots = TICKS_PER_BAR
    data = ["00"] * slots
    for position, chip_id in sorted(chips.items()):
        data[min(slots - 1, round(position * slots))] = chip_id
    return "".join(data)
