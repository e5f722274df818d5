"""What every transcription track produces (hits) and is (a Track); the registry of tracks
is in `processing.transcription`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from processing.audio import DecodedAudio
from processing.lanes import Lane
from processing.weights import ModelSpec, model_status


@dataclass(frozen=True, order=True)
class Hit:
    """One drum hit: its onset in seconds from the start of the audio, its lane, a velocity
    in (0, 1] for the chip's volume, and the track's confidence in [0, 1] that the hit is
    there and in this lane (0: on the edge of the track's decision, 1: well clear of it). Each
    track documents how it measures it; the chart page marks notes below
    `processing.chart_view.UNCERTAIN_BELOW`."""

    time_s: float
    lane: Lane = field(compare=False)
    velocity: float = field(default=1.0, compare=False)
    confidence: float = field(default=1.0, compare=False)


Transcriber = Callable[..., list[Hit]]


@dataclass(frozen=True)
class Track:
    """A named way of transcribing a song: a composition of processors behind one function.

    transcribe(audio=DecodedAudio, **parameters) -> list[Hit], plus model_dir=Path when
    the track needs model weights.
    """

    name: str
    title: str
    description: str
    transcribe: Transcriber
    defaults: dict[str, Any] = field(default_factory=dict)
    weights: tuple[ModelSpec, ...] = ()

    def run(self, *, audio: DecodedAudio, model_dir: Path, parameters: dict[str, Any] | None = None) -> list[Hit]:
        options = {**self.defaults, **(parameters or {})}
        if self.weights:
            options["model_dir"] = model_dir
        return sorted(self.transcribe(audio=audio, **options))

    def is_available(self, *, model_dir: Path) -> bool:
        """Whether the track can run now: every model it needs is complete in the folder."""
        return all(set(model_status(spec=spec, model_dir=model_dir).values()) == {"ok"} for spec in self.weights)
