"""Writing a chart as a .dtx file.

Layout: empty lead-in bars at the song's first tempo; an offset bar that starts with the
BGM chip and lasts exactly until beat 0 of the tempo map (its length set on channel 02);
short bars for the beats before the first downbeat; then the bars of the tempo map (its meter,
or the odd bar lengths it carries). The
BGM starts on a bar line, grid notes sit on exact DTX ticks, and every bar line after the
upbeat sits on a downbeat of the music.
"""

from __future__ import annotations

import math
import unicodedata
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
# An offset shorter than this (the audio starts on beat 0) needs no bar of its own.
MIN_OFFSET_S = 0.001
BPM_DECIMALS = 4
GENERATOR_COMMENT = "; Created by Audio2DTX"
BGM_CHIP_ID = "01"


@dataclass(frozen=True)
class DtxHeader:
    """The header lines of a .dtx; text is written on one line each (_header_value), empty
    fields are left out."""

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
    objects[(layout.bgm_bar, CHANNEL_BGM)][Fraction(0)] = BGM_CHIP_ID
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
    lines = [f"#TITLE: {_header_value(header.title)}"]
    for name, value in (("ARTIST", header.artist), ("GENRE", header.genre), ("COMMENT", header.comment),
                        ("PREVIEW", header.preview)):
        value = _header_value(value)
        if value:
            lines.append(f"#{name}: {value}")
    lines.append(f"#BPM: {_format_bpm(bpm)}")
    # DTXManiaNX reads "#DLEVEL: 558" as 5.58, but the original DTXMania clamps #DLEVEL to 100.
    # Both read "#DLEVEL: 55" (5.5 in NX, 55 in the original) and NX adds #DLVDEC's hundredths.
    lines.append(f"#DLEVEL: {int(header.level) // 10}")
    lines.append(f"#DLVDEC: {int(header.level) % 10}")
    return lines


def _header_value(value: str) -> str:
    """`value` as DTXMania reads a header: safe_header_value (one line, no ';'), with control
    characters pasted into a form (which DTXMania shows as boxes) turned into spaces."""
    return safe_header_value("".join(" " if unicodedata.category(char) == "Cc" else char for char in value))


def _format_bpm(bpm: float) -> str:
    return f"{bpm:.{BPM_DECIMALS}f}"


# The bars between beat 0 and the first downbeat are two beats long, the last one beat where
# the count is odd: 384 ticks divide into 2 x 48 and 1 x 48 grid ticks but not into 3 x 48.
# A 3- or 6-beat bar of the song itself stays one bar, where DTXMania's 384 ticks place
# triplets up to a tick off.
UPBEAT_BAR_BEATS = 2


def upbeat_bar_lengths(beats: int) -> tuple[int, ...]:
    """Lengths in beats of the bars that hold an upbeat of `beats` beats: 3 -> (2, 1)."""
    return (UPBEAT_BAR_BEATS,) * (beats // UPBEAT_BAR_BEATS) + (1,) * (beats % UPBEAT_BAR_BEATS)


@dataclass(frozen=True)
class _BarLayout:
    """Where the chart's beats fall among DTX bars.

    lead_in_bars: empty bars before the BGM.
    offset_s: audio time (s) of beat 0; the offset bar, which starts with the BGM chip,
        lasts that long and holds the notes before beat 0, placed by time.
    upbeat_bars: lengths in beats of the bars from beat 0 to the first downbeat.
    bar_lengths: beats of each bar from the first full bar on, where the song's bars are
        not all of the meter; bars past the list have `beats_per_bar` beats.
    """

    lead_in_bars: int
    offset_s: float
    first_downbeat: int
    beats_per_bar: int
    start_bpm: float
    bar_lengths: tuple[int, ...] = ()

    @classmethod
    def for_chart(cls, chart: Chart) -> "_BarLayout":
        tempo_map = chart.tempo_map
        start_bpm = float(tempo_map.beat_bpms()[0])
        bar_s = tempo_map.beats_per_bar * 60.0 / start_bpm
        meter = tempo_map.beats_per_bar
        upbeat, whole_bars = tempo_map.first_downbeat % meter, tempo_map.first_downbeat // meter
        return cls(
            lead_in_bars=max(1, math.ceil(LEAD_IN_S / bar_s)),
            offset_s=float(tempo_map.beat_times[0]),
            first_downbeat=upbeat,
            beats_per_bar=meter,
            start_bpm=start_bpm,
            # Whole bars before the first downbeat are bars of the meter.
            bar_lengths=(meter,) * whole_bars + tuple(tempo_map.bar_lengths) if tempo_map.bar_lengths else (),
        )

    @property
    def has_offset_bar(self) -> bool:
        return self.offset_s >= MIN_OFFSET_S

    @property
    def bgm_bar(self) -> int:
        """The bar whose first tick starts the BGM."""
        return self.lead_in_bars

    @property
    def upbeat_bars(self) -> tuple[int, ...]:
        return upbeat_bar_lengths(self.first_downbeat)

    @property
    def first_grid_bar(self) -> int:
        """The bar that starts on beat 0."""
        return self.bgm_bar + (1 if self.has_offset_bar else 0)

    @property
    def first_full_bar(self) -> int:
        return self.first_grid_bar + len(self.upbeat_bars)

    def bar_length_lines(self) -> list[str]:
        """Channel-02 lines wherever a bar's length differs from the bar before it: DTX keeps
        a bar length until it is set again (a 4/4 bar is 1)."""
        lengths = []
        if self.has_offset_bar:
            lengths.append((self.bgm_bar, f"{self.offset_s * self.start_bpm / 240.0:.9f}"))
        for index, beats in enumerate(self.upbeat_bars):
            lengths.append((self.first_grid_bar + index, f"{beats / 4:g}"))
        current = "1" if not lengths else None
        for index, beats in enumerate((*self.bar_lengths, self.beats_per_bar)):
            value = f"{beats / 4:g}"
            if value != current:
                lengths.append((self.first_full_bar + index, value))
                current = value
        return [f"#{encode_bar(bar)}{CHANNEL_BAR_LENGTH}: {value}" for bar, value in lengths]

    def place(self, *, chart: Chart, tick: int) -> tuple[int, Fraction]:
        """(bar, position as a fraction of the bar) of a grid tick."""
        if tick < 0 and self.has_offset_bar:
            # Before beat 0 the offset bar is linear in audio time.
            time = float(chart.tempo_map.times_at(np.array([tick / TICKS_PER_BEAT]))[0])
            slot = min(TICKS_PER_BAR - 1, max(0, round(time / self.offset_s * TICKS_PER_BAR)))
            return self.bgm_bar, Fraction(slot, TICKS_PER_BAR)
        tick = max(tick, 0)
        bar, start = self.first_grid_bar, 0
        for beats in self.upbeat_bars:
            if tick < start + beats * TICKS_PER_BEAT:
                return bar, Fraction(tick - start, beats * TICKS_PER_BEAT)
            bar, start = bar + 1, start + beats * TICKS_PER_BEAT
        for beats in self.bar_lengths:
            if tick < start + beats * TICKS_PER_BEAT:
                return bar, Fraction(tick - start, beats * TICKS_PER_BEAT)
            bar, start = bar + 1, start + beats * TICKS_PER_BEAT
        bar_offset, within = divmod(tick - start, self.beats_per_bar * TICKS_PER_BEAT)
        return bar + bar_offset, Fraction(within, self.beats_per_bar * TICKS_PER_BEAT)


def _place_bpm_changes(
    *, chart: Chart, layout: _BarLayout, objects: dict[tuple[int, str], dict[Fraction, str]]
) -> dict[str, str]:
    """Put a channel-08 chip wherever the tempo changes from beat 0 on; returns
    {bpm text: #BPMzz id}."""
    bpms = chart.tempo_map.beat_bpms()
    ids: dict[str, str] = {}
    current = _format_bpm(layout.start_bpm)
    for beat in range(bpms.size):
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
