"""Choose tom_pattern.CANDIDATE_THRESHOLD on labelled tom hits, and score the repeats it adds.

Run: .venv/bin/python bench/fit_tom_pattern.py RENDERS --kits KIT_RENDERS
RENDERS and KIT_RENDERS are bench/groove_renders.py's output folders, without and with --kits.
The tom hits are the ones the `advanced-features` track keeps (the network's tom onsets that
the fitted tom model calls toms), then those and the weaker peaks that repeat the render's tom
figure (tom_pattern.repeated_toms) at each threshold of THRESHOLDS. Both are scored against
the rendered toms (F at MATCH_S, pooled over the renders). The threshold with the best F on
Groove's train split of both kinds pooled is printed, with every split's F beside the kept hits'
alone. The development songs are not used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import mir_eval
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fit_hit_model import MATCH_S, TOM_NOTES, _render_hits, _renders  # noqa: E402
from processing.transcription.adtof import hit_model, tom_pattern  # noqa: E402

THRESHOLDS = (0.08, 0.12, 0.16, 0.20, 0.24, 0.28)
SPLITS = ("train", "validation", "test")


def counts(*, estimates: np.ndarray, references: np.ndarray) -> np.ndarray:
    """(true positives, estimates, references) of one render's tom hits."""
    matched = mir_eval.util.match_events(references, estimates, MATCH_S) if estimates.size and references.size else []
    return np.array([len(matched), estimates.size, references.size])


def collect(folder: Path, *, real_tom: hit_model.LogisticModel) -> dict[str, np.ndarray]:
    """Per split, counts (true positives, estimates, references) summed over the renders: row 0
    the kept tom hits alone, row i + 1 with the repeats at THRESHOLDS[i]; and how many renders
    had a tom figure."""
    totals = {split: np.zeros((len(THRESHOLDS) + 1, 3), dtype=int) for split in SPLITS}
    figures = dict.fromkeys(SPLITS, 0)
    for row in _renders(folder):
        activations, onsets, times, notes = _render_hits(folder, row)
        toms = onsets[hit_model.TT]
        kept = toms[real_tom.decide(hit_model.tom_features(activations=activations, onsets=toms))[0]]
        references = np.sort(times[np.isin(notes, TOM_NOTES)])
        totals[row["split"]][0] += counts(estimates=kept, references=references)
        for index, threshold in enumerate(THRESHOLDS):
            repeats, _ = tom_pattern.repeated_toms(activation=activations[:, hit_model.TT], tom_times=kept,
                                                   candidate_threshold=threshold)
            totals[row["split"]][index + 1] += counts(estimates=np.sort(np.concatenate([kept, repeats])),
                                                      references=references)
        figures[row["split"]] += tom_pattern.figure_period_s(tom_times=kept) is not None
    return {"totals": totals, "figures": figures}


def f_measure(row: np.ndarray) -> float:
    true_positives, estimates, references = row
    return 2 * true_positives / max(estimates + references, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("renders", type=Path, help="renders through General MIDI soundfonts")
    parser.add_argument("--kits", type=Path, required=True, help="renders through recorded kits (--kits)")
    args = parser.parse_args()
    real_tom = hit_model.load_hit_models().real_tom
    data = {"soundfonts": collect(args.renders, real_tom=real_tom), "kits": collect(args.kits, real_tom=real_tom)}
    train = sum(kind["totals"]["train"] for kind in data.values())
    best = 1 + int(np.argmax([f_measure(row) for row in train[1:]]))
    print("train F, both kinds pooled: kept " + f"{f_measure(train[0]):.4f}; "
          + ", ".join(f"{threshold:.2f} {f_measure(row):.4f}" for threshold, row in zip(THRESHOLDS, train[1:])))
    print(f"chosen on train (both kinds): {THRESHOLDS[best - 1]:.2f}; shipped: {tom_pattern.CANDIDATE_THRESHOLD:.2f}")
    print("tom hit F: kept hits -> with the repeats at each threshold (+ true positives / + hits)")
    print(f"{'':32}{'kept':>8}" + "".join(f"{threshold:>18.2f}" for threshold in THRESHOLDS))
    for kind, kind_data in data.items():
        for split in SPLITS:
            rows = kind_data["totals"][split]
            line = f"{kind} {split} ({kind_data['figures'][split]} fig.)"
            line = f"{line:32}{f_measure(rows[0]):>8.3f}"
            for row in rows[1:]:
                line += f"{f_measure(row):>8.3f} +{row[0] - rows[0][0]:>3} /+{row[1] - rows[0][1]:>3}"
            print(line)


if __name__ == "__main__":
    main()
