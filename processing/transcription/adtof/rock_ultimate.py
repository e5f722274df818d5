"""The `rock-ultimate` track: the `advanced-features` track charted the way rock and metal
drummers play, as DTXMania players chart it.

Composition: advanced-features hits -> fast kick runs split between the right foot (BD) and the
left (LBD, channel 1C), right foot first -> single rides that keep no time moved to the left
cymbal (a china or a splash hit as an accent: short-decaying like a ride, alone like a crash).
The peak-picking thresholds are `adtof`'s: none was tuned against distorted guitars yet.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from processing.audio import DecodedAudio
from processing.lanes import Lane
from processing.transcription.adtof import advanced, hit_model, lanes, peaks
from processing.transcription.base import Hit

# Kicks closer than this (s) are one run: faster than eighth notes at 180 BPM (0.167 s), which
# one foot still plays; a run of sixteenths at 100 BPM (0.15 s) is already double bass.
DOUBLE_BASS_GAP_S = 0.16
# Runs shorter than this stay on the right foot: a doubled kick is one foot's flick.
MIN_DOUBLE_BASS_RUN = 3


def split_double_bass(*, hits: list[Hit], max_gap_s: float = DOUBLE_BASS_GAP_S,
                      min_run: int = MIN_DOUBLE_BASS_RUN) -> list[Hit]:
    """`hits` with the bass drum notes of each fast run (neighbours under max_gap_s seconds
    apart, at least min_run of them) alternating right (BD) and left (LBD), right first."""
    kicks = sorted((hit for hit in hits if hit.lane == Lane.BASS_DRUM), key=lambda hit: hit.time_s)
    left = set()
    run: list[Hit] = []
    for kick in kicks + [None]:
        if kick is not None and run and kick.time_s - run[-1].time_s < max_gap_s:
            run.append(kick)
            continue
        if len(run) >= min_run:
            left.update(id(hit) for hit in run[1::2])
        run = [kick] if kick is not None else []
    return [replace(hit, lane=Lane.LEFT_BASS_DRUM) if id(hit) in left else hit for hit in hits]


def accents_to_left_cymbal(*, hits: list[Hit], window_s: float = hit_model.TIMEKEEPING_S) -> list[Hit]:
    """`hits` with each ride that has no other ride within window_s seconds moved to the left
    cymbal (LC): a ride keeps time, so a lone one is an accent cymbal (china, splash)."""
    rides = np.array(sorted(hit.time_s for hit in hits if hit.lane == Lane.RIDE))
    lone = set(rides[hit_model.neighbours_within(times=rides, window_s=window_s) == 0].tolist())
    return [replace(hit, lane=Lane.LEFT_CRASH) if hit.lane == Lane.RIDE and hit.time_s in lone else hit
            for hit in hits]


def transcribe(
    *, audio: DecodedAudio, model_dir: Path, thresholds: tuple[float, ...] = peaks.THRESHOLDS,
    lane_rules: tuple[str, ...] = lanes.RULES,
) -> list[Hit]:
    """Drum hits of `audio` in DTX lanes, rock-charted (see the `adtof` track for the parameters)."""
    hits = advanced.transcribe(audio=audio, model_dir=model_dir, thresholds=thresholds, lane_rules=lane_rules)
    return split_double_bass(hits=accents_to_left_cymbal(hits=hits))
