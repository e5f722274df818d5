"""How fast each registered track transcribes a 4-minute song once it is loaded.

Run: .venv/bin/python bench/track_speed.py [--model-dir DIR] [--tracks NAME ...]

The song is bench/adtof_speed.py's: the four MDB Drums development mixes looped to 4 minutes.
Each track runs once to load its models and compile (timed apart), then RUNS times on a new
copy of the song each time (the Frame_RNN's analysis is remembered per audio array, so a
repeated array would time only the memo); the table gives the median and best of those runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.adtof_speed import four_minutes  # noqa: E402
from bench.separation import peak_rss_gb  # noqa: E402
from processing.audio import DecodedAudio  # noqa: E402
from processing.transcription import TRACKS  # noqa: E402

RUNS = 3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", type=Path, default=ROOT.parent / "shared" / "models")
    parser.add_argument("--tracks", nargs="*", default=sorted(TRACKS), choices=sorted(TRACKS))
    args = parser.parse_args()
    audio = four_minutes()
    print(f"{'track':20} {'first run s':>12} {'median s':>9} {'best s':>7} {'hits':>6}")
    for name in args.tracks:
        track = TRACKS[name]
        runs = []
        for _ in range(RUNS + 1):
            song = DecodedAudio(samples=audio.samples.copy(), sample_rate=audio.sample_rate)
            started = time.perf_counter()
            hits = track.run(audio=song, model_dir=args.model_dir)
            runs.append(time.perf_counter() - started)
        print(f"{name:20} {runs[0]:12.2f} {np.median(runs[1:]):9.2f} {min(runs[1:]):7.2f} {len(hits):6d}", flush=True)
    print(f"4-minute song, {RUNS} runs after the first; peak RSS of the process {peak_rss_gb():.2f} GB")


if __name__ == "__main__":
    main()
