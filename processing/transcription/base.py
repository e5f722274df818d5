"""What every transcription track produces, and the registry of tracks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from processing.audio import DecodedAudio
from processing.lanes import Lane


@dataclass(frozen=True, order=True)
class Hit:
    """One drum hit: its onset in seconds from the start of the audio, its lane, and a
    velocity in (0, 1] for the chip's volume."""

    time_s: float
    lane: Lane = field(compare=False)
    velocity: float = field(default=1.0, compare=False)


Transcriber = Callable[..., list[Hit]]


@dataclass(frozen=True)
class Track:
    """A named way of transcribing a song: a composition of processors behind one function.

    transcribe(audio=DecodedAudio, **parameters) -> list[Hit], sorted by time.
    """

    name: str
    title: str
    description: str
    transcribe: Transcriber
    defaults: dict[str, Any] = field(default_factory=dict)
    licence_note: str = ""

    def run(self, *, audio: DecodedAudio, parameters: dict[str, Any] | None = None) -> list[Hit]:
        options = {**self.defaults, **(parameters or {})}
        return sorted(self.transcribe(audio=audio, **options))
