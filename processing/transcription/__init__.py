"""Transcription tracks: named ways of turning audio into drum hits.

The registry is the one list of tracks the upload form, the command line and the worker
offer; a track is a composition of processors, not a branch inside a shared function.
"""

from __future__ import annotations

from processing.transcription import spectral
from processing.transcription.base import Hit, Track

TRACKS: dict[str, Track] = {
    track.name: track
    for track in (
        Track(
            name="spectral",
            title="Spectral",
            description="Onsets on the mix, sorted into bass drum, snare, hi-hat and crash by the energy "
            "each adds per frequency band. Needs no model weights.",
            transcribe=spectral.transcribe,
            defaults={"sensitivity": 1.0},
        ),
    )
}
DEFAULT_TRACK = "spectral"


class UnknownTrackError(KeyError):
    pass


def get_track(name: str) -> Track:
    try:
        return TRACKS[name]
    except KeyError:
        raise UnknownTrackError(f"Unknown track '{name}'. Tracks: {', '.join(sorted(TRACKS))}.") from None


__all__ = ["DEFAULT_TRACK", "Hit", "TRACKS", "Track", "UnknownTrackError", "get_track"]
