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
# Tempo and bar-length changes at a tick apply before the chips on that tick.
CONTROL_ORDER = {CHANNEL_BAR_LENGTH: 0, CHANNEL_BPM: 1, CHANNEL_BPM_INTEGER: 1}


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

    @property
    def bgm_start_s(self) -> float:
        """Chart time (s) of the first BGM chip: where the song's audio starts."""
        bgm = [chip.time_s for chip in self.chips if chip.channel == CHANNEL_BGM]
        if not bgm:
            raise DtxFormatError("the chart has no BGM chip on channel 01")
        return min(bgm)

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
    dtx.chips = _timed_chips(dtx, objects)
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
        (bar_tick + TICKS_PER_BAR * index // len(pairs), CONTROL_ORDER.get(channel, 2), channel, pair)
        for index, pair in enumerate(pairs)
        if pair != "00"
    ]


def _timed_chips(dtx: DtxFile, objects: list[tuple[int, int, str, str]]) -> list[Chip]:
    """Times by DTXMania's rule: a tick lasts 625 * bar length / BPM ms."""
    bpm = dtx.bpms.get("00", DEFAULT_BPM)
    bar_length = 1.0
    reference_tick, reference_ms = 0, 0.0
    chips = []
    for tick, _, channel, value in sorted(objects, key=lambda item: (item[0], item[1])):
        now_ms = reference_ms + MS_PER_TICK_AT_1_BPM * (tick - reference_tick) * bar_length / bpm
        if channel == CHANNEL_BAR_LENGTH:
            bar_length = float(value)
        elif channel == CHANNEL_BPM:
            if value not in dtx.bpms:
                raise DtxFormatError(f"channel 08 uses #BPM{value}, which is not defined")
            bpm = dtx.bpms[value]
        elif channel == CHANNEL_BPM_INTEGER:
            bpm = float(int(value, 16))
        else:
            chips.append(Chip(time_s=now_ms / 1000.0, channel=channel, chip_id=value))
            continue
        reference_tick, reference_ms = tick, now_ms
    return chips
