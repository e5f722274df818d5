"""Choose tom_fills' constants on labelled hits, and score the fill strokes.

Run: .venv/bin/python bench/fit_tom_fills.py RENDERS --kits KIT_RENDERS
RENDERS and KIT_RENDERS are bench/groove_renders.py's output folders, without and with --kits.
The tom hits are the ones the `advanced-features` track picks and its fitted tom model keeps,
then those with the fill strokes (tom_fills.with_fill_strokes) for each combination of
THRESHOLDS, MAX_GAPS_S and MIN_STROKES, scored against the rendered toms (F at MATCH_S, pooled
over the renders). The combination with the best F on Groove's train split of both kinds pooled
is printed first; then every split's F, for the picked hits and each combination. The
development songs are not used.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fit_hit_model import MATCH_S, TOM_NOTES, _render_hits, _renders, render_folders_parser  # noqa: E402
from processing.evaluation import Counts, count_matches  # noqa: E402
from processing.transcription.adtof import hit_model, tom_fills  # noqa: E402

THRESHOLDS = (0.08, 0.12, 0.16, 0.20)
MAX_GAPS_S = (0.15, 0.2, 0.3)
MIN_STROKES = (3, 4, 5)
SPLITS = ("train", "validation", "test")
COMBINATIONS = list(itertools.product(THRESHOLDS, MAX_GAPS_S, MIN_STROKES))


def collect(folder: Path, *, real_tom: hit_model.LogisticModel) -> dict[str, list[Counts]]:
    """Per split, the tom counts summed over the renders: [0] the kept tom hits alone, [i + 1]
    with the fill strokes of COMBINATIONS[i]."""
    totals = {split: [Counts(0, 0, 0)] * (len(COMBINATIONS) + 1) for split in SPLITS}
    for row in _renders(folder):
        activations, onsets, times, notes = _render_hits(folder, row)
        toms = hit_model.kept_toms(model=real_tom, activations=activations, toms=onsets[hit_model.TT])
        references = np.sort(times[np.isin(notes, TOM_NOTES)])
        total = totals[row["split"]]
        total[0] += count_matches(reference=references, estimate=toms, window_s=MATCH_S)
        for index, (threshold, max_gap_s, min_strokes) in enumerate(COMBINATIONS):
            with_fills = tom_fills.with_fill_strokes(toms=toms, activations=activations, threshold=threshold,
                                                     max_gap_s=max_gap_s, min_strokes=min_strokes)
            total[index + 1] += count_matches(reference=references, estimate=with_fills, window_s=MATCH_S)
    return totals


def main() -> None:
    args = render_folders_parser().parse_args()
    real_tom = hit_model.load_hit_models().real_tom
    data = {"soundfonts": collect(args.renders, real_tom=real_tom), "kits": collect(args.kits, real_tom=real_tom)}
    train = [sum(counts, Counts(0, 0, 0)) for counts in zip(*(kind["train"] for kind in data.values()))]
    best = int(np.argmax([counts.f_measure for counts in train[1:]]))
    shipped = (tom_fills.FILL_THRESHOLD, tom_fills.FILL_MAX_GAP_S, tom_fills.FILL_MIN_STROKES)
    print(f"chosen on train (both kinds): threshold, max gap, strokes = {COMBINATIONS[best]}; shipped {shipped}; "
          f"train F pooled {train[0].f_measure:.4f} -> {train[best + 1].f_measure:.4f}\n")
    print(f"{'combination':22}" + "".join(f"{kind[:5] + ' ' + split[:5]:>13}" for kind in data for split in SPLITS))
    rows = [("picked", 0)] + [(str(combination), index + 1) for index, combination in enumerate(COMBINATIONS)]
    for label, index in rows:
        print(f"{label:22}" + "".join(f"{data[kind][split][index].f_measure:>13.3f}"
                                      for kind in data for split in SPLITS))


if __name__ == "__main__":
    main()
