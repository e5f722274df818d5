"""Fit the downbeat tracker's weights on rendered songs and score them, honestly split.

Run: .venv/bin/python bench/fit_downbeats.py RENDERS [RENDERS ...] [--songs ../shared/data/mdb-dev] [--model-dir ../shared/models]
RENDERS are bench/groove_renders.py's output folders (through soundfonts, and with --kits through recorded kits). Only renders of POPULAR_STYLES are used
(the music DTX charts are made of; Groove's jazz, latin and afro-cuban performances are left
out, their swing and clave grids being another problem than bar lines). The weights (the drum patterns' weight and
one per downbeat cue, see processing.rhythm.bar_tracking) are fitted by coordinate search for
the best mean downbeat F (mir_eval, 70 ms) of the bar HMM over the beats the product tracks
(drum_tempo.track_song_beats), on the renders of Groove's 'train' split only. Printed: the fitted weights; downbeat F per
split, meter and variant of the renders; the development songs scored with those weights
(nothing fitted on them) and leave-one-song-out (fitted on train renders plus the other
three songs).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import mir_eval
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.groove_renders import popular_renders  # noqa: E402
from processing.audio import decode  # noqa: E402
from processing.rhythm import bar_tracking, drum_tempo  # noqa: E402
from processing.transcription.adtof import track as adtof  # noqa: E402

# Candidate values tried for each weight in turn, per pass.
DRUM_WEIGHTS = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
CUE_VALUES = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
PASSES = 3
# Renders whose beats the tracker gets right (beat F at least this) score the bar tracker
# alone: a downbeat cannot be right on a wrong beat.
BEATS_RIGHT_F = 0.9


@dataclass
class Item:
    """One song: its tracked beats, what the bar HMM reads, and its true downbeats (s)."""

    name: str
    group: str
    beats: np.ndarray
    reference_beats: np.ndarray
    reference_downbeats: np.ndarray
    slots: np.ndarray
    meter: int
    cues: np.ndarray


def load_item(*, name: str, group: str, spectrogram: np.ndarray, activations: np.ndarray,
              reference_beats: np.ndarray, reference_downbeats: np.ndarray) -> Item:
    beats = drum_tempo.track_song_beats(drum_activations=activations, spectrogram=spectrogram,
                                        frame_rate=bar_tracking.FRAME_RATE)
    slots = bar_tracking.beat_slot_features(beat_times=beats, activations=activations)
    return Item(name=name, group=group, beats=beats, reference_beats=reference_beats,
                reference_downbeats=reference_downbeats, slots=slots,
                meter=bar_tracking.estimate_meter(slot_features=slots),
                cues=bar_tracking.downbeat_cues(beat_times=beats, slot_features=slots, spectrogram=spectrogram))


def load_renders(folder: Path) -> list[Item]:
    items = []
    for row in popular_renders(folder):
        analysis = np.load(folder / f"{row['name']}.analysis.npz")
        labels = np.load(folder / f"{row['name']}.labels.npz")
        variant = "+".join(re.findall("[a-z]+", row["variant"]))  # "pickup2+tempo-0.10" -> "pickup+tempo"
        items.append(load_item(
            name=row["name"], group=f"{row['split']} {folder.name} {row['meter']} {variant}",
            spectrogram=analysis["spectrogram"], activations=analysis["activations"],
            reference_beats=labels["beats"], reference_downbeats=labels["beats"][labels["downbeats"]]))
    return items


def load_songs(*, songs: Path, model_dir: Path, cache: Path) -> list[Item]:
    items = []
    for annotation in sorted(songs.glob("*.beats.txt")):
        name = annotation.name.replace(".beats.txt", "")
        cached = cache / f"dev-{name}.analysis.npz"
        if not cached.exists():
            spectrogram, activations = adtof.analyse(audio=decode(path=songs / f"{name}.flac"), model_dir=model_dir)
            np.savez(cached, spectrogram=spectrogram, activations=activations)
        analysis = np.load(cached)
        reference = np.loadtxt(annotation)
        items.append(load_item(name=name, group="dev", spectrogram=analysis["spectrogram"],
                               activations=analysis["activations"], reference_beats=reference[:, 0],
                               reference_downbeats=reference[reference[:, 1] == 1, 0]))
    return items


def downbeat_f(item: Item, weights: np.ndarray) -> float:
    log_likelihood = bar_tracking.bar_position_log_likelihoods(
        slot_features=item.slots, meter=item.meter, cues=item.cues, drum_weight=weights[0], cue_weights=weights[1:])
    path = bar_tracking.decode_bars(log_likelihood=log_likelihood)
    return mir_eval.beat.f_measure(item.reference_downbeats, item.beats[path == 0])


def mean_f(items: list[Item], weights: np.ndarray) -> float:
    return float(np.mean([downbeat_f(item, weights) for item in items]))


def fit(items: list[Item], start: np.ndarray) -> np.ndarray:
    """Coordinate search: each weight in turn set to its best candidate, PASSES times."""
    weights = start.astype(float).copy()
    best = mean_f(items, weights)
    for _ in range(PASSES):
        for index in range(weights.size):
            for value in DRUM_WEIGHTS if index == 0 else CUE_VALUES:
                trial = weights.copy()
                trial[index] = value
                score = mean_f(items, trial)
                if score > best + 1e-9:
                    best, weights = score, trial
    return weights


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("renders", type=Path, nargs="+", help="folders of bench/groove_renders.py (soundfonts, kits)")
    parser.add_argument("--songs", type=Path, default=ROOT.parent / "shared" / "data" / "mdb-dev")
    parser.add_argument("--model-dir", type=Path, default=ROOT.parent / "shared" / "models")
    args = parser.parse_args()
    renders = [item for folder in args.renders for item in load_renders(folder)]
    songs = load_songs(songs=args.songs, model_dir=args.model_dir, cache=args.renders[0])
    train = [item for item in renders if item.group.startswith("train")]
    shipped = np.concatenate([[bar_tracking.DRUM_WEIGHT], bar_tracking.CUE_WEIGHTS])
    fitted = fit(train, shipped)
    names = ("drum", *bar_tracking.CUES)
    print("weights   " + " ".join(f"{name:>9}" for name in names))
    for label, weights in (("shipped", shipped), ("fitted", fitted)):
        print(f"{label:<10}" + " ".join(f"{value:>9.2f}" for value in weights))
    print(f"\n{'renders':<34}{'n':>4}{'beat F':>8}{'shipped':>9}{'fitted':>8}")
    groups = defaultdict(list)
    for item in renders:
        split, folder = item.group.split()[:2]
        groups[item.group].append(item)
        groups[f"{split} {folder} all"].append(item)
        if mir_eval.beat.f_measure(item.reference_beats, item.beats) >= BEATS_RIGHT_F:
            groups[f"{split} {folder} beats right"].append(item)
    for group, items in sorted(groups.items()):
        beat_f = np.mean([mir_eval.beat.f_measure(item.reference_beats, item.beats) for item in items])
        print(f"{group:<34}{len(items):>4}{beat_f:>8.3f}{mean_f(items, shipped):>9.3f}{mean_f(items, fitted):>8.3f}")
    print(f"\n{'development song':<18}{'beat F':>8}{'shipped':>9}{'fitted':>8}{'leave-one-out':>15}")
    rows = []
    for song in songs:
        others = [item for item in songs if item is not song]
        loso = fit(train + others, fitted)
        row = (mir_eval.beat.f_measure(song.reference_beats, song.beats), downbeat_f(song, shipped),
               downbeat_f(song, fitted), downbeat_f(song, loso))
        rows.append(row)
        print(f"{song.name:<18}" + "".join(f"{value:>{width}.3f}" for value, width in zip(row, (8, 9, 8, 15))))
    mean = np.mean(rows, axis=0)
    print(f"{'mean':<18}" + "".join(f"{value:>{width}.3f}" for value, width in zip(mean, (8, 9, 8, 15))))


if __name__ == "__main__":
    main()
