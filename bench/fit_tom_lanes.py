"""Fit the tom-lane constants of processing/transcription/adtof/lanes.py on labelled tom hits.

Run: .venv/bin/python bench/fit_tom_lanes.py RENDERS --kits KIT_RENDERS
RENDERS and KIT_RENDERS are bench/groove_renders.py's output folders, without and with --kits.
The tom hits are the ones the `advanced-features` track keeps: the network's tom onsets that the
fitted tom model calls toms. Each is labelled with the lane of the rendered tom within MATCH_S
(Groove's notes: 48/50 high, 45/47 low, 41/43/58 floor), or none. For every combination of
TOM_PEAK_SHARE, TOM_MIN_SEPARATION, TOM_MIN_SHARE and TOM_HIGH_HZ in the grids below, each
render's hits get tom_lanes' lanes. The score is the mean over HT, LT and FT of each lane's F,
pooled over the renders (a hit with no tom label in a tom lane is a false positive). The
combination with the best score on Groove's train split of both kinds is printed with its score
on every split, next to the shipped constants'. The development songs are not used.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fit_hit_model import _render_hits, _renders, nearest_label, render_folders_parser  # noqa: E402
from processing.audio import decode  # noqa: E402
from processing.transcription.adtof import hit_model, lanes  # noqa: E402

LANE_OF_NOTE = {48: "HT", 50: "HT", 45: "LT", 47: "LT", 41: "FT", 43: "FT", 58: "FT"}
TOM_LANES = ("HT", "LT", "FT")
CONSTANTS = ("TOM_PEAK_SHARE", "TOM_MIN_SEPARATION", "TOM_MIN_SHARE", "TOM_HIGH_HZ")
GRIDS = ((1.0, 0.5, 0.3, 0.2, 0.15, 0.1), (2.0, 3.0, 4.0, 5.0), (0.1, 0.15, 0.2), (100.0, 120.0, 150.0))
# The constants before this fit (session 12), whose pitch was the highest peak of the gain.
EARLIER = (1.0, 4.0, 0.2, 120.0)
SPLITS = ("train", "validation", "test")


def collect(folder: Path, *, real_tom: hit_model.LogisticModel, peak_shares: set[float]) -> list[dict]:
    """Per render with tom hits: its split, the hits' tom labels, and their pitches (Hz) for each
    of `peak_shares`."""
    songs = []
    for row in _renders(folder):
        activations, onsets, times, notes = _render_hits(folder, row)
        toms = hit_model.kept_toms(model=real_tom, activations=activations, toms=onsets[hit_model.TT])
        if toms.size == 0:
            continue
        is_tom = np.isin(notes, list(LANE_OF_NOTE))
        matched = nearest_label(onsets=toms, times=times[is_tom], notes=notes[is_tom])
        audio = decode(path=folder / f"{row['name']}.flac")
        pitches = {share: lanes.tom_pitches(samples=audio.samples.T, sample_rate=audio.sample_rate, onsets=toms,
                                            peak_share=share) for share in peak_shares}
        songs.append({"split": row["split"], "pitches": pitches,
                      "truth": np.array([LANE_OF_NOTE.get(int(note), "") for note in matched])})
    return songs


def tom_lane_f(songs: list[dict]) -> float:
    """Mean over TOM_LANES of each lane's F, pooled over `songs`, with lanes' constants as set."""
    counts = {lane: np.zeros(3) for lane in TOM_LANES}  # true positives, false positives, false negatives
    for song in songs:
        predicted, truth = lanes.tom_lanes(pitches=song["pitches"][lanes.TOM_PEAK_SHARE]), song["truth"]
        for lane in TOM_LANES:
            counts[lane] += [np.sum((predicted == lane) & (truth == lane)), np.sum((predicted == lane) & (truth != lane)),
                             np.sum((predicted != lane) & (truth == lane))]
    return float(np.mean([2 * tp / max(2 * tp + fp + fn, 1.0) for tp, fp, fn in counts.values()]))


def scores(data: dict[str, list[dict]]) -> str:
    """tom_lane_f of each split of each kind of render, as one line."""
    return "  ".join(f"{split} {kind} {tom_lane_f([s for s in songs if s['split'] == split]):.3f}"
                     for split in SPLITS for kind, songs in data.items())


def main() -> None:
    args = render_folders_parser().parse_args()
    shipped = tuple(getattr(lanes, name) for name in CONSTANTS)
    real_tom = hit_model.load_hit_models().real_tom
    shares = {*GRIDS[0], EARLIER[0], shipped[0]}
    data = {"soundfonts": collect(args.renders, real_tom=real_tom, peak_shares=shares),
            "kits": collect(args.kits, real_tom=real_tom, peak_shares=shares)}
    train = [song for songs in data.values() for song in songs if song["split"] == "train"]
    results = []
    for values in itertools.product(*GRIDS):
        for name, value in zip(CONSTANTS, values):
            setattr(lanes, name, value)
        results.append((tom_lane_f(train), values))
    _, best = max(results)
    for label, values in (("before session 12", EARLIER), ("shipped", shipped), ("best on train", best)):
        for name, value in zip(CONSTANTS, values):
            setattr(lanes, name, value)
        print(f"{label}: " + ", ".join(f"{name} {value:g}" for name, value in zip(CONSTANTS, values)))
        print(f"  tom-lane mean F: {scores(data)}")


if __name__ == "__main__":
    main()
