"""The tempo map through a drumless break: Groove renders with the drums' activations
silenced over the middle third of their labelled span.

Run: .venv/bin/python bench/drumless_breaks.py RENDERS [RENDERS ...]
RENDERS are bench/groove_renders.py's output folders; every split's popular-style 4/4
renders are scored. Only the beat tracker is deprived of the drums: the spectrogram keeps
them, so the downbeat cues are as in the render. Beat F and downbeat F (mir_eval, 70 ms) are
scored within the labels' span (bench/beats.py's within_labels), per render and as a mean.
"""

import argparse
import sys
from pathlib import Path

import mir_eval
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.beats import within_labels  # noqa: E402
from bench.groove_renders import popular_renders  # noqa: E402
from processing import rhythm  # noqa: E402
from processing.rhythm.drum_tempo import FRAME_RATE  # noqa: E402

METER = "4-4"
BREAK_SPAN = (1 / 3, 2 / 3)  # of the labelled span, silenced


def silence_break(*, activations: np.ndarray, reference_beats: np.ndarray) -> np.ndarray:
    """`activations` ((n_frames, 5)) with the frames in BREAK_SPAN of the labelled span zeroed."""
    first, last = reference_beats[0] * FRAME_RATE, reference_beats[-1] * FRAME_RATE
    start, end = (int(first + share * (last - first)) for share in BREAK_SPAN)
    silenced = activations.copy()
    silenced[start:end] = 0.0
    return silenced


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("renders", type=Path, nargs="+", help="bench/groove_renders.py output folders")
    args = parser.parse_args()
    for folder in args.renders:
        rows = []
        for render in popular_renders(folder):
            if render["meter"] != METER:
                continue
            analysis = np.load(folder / f"{render['name']}.analysis.npz")
            labels = np.load(folder / f"{render['name']}.labels.npz")
            beats = labels["beats"]
            tempo_map = rhythm.drum_tempo_map(
                drum_activations=silence_break(activations=analysis["activations"], reference_beats=beats),
                spectrogram=analysis["spectrogram"])
            row = (mir_eval.beat.f_measure(beats, within_labels(times=tempo_map.beat_times, reference_beats=beats)),
                   mir_eval.beat.f_measure(beats[labels["downbeats"]],
                                           within_labels(times=tempo_map.bar_line_times(), reference_beats=beats)))
            print(f"{folder.name:<16}{render['name']:<32}{row[0]:>8.3f}{row[1]:>12.3f}", flush=True)
            rows.append(row)
        beat_f, downbeat_f = np.mean(rows, axis=0)
        print(f"{folder.name:<16}{'mean of ' + str(len(rows)):<32}{beat_f:>8.3f}{downbeat_f:>12.3f}")


if __name__ == "__main__":
    main()
