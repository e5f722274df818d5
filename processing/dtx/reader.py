"""Reading a .dtx back into timed chips, the way DTXMania times them.

Used by the tests, the evaluation command and the preview to check that a written chart
plays what was meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from processing.dtx.format import (
    CHANNEL_BAR_LENGTH,
    CHANNEL_BGM,
    CHANNEL_BPM,
    CHANNEL_BPM_INTEGER,
    MS_PER_TICK_AT_1_BPM,
    TICKS_PER_BAR,
    decode_bar,
)
from processing.lanes import LANE_BY_CHANNEL, Lane

DEFAULT_BPM = 120.0
OBJECT_LINE = re.compile(r"^#([0-9A-Z]\d\d)([0-9A-F]{2})\s*:?\s*(\S*)$", re.IGNORECASE)
HEADER_LINE = re.compile(r"^#([A-Z]+[0-9A-Z]*?)(?::\s*|\s+|$)(.*)$", re.IGNORECASE)
# Tempo and bar-length changes at a tick apply before the chips on that tick; bar and beat
# markers (not DTX channels) are timed after a bar-length change and before a tempo change.
BAR_MARKER, BEAT_MARKER = "bar", "beat"
CONTROL_ORDER = {CHANNEL_BAR_LENGTH: 0, BAR_MARKER: 1, BEAT_MARKER: 1, CHANNEL_BPM: 2, CHANNEL_BPM_INTEGER: 2}
CHIP_ORDER = 3
BEATS_PER_WHOLE_BAR = 4


# DTXManiaNX reads a #DLEVEL of this or more as the level times 100 ("558" is 5.58); a smaller
# one, the only form the original DTXMania reads, as the level times 10, to which #DLVDEC adds
# hundredths ("55" with "8" is 5.58).
PACKED_LEVEL_FROM = 100


class DtxFormatError(ValueError):
    pass


@dataclass(frozen=True)
class Chip:
    """A chip as DTXMania plays it: seconds from the start of bar 000, channel, chip id."""

    time_s: float
    channel: str
    chip_id: str


@dataclass
class DtxFile:
    headers: dict[str, str] = field(default_factory=dict)
    wavs: dict[str, str] = field(default_factory=dict)
    bpms: dict[str, float] = field(default_factory=dict)
    chips: list[Chip] = field(default_factory=list)
    bar_times_s: list[float] = field(default_factory=list)  # chart time of each bar line, bar 000 on
    beat_times_s: list[float] = field(default_factory=list)  # beats inside bars of whole beats
    tempo_changes: list[tuple[float, float]] = field(default_factory=list)  # (chart time s, BPM)

    @property
    def bgm_start_s(self) -> float:
        """Chart time (s) of the first BGM chip: where the song's audio starts."""
        bgm = [chip.time_s for chip in self.chips if chip.channel == CHANNEL_BGM]
        if not bgm:
            raise DtxFormatError("the chart has no BGM chip on channel 01")
        return min(bgm)

    @property
    def level(self) -> int:
        """The drum level as DTXMania's x.xx times 100 (558 shows as 5.58), from #DLEVEL and
        #DLVDEC in either form (PACKED_LEVEL_FROM); 0 when the chart has none. Raises
        ValueError when they are not integers."""
        level = int(self.headers.get("DLEVEL", "0") or 0)
        if level >= PACKED_LEVEL_FROM:
            return level
        return level * 10 + int(self.headers.get("DLVDEC", "0") or 0)

    def notes(self) -> list[tuple[float, Lane]]:
        """Drum notes as (seconds of audio time, lane): chart time minus the BGM's start."""
        start = self.bgm_start_s
        return [
            (chip.time_s - start, LANE_BY_CHANNEL[chip.channel])
            for chip in self.chips
            if chip.channel in LANE_BY_CHANNEL
        ]

    def note_times(self, lane: Lane) -> list[float]:
        return [time for time, chip_lane in self.notes() if chip_lane == lane]


def read_dtx(*, path: Path) -> DtxFile:
    return parse_dtx(text=decode_dtx_bytes(path.read_bytes()))


def decode_dtx_bytes(data: bytes) -> str:
    """Text of a .dtx: UTF-8 (or UTF-16) when it has a byte-order mark, else Shift-JIS."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("shift_jis", errors="replace")


def parse_dtx(*, text: str) -> DtxFile:
    dtx = DtxFile()
    objects: list[tuple[int, int, str, str]] = []  # (tick, order, channel, value)
    for raw_line in text.splitlines():
        line = raw_line.split(";", 1)[0].strip()
        if not line.startswith("#"):
            continue
        match = OBJECT_LINE.match(line)
        if match:
            objects.extend(_objects_of_line(*match.groups()))
            continue
        header = HEADER_LINE.match(line)
        if header:
            _read_header(dtx, name=header.group(1).upper(), value=header.group(2).strip())
    _time_objects(dtx, objects + _bar_and_beat_markers(objects))
    return dtx


def _read_header(dtx: DtxFile, *, name: str, value: str) -> None:
    if name.startswith("WAV") and len(name) == 5:
        dtx.wavs[name[3:]] = value
    elif name == "BPM" or (name.startswith("BPM") and len(name) == 5):
        dtx.bpms[name[3:] or "00"] = float(value.replace(",", "."))
    else:
        dtx.headers[name] = value


def _objects_of_line(bar_text: str, channel: str, data: str) -> list[tuple[int, int, str, str]]:
    channel = channel.upper()
    bar_tick = (decode_bar(bar_text) + 1) * TICKS_PER_BAR  # DTXMania's extra empty bar before 000
    if channel == CHANNEL_BAR_LENGTH:
        return [(bar_tick, CONTROL_ORDER[channel], channel, data)]
    data = data.replace("_", "")
    pairs = [data[i : i + 2].upper() for i in range(0, len(data) - len(data) % 2, 2)]
    return [
        (bar_tick + TICKS_PER_BAR * index // len(pairs), CONTROL_ORDER.get(channel, CHIP_ORDER), channel, pair)
        for index, pair in enumerate(pairs)
        if pair != "00"
    ]


def _bar_and_beat_markers(objects: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    """A marker at every bar line through the bar after the last object, and at every beat
    of the bars whose length is a whole number of beats."""
    last_bar = max((tick // TICKS_PER_BAR for tick, *_ in objects), default=1)
    lengths = {tick // TICKS_PER_BAR: float(value) for tick, _, channel, value in objects
               if channel == CHANNEL_BAR_LENGTH}
    markers, length = [], 1.0
    for bar in range(1, last_bar + 2):
        length = lengths.get(bar, length)
        bar_tick = bar * TICKS_PER_BAR
        markers.append((bar_tick, CONTROL_ORDER[BAR_MARKER], BAR_MARKER, ""))
        beats = round(length * BEATS_PER_WHOLE_BAR)
        if beats >= 1 and abs(beats - length * BEATS_PER_WHOLE_BAR) < 1e-6:
            markers.extend((bar_tick + TICKS_PER_BAR * beat // beats, CONTROL_ORDER[BEAT_MARKER], BEAT_MARKER, "")
                           for beat in range(1, beats))
    return markers


def _time_objects(dtx: DtxFile, objects: list[tuple[int, int, str, str]]) -> None:
    """Times by DTXMania's rule: a tick lasts 625 * bar length / BPM ms. Chart time 0 is the
    start of bar 000 (DTXMania's own empty bar before it is left out)."""
    bpm = dtx.bpms.get("00", DEFAULT_BPM)
    bar_length = 1.0
    reference_tick, reference_ms = TICKS_PER_BAR, 0.0
    dtx.tempo_changes = [(0.0, bpm)]
    for tick, _, channel, value in sorted(objects, key=lambda item: (item[0], item[1])):
        now_ms = reference_ms + MS_PER_TICK_AT_1_BPM * (tick - reference_tick) * bar_length / bpm
        if channel == CHANNEL_BAR_LENGTH:
            bar_length = float(value)
        elif channel == CHANNEL_BPM:
            if value not in dtx.bpms:
                raise DtxFormatError(f"channel 08 uses #BPM{value}, which is not defined")
            bpm = dtx.bpms[value]
            dtx.tempo_changes.append((now_ms / 1000.0, bpm))
        elif channel == CHANNEL_BPM_INTEGER:
            bpm = float(int(value, 16))
            dtx.tempo_changes.append((now_ms / 1000.0, bpm))
        elif channel == BAR_MARKER:
            dtx.bar_times_s.append(now_ms / 1000.0)
        elif channel == BEAT_MARKER:
            dtx.beat_times_s.append(now_ms / 1000.0)
        else:
            dtx.chips.append(Chip(time_s=now_ms / 1000.0, channel=channel, chip_id=value))
            continue
        reference_tick, reference_ms = tick, now_ms
