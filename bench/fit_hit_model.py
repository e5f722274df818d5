"""Fit the `advanced-features` track's per-hit models on labelled hits and score them.

Run: .venv/bin/python bench/fit_hit_model.py RENDERS --kits KIT_RENDERS [--write]
RENDERS and KIT_RENDERS are bench/groove_renders.py's output folders, without and with --kits
(every drum hit of each render is labelled with its General MIDI note). Each tom hit the
network finds is a tom when a rendered tom hit lies within MATCH_S; each cymbal hit matched to
a rendered ride or crash is labelled so, and each hi-hat hit matched to a rendered open or
closed hi-hat (or pedal) so (an unmatched one is left out). All are fitted on Groove's 'train'
split, the tom and cymbal models on RENDERS and the hi-hat model on KIT_RENDERS (see
hit_model), and scored on every split of both against what the `adtof` track does (keep
every tom hit; crash or ride, open or closed, by decay).
--write stores the models in processing/transcription/adtof/hit_model.json.
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

from processing.audio import decode  # noqa: E402
from processing.transcription.adtof import hit_model, lanes, peaks  # noqa: E402

MATCH_S = 0.05
TOM_NOTES = (41, 43, 45, 47, 48, 50, 58)
RIDE_NOTES = (51, 59, 53)
CRASH_NOTES = (49, 57, 55, 52)  # crashes, splash and china
OPEN_HIHAT_NOTES = (46, 26)
HIHAT_NOTES = (42, 22, 44) + OPEN_HIHAT_NOTES  # closed, pedal and open
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


def render_folders_parser() -> argparse.ArgumentParser:
    """The command line of a fit on both kinds of render: RENDERS --kits KIT_RENDERS."""
    parser = argparse.ArgumentParser()
    parser.add_argument("renders", type=Path, help="renders through General MIDI soundfonts")
    parser.add_argument("--kits", type=Path, required=True, help="renders through recorded kits (--kits)")
    return parser


def _renders(folder: Path) -> list[dict]:
    with open(folder / "index.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _render_hits(folder: Path, row: dict) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, np.ndarray]:
    """(the network's activations, its onsets per class, the rendered hits' times and notes in
    time order) of one render."""
    activations = np.load(folder / f"{row['name']}.analysis.npz")["activations"]
    labels = np.load(folder / f"{row['name']}.labels.npz")
    order = np.argsort(labels["drum_times"])
    return (activations, peaks.pick_onsets(activations=activations), labels["drum_times"][order],
            labels["drum_notes"][order])


def collect(folder: Path) -> dict[str, dict[str, np.ndarray]]:
    """Per split: tom hits (features, is a tom) and cymbal hits (features, is a ride, the rule's
    answer)."""
    data = {}
    for row in _renders(folder):
        activations, onsets, times, notes = _render_hits(folder, row)
        split = data.setdefault(row["split"], {key: [] for key in ("tom", "is_tom", "cymbal", "is_ride", "rule")})
        split["tom"].append(hit_model.tom_features(activations=activations, onsets=onsets[hit_model.TT]))
        is_tom = np.isin(notes, TOM_NOTES)
        split["is_tom"].append(nearest_label(onsets=onsets[hit_model.TT], times=times[is_tom],
                                             notes=notes[is_tom]) >= 0)
        audio = decode(path=folder / f"{row['name']}.flac")
        _, cymbal_db = lanes.band_envelopes_db(samples=audio.samples.T, sample_rate=audio.sample_rate,
                                               bands=[lanes.HIHAT_BAND, lanes.CYMBAL_BAND])
        cymbals = onsets[hit_model.CY]
        is_cymbal = np.isin(notes, RIDE_NOTES + CRASH_NOTES)
        matched = nearest_label(onsets=cymbals, times=times[is_cymbal], notes=notes[is_cymbal])
        known = matched >= 0
        split["cymbal"].append(hit_model.cymbal_features(envelope_db=cymbal_db, activations=activations,
                                                         onsets=cymbals)[known])
        split["is_ride"].append(np.isin(matched[known], RIDE_NOTES))
        split["rule"].append(lanes.ride_by_decay(envelope_db=cymbal_db, onsets=cymbals)[0][known])
    return {split: {key: np.concatenate(parts) for key, parts in rows.items()} for split, rows in data.items()}


def collect_hihats(folder: Path, *, real_tom: hit_model.LogisticModel) -> dict[str, dict[str, np.ndarray]]:
    """Per split: hi-hat hits (features, is open, the decay rule's answer, the kit). The tom
    hits `real_tom` rejects are left out of the onsets first, as the track does."""
    data = {}
    for row in _renders(folder):
        activations, onsets, times, notes = _render_hits(folder, row)
        onsets[hit_model.TT] = hit_model.kept_toms(model=real_tom, activations=activations, toms=onsets[hit_model.TT])
        audio = decode(path=folder / f"{row['name']}.flac")
        envelope, low, high = lanes.band_envelopes_db(samples=audio.samples.T, sample_rate=audio.sample_rate,
                                                      bands=[lanes.HIHAT_BAND, *lanes.HIHAT_TILT_BANDS])
        signals = lanes.hihat_signals(envelope_db=envelope, low_db=low, high_db=high, onsets=onsets)
        hihats = onsets[hit_model.HH]
        is_hihat = np.isin(notes, HIHAT_NOTES)
        matched = nearest_label(onsets=hihats, times=times[is_hihat], notes=notes[is_hihat])
        known = matched >= 0
        split = data.setdefault(row["split"], {key: [] for key in ("hihat", "is_open", "rule", "kit")})
        split["hihat"].append(hit_model.hihat_features(signals=signals, onsets=hihats)[known])
        split["is_open"].append(np.isin(matched[known], OPEN_HIHAT_NOTES))
        split["rule"].append(lanes.hihat_by_decay(signals=signals, onsets=hihats)[0][known])
        split["kit"].append(np.full(int(known.sum()), row["kit"]))
    return {split: {key: np.concatenate(parts) for key, parts in rows.items()} for split, rows in data.items()}


def fit(features: np.ndarray, labels: np.ndarray, names: tuple[str, ...], *,
        both_lanes: bool) -> hit_model.LogisticModel:
    """A logistic regression and the threshold (of THRESHOLDS) with the best F on the
    training hits: of the positive class, or with both_lanes (crash and ride, open and closed
    hi-hat are both lanes) the mean F of both classes."""
    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-9
    regression = LogisticRegression(C=REGULARISATION, max_iter=1000).fit((features - mean) / scale, labels)
    model = hit_model.LogisticModel(features=names, mean=mean, scale=scale, coefficients=regression.coef_[0],
                                    intercept=float(regression.intercept_[0]))
    probability = model.probability(features)

    def score(threshold):
        positive = probability > threshold
        return (f_measure(positive, labels) + f_measure(~positive, ~labels)) / 2 if both_lanes \
            else f_measure(positive, labels)

    return dataclasses.replace(model, threshold=float(max(THRESHOLDS, key=score)))


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
    parser = render_folders_parser()
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    data = {"soundfonts": collect(args.renders), "kits": collect(args.kits)}
    train = data["soundfonts"]["train"]
    tom = fit(train["tom"], train["is_tom"], hit_model.TOM_FEATURES, both_lanes=False)
    ride = fit(train["cymbal"], train["is_ride"], hit_model.CYMBAL_FEATURES, both_lanes=True)
    hihat_data = collect_hihats(args.kits, real_tom=tom)
    hihat_train = hihat_data["train"]
    open_hihat = fit(hihat_train["hihat"], hihat_train["is_open"], hit_model.HIHAT_FEATURES, both_lanes=True)
    fitted_on = (f"bench/fit_hit_model.py on Groove's train renders: {len(train['is_tom'])} tom hits of the network "
                 f"({int(train['is_tom'].sum())} real) and {len(train['is_ride'])} cymbal hits "
                 f"({int(train['is_ride'].sum())} rides) through soundfonts, {len(hihat_train['is_open'])} hi-hat hits "
                 f"({int(hihat_train['is_open'].sum())} open) through recorded kits")
    print(fitted_on)
    for label, model in (("real_tom", tom), ("ride", ride), ("open_hihat", open_hihat)):
        print(f"{label}: " + ", ".join(f"{n} {c:+.2f}" for n, c in zip(model.features, model.coefficients))
              + f", intercept {model.intercept:+.2f}, threshold {model.threshold:.2f}")
    for name in ("train", "validation", "test"):
        for kind, splits in data.items():
            split = splits[name]
            kept, is_ride = tom.decide(split["tom"])[0], ride.decide(split["cymbal"])[0]
            print(f"{name} ({kind}): tom hits kept")
            print(f"  all (adtof)    {scores(np.ones(len(split['is_tom']), bool), split['is_tom'])}")
            print(f"  fitted model   {scores(kept, split['is_tom'])}")
            print(f"{name} ({kind}): rides / crashes")
            print(f"  decay rule     {scores(split['rule'], split['is_ride'])} / {scores(~split['rule'], ~split['is_ride'])}")
            print(f"  fitted model   {scores(is_ride, split['is_ride'])} / {scores(~is_ride, ~split['is_ride'])}")
        hihats = hihat_data[name]
        is_open = open_hihat.decide(hihats["hihat"])[0]
        print(f"{name} (kits): open / closed hi-hats")
        print(f"  decay rule     {scores(hihats['rule'], hihats['is_open'])} / {scores(~hihats['rule'], ~hihats['is_open'])}")
        print(f"  fitted model   {scores(is_open, hihats['is_open'])} / {scores(~is_open, ~hihats['is_open'])}")
    print("open / closed hi-hats on each kit's validation and test renders, fitted on the other kits' train renders:")
    for kit in np.unique(hihat_train["kit"]):
        others = hihat_train["kit"] != kit
        model = fit(hihat_train["hihat"][others], hihat_train["is_open"][others], hit_model.HIHAT_FEATURES,
                    both_lanes=True)
        held_out = {key: np.concatenate([hihat_data[name][key][hihat_data[name]["kit"] == kit]
                                         for name in ("validation", "test")]) for key in ("hihat", "is_open", "rule")}
        is_open = model.decide(held_out["hihat"])[0]
        print(f"  {kit}")
        print(f"    decay rule   {scores(held_out['rule'], held_out['is_open'])} / "
              f"{scores(~held_out['rule'], ~held_out['is_open'])}")
        print(f"    fitted model {scores(is_open, held_out['is_open'])} / {scores(~is_open, ~held_out['is_open'])}")
    if args.write:
        hit_model.MODEL_FILE.write_text(json.dumps(
            {"fitted_on": fitted_on, "real_tom": tom.as_json(), "ride": ride.as_json(),
             "open_hihat": open_hihat.as_json()}, indent=1) + "\n")


if __name__ == "__main__":
    main()
