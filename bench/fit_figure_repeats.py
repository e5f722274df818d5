"""Choose figure_repeats.CANDIDATE_THRESHOLDS per class on labelled hits, and score the repeats.

Run: .venv/bin/python bench/fit_figure_repeats.py RENDERS --kits KIT_RENDERS
RENDERS and KIT_RENDERS are bench/groove_renders.py's output folders, without and with --kits.
Per network class, the hits are the ones the `advanced-features` track picks (for toms, those
the fitted tom model keeps), then those and the weaker peaks that repeat the render's figure of
that class (figure_repeats.repeated_peaks) at each threshold of THRESHOLDS. Both are scored
against the rendered notes of the class (F at MATCH_S, pooled over the renders). Per class, the
threshold with the best F on Groove's train split of both kinds pooled is printed, and every
split's F beside the picked hits' alone. The development songs are not used.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fit_hit_model import (CRASH_NOTES, HIHAT_NOTES, MATCH_S, RIDE_NOTES, TOM_NOTES,  # noqa: E402
                                 _render_hits, _renders, render_folders_parser)
from processing.evaluation import Counts, count_matches  # noqa: E402
from processing.transcription.adtof import figure_repeats, hit_model  # noqa: E402

THRESHOLDS = (0.02, 0.04, 0.06, 0.08, 0.12, 0.16, 0.20, 0.24)
SPLITS = ("train", "validation", "test")
CLASS_NOTES = {
    "BD": (hit_model.BD, (35, 36)),
    "SD": (hit_model.SD, (37, 38, 40)),
    "TT": (hit_model.TT, TOM_NOTES),
    "HH": (hit_model.HH, HIHAT_NOTES),
    "CY": (hit_model.CY, RIDE_NOTES + CRASH_NOTES),
}


def collect(folder: Path, *, real_tom: hit_model.LogisticModel) -> dict[tuple[str, str], list[Counts]]:
    """Per (class, split), the counts summed over the renders: [0] the picked hits alone,
    [i + 1] with the repeats at THRESHOLDS[i]."""
    totals = {(name, split): [Counts(0, 0, 0)] * (len(THRESHOLDS) + 1) for name in CLASS_NOTES for split in SPLITS}
    for row in _renders(folder):
        activations, onsets, times, notes = _render_hits(folder, row)
        onsets[hit_model.TT] = hit_model.kept_toms(model=real_tom, activations=activations, toms=onsets[hit_model.TT])
        for name, (k, class_notes) in CLASS_NOTES.items():
            references = np.sort(times[np.isin(notes, class_notes)])
            total = totals[name, row["split"]]
            total[0] += count_matches(reference=references, estimate=onsets[k], window_s=MATCH_S)
            for index, threshold in enumerate(THRESHOLDS):
                repeats, _ = figure_repeats.repeated_peaks(activation=activations[:, k], times=onsets[k],
                                                           candidate_threshold=threshold)
                total[index + 1] += count_matches(reference=references, estimate=np.concatenate([onsets[k], repeats]),
                                                  window_s=MATCH_S)
    return totals


def main() -> None:
    args = render_folders_parser().parse_args()
    real_tom = hit_model.load_hit_models().real_tom
    data = {"soundfonts": collect(args.renders, real_tom=real_tom), "kits": collect(args.kits, real_tom=real_tom)}
    print("F of the picked hits -> with the repeats at each threshold (+ true positives / + hits)")
    for name, (k, _) in CLASS_NOTES.items():
        train = [sum(counts, Counts(0, 0, 0)) for counts in zip(*(kind[name, "train"] for kind in data.values()))]
        scores = [counts.f_measure for counts in train[1:]]
        best = int(np.argmax(scores))
        shipped = figure_repeats.CANDIDATE_THRESHOLDS.get(k)
        print(f"\n{name}: chosen on train (both kinds) {THRESHOLDS[best]:.2f}, shipped {shipped}; train F pooled: "
              f"picked {train[0].f_measure:.4f}, " + ", ".join(
                  f"{threshold:.2f} {score:.4f}" for threshold, score in zip(THRESHOLDS, scores)))
        print(f"{'':24}{'picked':>8}" + "".join(f"{threshold:>18.2f}" for threshold in THRESHOLDS))
        for kind, totals in data.items():
            for split in SPLITS:
                picked, *with_repeats = totals[name, split]
                line = f"{kind + ' ' + split:24}{picked.f_measure:>8.3f}"
                for counts in with_repeats:
                    line += (f"{counts.f_measure:>8.3f} +{counts.tp - picked.tp:>3} "
                             f"/+{counts.tp + counts.fp - picked.tp - picked.fp:>3}")
                print(line)


if __name__ == "__main__":
    main()
