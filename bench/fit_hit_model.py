"""Fit the `advanced-features` track's per-hit tom model on labelled hits and score it.

Run: .venv/bin/python bench/fit_hit_model.py RENDERS [--write]
RENDERS is bench/groove_renders.py's output folder (every drum hit of each render is labelled
with its General MIDI note). Each tom hit the network finds is a tom when a rendered tom hit
lies within MATCH_S. Fitted on the renders of Groove's 'train' split, scored on 'test'
against keeping every tom hit (the `adtof` track). --write stores the model in
processing/transcription/adtof/hit_model.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import csv
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from processing.transcription.adtof import hit_model, peaks  # noqa: E402

MATCH_S = 0.05
TOM_NOTES = (41, 43, 45, 47, 48, 50, 58)
REGULARISATION = 1.0  # sklearn's C
THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.05), 2)  # decision thresholds tried on P(positive)


def nearest_label(*, onsets: np.ndarray, times: np.ndarray, notes: np.ndarray) -> np.ndarray:
    """For each onset, the note of the nearest labelled hit within MATCH_S, else -1."""
    if times.size == 0:
        return np.full(len(onsets), -1)
    index = np.clip(np.searchsorted(times, onsets), 1, len(times) - 1) if len(times) > 1 else np.zeros(len(onsets), int)
    best = np.where(np.abs(times[index - 1] - onsets) < np.abs(times[index] - onsets), index - 1, index) \
        if len(times) > 1 else index
    return np.where(np.abs(times[best] - onsets) <= MATCH_S, notes[best], -1)


def collect(folder: Path) -> dict[str, dict[str, np.ndarray]]:
    """Per split: the tom hits' features and whether each is a real tom."""
    data = {}
    for row in csv.DictReader(open(folder / "index.csv")):
        activations = np.load(folder / f"{row['name']}.analysis.npz")["activations"]
        labels = np.load(folder / f"{row['name']}.labels.npz")
        order = np.argsort(labels["drum_times"])
        times, notes = labels["drum_times"][order], labels["drum_notes"][order]
        toms = peaks.pick_onsets(activations=activations)[hit_model.TT]
        split = data.setdefault(row["split"], {"features": [], "is_tom": []})
        split["features"].append(hit_model.tom_features(activations=activations, onsets=toms))
        is_tom = np.isin(notes, TOM_NOTES)
        split["is_tom"].append(nearest_label(onsets=toms, times=times[is_tom], notes=notes[is_tom]) >= 0)
    return {split: {key: np.concatenate(parts) for key, parts in rows.items()} for split, rows in data.items()}


def fit(features: np.ndarray, labels: np.ndarray, names: tuple[str, ...]) -> hit_model.LogisticModel:
    """A logistic regression and the threshold (of THRESHOLDS) with the best F of the
    positive class on the training hits."""
    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-9
    regression = LogisticRegression(C=REGULARISATION, max_iter=1000).fit((features - mean) / scale, labels)
    model = hit_model.LogisticModel(features=names, mean=mean, scale=scale, coefficients=regression.coef_[0],
                                    intercept=float(regression.intercept_[0]))
    probability = model.probability(features)

    best = max(THRESHOLDS, key=lambda threshold: f_measure(probability > threshold, labels))
    return dataclasses.replace(model, threshold=float(best))


def f_measure(predicted: np.ndarray, truth: np.ndarray) -> float:
    tp = float(np.sum(predicted & truth))
    return 2 * tp / max(float(predicted.sum() + truth.sum()), 1.0)


def scores(predicted: np.ndarray, truth: np.ndarray) -> str:
    tp = int(np.sum(predicted & truth))
    precision = tp / max(int(predicted.sum()), 1)
    recall = tp / max(int(truth.sum()), 1)
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f"predicted {int(predicted.sum()):>5} true {int(truth.sum()):>5} P {precision:.3f} R {recall:.3f} F {f:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("renders", type=Path)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    data = collect(args.renders)
    train = data["train"]
    model = fit(train["features"], train["is_tom"], hit_model.TOM_FEATURES)
    print(f"fitted on train: {len(train['is_tom'])} tom hits of the network, {int(train['is_tom'].sum())} real")
    print(", ".join(f"{n} {c:+.2f}" for n, c in zip(model.features, model.coefficients))
          + f", intercept {model.intercept:+.2f}, threshold {model.threshold:.2f}")
    for name in ("train", "validation", "test"):
        split = data[name]
        print(f"{name}: tom hits kept")
        print(f"  all (adtof)    {scores(np.ones(len(split['is_tom']), bool), split['is_tom'])}")
        print(f"  fitted model   {scores(model.decide(split['features'])[0], split['is_tom'])}")
    if args.write:
        hit_model.MODEL_FILE.write_text(json.dumps(
            {"fitted_on": f"bench/fit_hit_model.py on the Groove train renders: {len(train['is_tom'])} tom hits",
             "real_tom": model.as_json()}, indent=1) + "\n")


if __name__ == "__main__":
    main()
