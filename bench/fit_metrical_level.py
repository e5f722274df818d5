"""Fit processing.rhythm.metrical_level's weights on Groove renders, and score its choice.

Run: .venv/bin/python bench/fit_metrical_level.py RENDERS [KIT_RENDERS ...]
     (folders of bench/groove_renders.py, e.g. /work/renders and /work/renders-kits)

Training groups, from the train renders in 4/4 (popular styles): the true beat grid against
its four relatives (double, the two halves, shifted half a beat), and the tracker's grid
against its relatives, labelled with the one nearest the true beats (where one reaches beat
F 0.8). The weights are a conditional logit's, with an L2 penalty on the standardised
features; the penalty and the switching margin are chosen for the best mean beat F on the
validation renders, ties broken by the train renders' beat F. Prints, per split, beat F of the tracked grids and of the chosen ones,
and the weights to paste into metrical_level.WEIGHTS and SWITCH_MARGIN.
"""

import argparse
import sys
from pathlib import Path

import mir_eval
import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.groove_renders import popular_renders  # noqa: E402
from processing.rhythm import drum_tempo, metrical_level  # noqa: E402

PENALTIES = (0.1, 0.3, 1.0, 3.0)
MARGINS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
# A tracked grid trains the model only where one of its candidates is near the true beats.
MIN_LABEL_BEAT_F = 0.8
SPLITS = ("train", "validation", "test")
FRAME_RATE = metrical_level.FRAME_RATE
EPSILON = 1e-9


def render_groups(folder: Path) -> list[dict]:
    """Per render (popular styles): split, name, the candidates' features built from the true
    beats and from the tracked beats, each tracked candidate's beat F, and whether the tracked
    beats repeat in four (metrical_level.choose_level considers only those)."""
    groups = []
    for render in popular_renders(folder):
        analysis = np.load(folder / f"{render['name']}.analysis.npz")
        true_beats = np.load(folder / f"{render['name']}.labels.npz")["beats"]
        activations = analysis["activations"]
        tracked = drum_tempo.track_drum_beats(drum_activations=activations, spectrogram=analysis["spectrogram"])
        grids = metrical_level.candidate_grids(beat_times=tracked, duration_s=len(activations) / FRAME_RATE)
        groups.append({
            "split": render["split"], "name": f"{folder.name}/{render['name']}", "four": render["meter"] == "4-4",
            "true": metrical_level.candidate_features(beat_times=true_beats, drum_activations=activations),
            "tracked": metrical_level.candidate_features(beat_times=tracked, drum_activations=activations),
            "beat_f": np.array([mir_eval.beat.f_measure(true_beats, grid) for grid in grids]),
            "tracked_in_four": metrical_level.repeats_in_four(beat_times=tracked, drum_activations=activations),
        })
    return groups


def fit(groups: list[dict], *, penalty: float) -> np.ndarray:
    """Weights in nats per unit of each feature (metrical_level.FEATURES)."""
    features, labels = [], []
    for group in groups:
        features.append(group["true"])
        labels.append(0)
        if group["beat_f"].max() >= MIN_LABEL_BEAT_F:
            features.append(group["tracked"])
            labels.append(int(np.argmax(group["beat_f"])))
    features, labels = np.array(features), np.array(labels)
    flat = features.reshape(-1, features.shape[-1])
    mean, scale = flat.mean(axis=0), flat.std(axis=0) + EPSILON
    standard = (features - mean) / scale

    def loss(weights):
        scores = standard @ weights
        scores -= scores.max(axis=1, keepdims=True)
        chosen = scores[np.arange(len(labels)), labels] - np.log(np.exp(scores).sum(axis=1))
        return -chosen.sum() + penalty * weights @ weights

    return minimize(loss, np.zeros(standard.shape[-1]), method="L-BFGS-B").x / scale


def chosen(group: dict, *, weights: np.ndarray, margin: float) -> int:
    """The candidate metrical_level.choose_level would take with these weights and margin."""
    if not group["tracked_in_four"]:
        return 0
    return metrical_level.chosen_candidate(scores=group["tracked"] @ weights, margin=margin)


def mean_beat_f(groups: list[dict], *, weights: np.ndarray, margin: float) -> float:
    return float(np.mean([group["beat_f"][chosen(group, weights=weights, margin=margin)] for group in groups]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("renders", type=Path, nargs="+", help="folders of bench/groove_renders.py")
    args = parser.parse_args()
    groups = [group for folder in args.renders for group in render_groups(folder)]
    train = [group for group in groups if group["split"] == "train" and group["four"]]
    validation = [group for group in groups if group["split"] == "validation"]
    # Ties on validation go to the better train beat F, then to the stronger penalty and the
    # larger margin (fewer grids change).
    fits = {penalty: fit(train, penalty=penalty) for penalty in PENALTIES}
    results = sorted(((mean_beat_f(validation, weights=fits[penalty], margin=margin),
                       mean_beat_f(train, weights=fits[penalty], margin=margin), penalty, margin)
                      for penalty in PENALTIES for margin in MARGINS),
                     key=lambda row: (round(row[0], 6), round(row[1], 6), row[2], row[3]))
    for validation_f, train_f, penalty, margin in results:
        print(f"L2 {penalty:<5} margin {margin:<5} validation beat F {validation_f:.4f}, train {train_f:.4f}")
    _, _, penalty, margin = results[-1]
    weights = fits[penalty]
    print(f"\nchosen: L2 {penalty}, margin {margin}\n")
    print(f"{'renders':<36}{'n':>4}{'tracked beat F':>16}{'chosen beat F':>15}")
    for folder in args.renders:
        for split in SPLITS:
            subset = [group for group in groups if group["split"] == split and group["name"].startswith(f"{folder.name}/")]
            before = np.mean([group["beat_f"][0] for group in subset])
            print(f"{folder.name + ' ' + split:<36}{len(subset):>4}{before:>16.3f}"
                  f"{mean_beat_f(subset, weights=weights, margin=margin):>15.3f}")
    for group in groups:
        choice = chosen(group, weights=weights, margin=margin)
        if choice:
            print(f"  {group['split']:<11}{group['name']:<44}{metrical_level.CANDIDATES[choice]:<22}"
                  f"beat F {group['beat_f'][0]:.3f} -> {group['beat_f'][choice]:.3f}")
    print("\nWEIGHTS = np.array([" + ", ".join(f"{weight:.4f}" for weight in weights) + "])")
    print(f"SWITCH_MARGIN = {margin}")


if __name__ == "__main__":
    main()
