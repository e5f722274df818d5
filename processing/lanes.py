"""The drum lanes of a DTXMania chart and their DTX channels."""

from __future__ import annotations

import enum


class Lane(enum.Enum):
    """One drum lane. The value is its short name, used in JSON, summaries and file names."""

    HIHAT_CLOSED = "HH"
    SNARE = "SD"
    BASS_DRUM = "BD"
    HIGH_TOM = "HT"
    LOW_TOM = "LT"
    CRASH = "CY"
    FLOOR_TOM = "FT"
    HIHAT_OPEN = "HHO"
    RIDE = "RD"
    LEFT_CRASH = "LC"
    HIHAT_PEDAL = "LP"
    LEFT_BASS_DRUM = "LBD"

    @property
    def channel(self) -> str:
        """The DTX channel (two hex digits) that holds this lane's chips."""
        return DTX_CHANNELS[self]

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def is_foot(self) -> bool:
        return self in FOOT_LANES


DTX_CHANNELS: dict[Lane, str] = {
    Lane.HIHAT_CLOSED: "11",
    Lane.SNARE: "12",
    Lane.BASS_DRUM: "13",
    Lane.HIGH_TOM: "14",
    Lane.LOW_TOM: "15",
    Lane.CRASH: "16",
    Lane.FLOOR_TOM: "17",
    Lane.HIHAT_OPEN: "18",
    Lane.RIDE: "19",
    Lane.LEFT_CRASH: "1A",
    Lane.HIHAT_PEDAL: "1B",
    Lane.LEFT_BASS_DRUM: "1C",
}
LANE_BY_CHANNEL: dict[str, Lane] = {channel: lane for lane, channel in DTX_CHANNELS.items()}

LABELS: dict[Lane, str] = {
    Lane.HIHAT_CLOSED: "Hi-hat",
    Lane.SNARE: "Snare",
    Lane.BASS_DRUM: "Bass drum",
    Lane.HIGH_TOM: "High tom",
    Lane.LOW_TOM: "Low tom",
    Lane.CRASH: "Crash",
    Lane.FLOOR_TOM: "Floor tom",
    Lane.HIHAT_OPEN: "Open hi-hat",
    Lane.RIDE: "Ride",
    Lane.LEFT_CRASH: "Left crash",
    Lane.HIHAT_PEDAL: "Hi-hat pedal",
    Lane.LEFT_BASS_DRUM: "Left bass drum",
}

FOOT_LANES = frozenset({Lane.BASS_DRUM, Lane.HIHAT_PEDAL, Lane.LEFT_BASS_DRUM})
