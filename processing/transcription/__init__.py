"""Transcription tracks: named ways of turning audio into drum hits.

The registry is the one list of tracks the upload form, the command line and the worker
offer; a track is a composition of processors, not a branch inside a shared function.
"""

from __future__ import annotations

from pathlib import Path

from processing.transcription import spectral
from processing.transcription.adtof import advanced as adtof_advanced
from processing.transcription.adtof import ensemble as adtof_ensemble
from processing.transcription.adtof import multi_scale as adtof_multi_scale
from processing.transcription.adtof import peaks as adtof_peaks
from processing.transcription.adtof import rock_ultimate as adtof_rock_ultimate
from processing.transcription.adtof import track as adtof
from processing.transcription.base import Hit, Track
from processing.weights import ADTOF_CRNN, ADTOF_FRAME_RNN

TRACKS: dict[str, Track] = {
    track.name: track
    for track in (
        Track(
            name="spectral",
            title="Spectral",
            description="Onsets on the mix, sorted into bass drum, snare, hi-hat and crash by the energy "
            "each adds per frequency band. Needs no model weights. Development songs: pooled F 0.42.",
            transcribe=spectral.transcribe,
            defaults={"sensitivity": 1.0},
        ),
        Track(
            name="adtof",
            title="ADTOF neural",
            description="ADTOF's Frame_RNN network (Zehren et al.) finds bass drum, snare, toms, hi-hat and "
            "cymbals; each hit is then placed in a DTX lane. Development songs: pooled F 0.77, lane mean F 0.46. "
            "Weights: CC BY-NC-SA 4.0, non-commercial use only.",
            transcribe=adtof.transcribe,
            defaults={"thresholds": adtof_peaks.THRESHOLDS},
            weights=(ADTOF_FRAME_RNN,),
        ),
        Track(
            name="advanced-features",
            title="ADTOF with fitted per-hit lanes",
            description="The ADTOF track, with three decisions made by models fitted on labelled hits: whether a "
            "tom hit is a tom (not a snare or kick the network mistook), crash or ride (by decay and whether "
            "the cymbal keeps time), and open or closed hi-hat (by how long it rings); weaker kick, snare, tom and "
            "hi-hat hits are kept where they repeat the song's own figure, and the strokes of fast tom fills. "
            "Held-out renders: tom F 0.57 -> 0.95, crash F 0.00 -> 0.57; on recorded kits, closed hi-hat F "
            "0.70 -> 0.89 and open 0.21 -> 0.63. "
            "Development songs: pooled F 0.78 (ADTOF 0.77), lanes pooled 0.75 (ADTOF 0.71), lane mean F 0.46. "
            "Weights: as ADTOF.",
            transcribe=adtof_advanced.transcribe,
            defaults={"thresholds": adtof_peaks.THRESHOLDS},
            weights=(ADTOF_FRAME_RNN,),
        ),
        Track(
            name="ensemble",
            title="ADTOF Frame_RNN + CRNN ensemble",
            description="The advanced-features track on two networks fused: ADTOF's Frame_RNN and the mean of its "
            "three CRNN folds, weighted per class by weights fitted on labelled Groove renders (hi-hat 0.65 / 0.35, "
            "cymbals 0.9 / 0.1, the Frame_RNN alone elsewhere). Held-out renders: pooled F 0.72 "
            "(advanced-features 0.73); development songs: pooled F 0.78, lanes pooled 0.75, lane mean F 0.46. "
            "About 6 s more than ADTOF on a 4-minute song. Weights: as ADTOF, plus the CRNN folds (GPL-3.0).",
            transcribe=adtof_ensemble.transcribe,
            defaults={"thresholds": adtof_ensemble.THRESHOLDS},
            weights=(ADTOF_FRAME_RNN, ADTOF_CRNN),
        ),
        Track(
            name="multi-scale",
            title="ADTOF at several time scales",
            description="The advanced-features track with the network run on the song and on two slight "
            "time-stretches of it (0.95 and 1.05), the activations averaged: for fast or blurred hits. "
            "Takes three times the network's time. Weights: as ADTOF.",
            transcribe=adtof_multi_scale.transcribe,
            defaults={"thresholds": adtof_peaks.THRESHOLDS},
            weights=(ADTOF_FRAME_RNN,),
        ),
        Track(
            name="rock-ultimate",
            title="Rock and metal",
            description="The advanced-features track charted for rock and metal: fast kick runs split between the "
            "right and left bass drum pedals (LBD), and lone short cymbal accents (china, splash) on the left "
            "cymbal. Development songs: as advanced-features (they hold no double bass). Weights: as ADTOF.",
            transcribe=adtof_rock_ultimate.transcribe,
            defaults={"thresholds": adtof_peaks.THRESHOLDS},
            weights=(ADTOF_FRAME_RNN,),
        ),
    )
}
WEIGHTLESS_TRACK = "spectral"
PREFERRED_TRACK = "advanced-features"


class UnknownTrackError(KeyError):
    pass


def default_track(*, model_dir: Path) -> str:
    """The best track that can run with the weights in `model_dir`."""
    return PREFERRED_TRACK if TRACKS[PREFERRED_TRACK].is_available(model_dir=model_dir) else WEIGHTLESS_TRACK


def get_track(name: str) -> Track:
    try:
        return TRACKS[name]
    except KeyError:
        raise UnknownTrackError(f"Unknown track '{name}'. Tracks: {', '.join(sorted(TRACKS))}.") from None


__all__ = ["Hit", "PREFERRED_TRACK", "TRACKS", "Track", "UnknownTrackError", "WEIGHTLESS_TRACK", "default_track",
           "get_track"]
