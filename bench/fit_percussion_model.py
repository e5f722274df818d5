"""Can a per-hit model tell a tambourine or shaker from the kit's hi-hats and cymbals? Fit one
on labelled hits and score it (session 12, #11: it cannot, so no track uses it; see RESULTS).

Run: .venv/bin/python bench/fit_percussion_model.py RENDERS --kits KIT_RENDERS
RENDERS and KIT_RENDERS are bench/groove_renders.py's output folders made with --percussion,
without and with --kits. Each hi-hat or cymbal hit the network finds is a kit piece when a
rendered hi-hat, ride or crash lies within MATCH_S, else hand percussion when a rendered
tambourine or shaker does (a hit near neither is left out). The model is fitted on Groove's
'train' split of both folders and scored on every split against keeping every hit (what the
other tracks do); then fitted on one kind of render and scored on the other's validation and
test renders, whose tambourines and shakers it never heard (soundfont samples against recorded
ones).

Features of each hit (PERCUSSION_FEATURES): the spectrum it rises with in the network's own
input (a tambourine's jingles rise in narrow regions around 4-6 and 9-15 kHz, on average, where
a hi-hat or cymbal rises evenly), how fast that falls within 100 ms, and the network's
activations at the hit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fit_hit_model import (CRASH_NOTES, HIHAT_NOTES, RIDE_NOTES, _render_hits, _renders, fit,  # noqa: E402
                                 nearest_label, scores)
from processing.transcription.adtof import features, hit_model  # noqa: E402

KIT_PIECE_NOTES = HIHAT_NOTES + RIDE_NOTES + CRASH_NOTES
PERCUSSION_NOTES = (54, 69, 70)  # tambourine, cabasa, maracas (bench/groove_renders.py)
SPLITS = ("train", "validation", "test")
PERCUSSION_FEATURES = ("rise", "rise_1_5k_vs_mean", "rise_3k_vs_mean", "rise_6k_vs_mean", "fall_100ms",
                       "hihat_activation", "cymbal_activation", "snare_activation", "kick_activation")
# Regions of the spectrogram (Hz) whose rise at a hit is compared (the features name each by
# its lower edge; the last is implied by the mean and the other three). A hit rises from the
# mean of SPECTRUM_FLOOR_FRAMES before it to the maximum of SPECTRUM_PEAK_FRAMES after it, and
# falls SPECTRUM_FALL_FRAME frames on.
SPECTRUM_REGIONS = ((1500.0, 3000.0), (3000.0, 6000.0), (6000.0, 11000.0), (11000.0, 20000.0))
SPECTRUM_FLOOR_FRAMES = (-3, 0)
SPECTRUM_PEAK_FRAMES = (0, 3)
SPECTRUM_FALL_FRAME = 10


def percussion_features(*, spectrogram: np.ndarray, activations: np.ndarray, onsets: np.ndarray) -> np.ndarray:
    """PERCUSSION_FEATURES of each hi-hat or cymbal hit: (n, 9).

    spectrogram: (frames, 84) the network's log-filterbank input; activations: (frames, 5);
    both at 100 fps. onsets: (n,) s. Rises and falls are in the spectrogram's log-magnitude units.
    """
    last = len(spectrogram) - 1
    frames = np.clip(np.round(np.asarray(onsets, dtype=float) * hit_model.FRAME_RATE).astype(int), 0, last)

    def frames_at(offsets):
        return np.clip(frames[:, None] + np.arange(*offsets)[None, :], 0, last)

    peak = spectrogram[frames_at(SPECTRUM_PEAK_FRAMES)].max(axis=1)  # (n, 84)
    rise = peak - spectrogram[frames_at(SPECTRUM_FLOOR_FRAMES)].mean(axis=1)
    centres = band_centres_hz()
    regions = np.column_stack([rise[:, (centres >= low) & (centres < high)].mean(axis=1)
                               for low, high in SPECTRUM_REGIONS])
    upper = centres >= SPECTRUM_REGIONS[1][0]
    fall = (spectrogram[np.clip(frames + SPECTRUM_FALL_FRAME, 0, last)] - peak)[:, upper].mean(axis=1)
    mean_rise = regions.mean(axis=1)
    at = activations[frames]
    return np.column_stack([mean_rise, regions[:, :3] - mean_rise[:, None], fall,
                            at[:, [hit_model.HH, hit_model.CY, hit_model.SD, hit_model.BD]]])


def band_centres_hz() -> np.ndarray:
    """The spectrogram's bands' centre frequencies: (84,) Hz."""
    filterbank = features.log_filterbank()
    bins_hz = np.fft.fftfreq(features.FRAME_LENGTH, 1.0 / features.SAMPLE_RATE)[:len(filterbank)]
    return (filterbank * bins_hz[:, None]).sum(axis=0) / filterbank.sum(axis=0)


def collect(folder: Path) -> dict[str, dict[str, np.ndarray]]:
    """Per split: hi-hat and cymbal hits (features, is hand percussion)."""
    data = {}
    for row in _renders(folder):
        activations, onsets, times, notes = _render_hits(folder, row)
        spectrogram = np.load(folder / f"{row['name']}.analysis.npz")["spectrogram"]
        hits = np.sort(np.concatenate([onsets[hit_model.HH], onsets[hit_model.CY]]))
        is_kit, is_percussion = np.isin(notes, KIT_PIECE_NOTES), np.isin(notes, PERCUSSION_NOTES)
        kit = nearest_label(onsets=hits, times=times[is_kit], notes=notes[is_kit]) >= 0
        percussion = ~kit & (nearest_label(onsets=hits, times=times[is_percussion], notes=notes[is_percussion]) >= 0)
        known = kit | percussion
        split = data.setdefault(row["split"], {"hits": [], "is_percussion": []})
        split["hits"].append(percussion_features(spectrogram=spectrogram, activations=activations, onsets=hits)[known])
        split["is_percussion"].append(percussion[known])
    return {split: {key: np.concatenate(parts) for key, parts in rows.items()} for split, rows in data.items()}


def report(*, model: hit_model.LogisticModel, split: dict[str, np.ndarray], label: str) -> None:
    """Kit pieces kept and hand percussion left out, by `model` and by keeping every hit."""
    percussion = model.decide(split["hits"])[0]
    truth = split["is_percussion"]
    print(f"{label}: kit pieces kept / hand percussion left out")
    print(f"  keep every hit {scores(np.ones(len(truth), bool), ~truth)} / {scores(np.zeros(len(truth), bool), truth)}")
    print(f"  fitted model   {scores(~percussion, ~truth)} / {scores(percussion, truth)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("renders", type=Path, help="renders through General MIDI soundfonts, with --percussion")
    parser.add_argument("--kits", type=Path, required=True, help="renders through recorded kits, with --percussion")
    args = parser.parse_args()
    data = {"soundfonts": collect(args.renders), "kits": collect(args.kits)}
    train = {key: np.concatenate([data[kind]["train"][key] for kind in data]) for key in ("hits", "is_percussion")}
    model = fit(train["hits"], train["is_percussion"], PERCUSSION_FEATURES, both_lanes=True)
    fitted_on = (f"bench/fit_percussion_model.py on Groove's train renders with a percussion part, through soundfonts "
                 f"and recorded kits: {len(train['is_percussion'])} hi-hat and cymbal hits of the network "
                 f"({int(train['is_percussion'].sum())} hand percussion)")
    print(fitted_on)
    print("hand_percussion: " + ", ".join(f"{n} {c:+.2f}" for n, c in zip(model.features, model.coefficients))
          + f", intercept {model.intercept:+.2f}, threshold {model.threshold:.2f}")
    for name in SPLITS:
        for kind, splits in data.items():
            report(model=model, split=splits[name], label=f"{name} ({kind})")
    print("fitted on one kind's train renders, scored on the other kind's validation and test renders:")
    for kind, other in (("soundfonts", "kits"), ("kits", "soundfonts")):
        one_kind = fit(data[kind]["train"]["hits"], data[kind]["train"]["is_percussion"],
                       PERCUSSION_FEATURES, both_lanes=True)
        held_out = {key: np.concatenate([data[other][name][key] for name in ("validation", "test")])
                    for key in ("hits", "is_percussion")}
        report(model=one_kind, split=held_out, label=f"  fitted on {kind}, scored on {other}")


if __name__ == "__main__":
    main()
