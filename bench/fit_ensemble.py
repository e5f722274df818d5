"""Fit the `ensemble` track's fusion of the Frame_RNN with the CRNN folds, and score it.

Run: .venv/bin/python bench/fit_ensemble.py RENDERS [--model-dir DIR] [--cache DIR]
RENDERS is bench/groove_renders.py's output folder: each NAME.flac has NAME.labels.npz (every
drum hit's time and General MIDI note) and NAME.analysis.npz (the ADTOF spectrogram and the
Frame_RNN's activations). The CRNN folds' activations are computed from that spectrogram and
kept in --cache, so a second run only fits.

Per class, every (Frame_RNN weight, threshold) pair of WEIGHTS x THRESHOLDS is scored by its
onset F (50 ms, hits pooled over the renders) on Groove's 'train' split, with the tom hits
passed through the fitted tom model as the track does. Two fusions are fitted: both the
weight and the threshold, or the weight alone with peaks.THRESHOLDS; the one with the better
pooled F on the 'validation' split is printed as the constants for ensemble.py. Every
candidate is reported on 'validation' and 'test' against `adtof`, `advanced-features`, the
CRNN alone and the thresholds fitted on the Frame_RNN alone (the fusion's share of a gain).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import mir_eval
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from processing.transcription.adtof import crnn, hit_model, peaks  # noqa: E402
from processing.transcription.adtof.ensemble import fuse, load_crnn  # noqa: E402
from processing.transcription.adtof.network import CLASSES  # noqa: E402
from processing.weights import ADTOF_CRNN, ensure_model  # noqa: E402

WINDOW_S = 0.05
# General MIDI notes of each class, order BD, SD, TT, HH, CY.
CLASS_NOTES = (
    (35, 36),
    (37, 38, 40),
    (41, 43, 45, 47, 48, 50, 58),
    (42, 22, 44, 46, 26),
    (49, 57, 55, 52, 51, 59, 53),
)
WEIGHTS = np.round(np.linspace(0.0, 1.0, 21), 2)  # the Frame_RNN's weight; the CRNN mean has 1 - weight
THRESHOLDS = np.round(np.arange(0.10, 0.51, 0.02), 2)


def load_split(*, folder: Path, split: str, cache: Path, model_dir: Path) -> list[dict]:
    """The renders of `split`: Frame_RNN and CRNN activations (frames, 5) and reference onsets
    per class (s)."""
    renders = []
    for row in csv.DictReader(open(folder / "index.csv")):
        if row["split"] != split:
            continue
        analysis = np.load(folder / f"{row['name']}.analysis.npz")
        cached = cache / f"{row['name']}.crnn.npy"
        if not cached.exists():
            network = load_crnn(str(ensure_model(spec=ADTOF_CRNN, model_dir=model_dir)))
            np.save(cached, network.activations(features=crnn.input_features(spectrogram=analysis["spectrogram"])))
        labels = np.load(folder / f"{row['name']}.labels.npz")
        references = [np.sort(labels["drum_times"][np.isin(labels["drum_notes"], notes)]) for notes in CLASS_NOTES]
        renders.append({"frame_rnn": analysis["activations"], "crnn": np.load(cached), "references": references})
    return renders


def class_onsets(*, render: dict, k: int, weights: tuple[float, ...], threshold: float, real_tom) -> np.ndarray:
    """Class k's onsets (s) on the fused activations; toms through the tom model as in the track
    (it reads the fused kick and snare too)."""
    fused = fuse(frame_rnn=render["frame_rnn"], crnn=render["crnn"], weights=weights)
    onsets = peaks.pick_frames(activation=fused[:, k], threshold=threshold) / peaks.FRAME_RATE
    if k == hit_model.TT and real_tom is not None:
        onsets = hit_model.kept_toms(model=real_tom, activations=fused, toms=onsets)
    return onsets


def counts(*, renders: list[dict], k: int, weights: tuple[float, ...], threshold: float, real_tom) -> np.ndarray:
    """(references, estimates, matched) of class k pooled over `renders`."""
    total = np.zeros(3, dtype=int)
    for render in renders:
        reference = render["references"][k]
        estimate = class_onsets(render=render, k=k, weights=weights, threshold=threshold, real_tom=real_tom)
        matched = len(mir_eval.util.match_events(reference, estimate, WINDOW_S)) \
            if reference.size and estimate.size else 0
        total += (reference.size, estimate.size, matched)
    return total


def f_measure(total: np.ndarray) -> float:
    references, estimates, matched = total
    return 2.0 * matched / (references + estimates) if references + estimates else 0.0


def fit(*, renders: list[dict], real_tom, weights_tried: tuple[float, ...],
        fit_thresholds: bool) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per class, the (weight of `weights_tried`, threshold of THRESHOLDS or peaks.THRESHOLDS')
    with the best F on `renders` (first best on ties: the lowest Frame_RNN weight, the lowest
    threshold). Toms come last: the tom model reads the
    kick and snare activations, fused with their fitted weights."""
    weights, thresholds = [1.0] * len(CLASSES), list(peaks.THRESHOLDS)
    for k in (*(k for k in range(len(CLASSES)) if k != hit_model.TT), hit_model.TT):
        candidates = THRESHOLDS if fit_thresholds else (peaks.THRESHOLDS[k],)
        scored = []
        for w in weights_tried:
            trial = tuple(weights[:k] + [w] + weights[k + 1:])
            scored += [(f_measure(counts(renders=renders, k=k, weights=trial, threshold=t, real_tom=real_tom)), w, t)
                       for t in candidates]
        _, weights[k], thresholds[k] = max(scored, key=lambda item: item[0])
    return tuple(float(w) for w in weights), tuple(float(t) for t in thresholds)


def report(*, renders: list[dict], weights, thresholds, real_tom) -> tuple[list[float], float]:
    """F per class and pooled over classes on `renders`."""
    totals = [counts(renders=renders, k=k, weights=weights, threshold=thresholds[k], real_tom=real_tom)
              for k in range(len(CLASSES))]
    return [f_measure(total) for total in totals], f_measure(np.sum(totals, axis=0))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("renders", type=Path)
    parser.add_argument("--model-dir", type=Path, default=ROOT.parent / "shared" / "models")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fit_ensemble_crnn"))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    splits = {split: load_split(folder=args.renders, split=split, cache=args.cache, model_dir=args.model_dir)
              for split in ("train", "validation", "test")}
    real_tom = hit_model.load_hit_models().real_tom
    frame_rnn_only = (1.0,) * len(CLASSES)
    crnn_only = (0.0,) * len(CLASSES)
    candidates = {
        "adtof (Frame_RNN, no tom model)": (frame_rnn_only, peaks.THRESHOLDS, None),
        "advanced-features (Frame_RNN + tom model)": (frame_rnn_only, peaks.THRESHOLDS, real_tom),
        "CRNN folds' mean alone, peaks.THRESHOLDS": (crnn_only, peaks.THRESHOLDS, None),
        "fitted weights, peaks.THRESHOLDS": (*fit(renders=splits["train"], real_tom=real_tom, weights_tried=WEIGHTS,
                                                  fit_thresholds=False), real_tom),
        # what fitting the thresholds alone gives, to tell the fusion's share
        "Frame_RNN alone, fitted thresholds": (*fit(renders=splits["train"], real_tom=real_tom, weights_tried=(1.0,),
                                                    fit_thresholds=True), real_tom),
        "fitted weights and thresholds": (*fit(renders=splits["train"], real_tom=real_tom, weights_tried=WEIGHTS,
                                               fit_thresholds=True), real_tom),
    }
    print(f"renders: {', '.join(f'{split} {len(renders)}' for split, renders in splits.items())}; F at 50 ms, "
          f"hits pooled over renders\n")
    print(f"{'candidate':44} {'split':10} " + " ".join(f"{name:>6}" for name in CLASSES) + "  pooled")
    pooled_on_validation = {}
    for name, (weights, thresholds, model) in candidates.items():
        for split in ("validation", "test"):
            per_class, pooled = report(renders=splits[split], weights=weights, thresholds=thresholds, real_tom=model)
            print(f"{name:44} {split:10} " + " ".join(f"{f:6.3f}" for f in per_class) + f"  {pooled:.3f}")
            if split == "validation":
                pooled_on_validation[name] = pooled
        print(f"{'':44} weights {weights} thresholds {tuple(thresholds)}")
    chosen = max(("fitted weights, peaks.THRESHOLDS", "fitted weights and thresholds"), key=pooled_on_validation.get)
    weights, thresholds, _ = candidates[chosen]
    print(f"\nchosen on validation: {chosen}\nFRAME_RNN_WEIGHTS = {weights}\nTHRESHOLDS = {tuple(thresholds)}")


if __name__ == "__main__":
    main()
