"""A warm worker's whole job on a 4-minute song, both ways, and where its time goes.

For each way (the original mix as BGM; the drum-less backing track, which separates the drums
and cuts the chips from them) a fresh process converts the song once to build the models (a
worker's first job), then JOBS more times; it prints each job's wall time, the median seconds
per stage (`processing.timing`: the BGM's encoding runs beside the analysis, so the stages add
up to more than the wall time) and the process's peak memory. Uses a random-weight full-size
Spleeter checkpoint (the released model's compute and memory) and the real Frame_RNN.

    A2D_MODEL_DIR=../shared/models python bench/job_speed.py WORK_DIR [--minutes 4] [--jobs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the project's packages import

from bench.separation import peak_rss_gb, prepare_job_folder  # noqa: E402

DEFAULT_MINUTES = 4
DEFAULT_JOBS = 3
WAYS = {
    "original": {"bgm": "original", "input": "mix", "song_chips": False},
    "drumless": {"bgm": "drumless", "input": "mix", "song_chips": True},
}


def run_way(*, way: str, song: Path, model_dir: Path, out_dir: Path, jobs: int) -> dict:
    """In this process: one job to build the models, then `jobs` timed ones."""
    from processing.memory import release_freed_memory
    from processing.pipeline import convert
    from processing.timing import STAGES

    walls, stages = [], {name: [] for name in STAGES}
    for job in range(jobs + 1):
        started = time.perf_counter()
        result = convert(source=song, out_path=out_dir / f"{way}-{job}.zip", track_name="adtof",
                         model_dir=model_dir, title="Speed", parameters=dict(WAYS[way]))
        wall_s = time.perf_counter() - started
        release_freed_memory()  # as ChartWorker does after each job
        if job == 0:
            first_s = wall_s
            continue
        walls.append(wall_s)
        for name, seconds in result.stage_seconds.items():
            stages[name].append(seconds)
    return {"first_s": first_s, "walls_s": walls, "peak_gb": peak_rss_gb(),
            "stages_s": {name: statistics.median(values) for name, values in stages.items() if values}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("--minutes", type=float, default=DEFAULT_MINUTES)
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS)
    parser.add_argument("--way", choices=list(WAYS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    work_dir = args.work_dir.resolve()
    model_dir = work_dir / "models"
    song = work_dir / f"song-{args.minutes:g}min.wav"
    if args.way:
        print(json.dumps(run_way(way=args.way, song=song, model_dir=model_dir, out_dir=work_dir, jobs=args.jobs)))
        return

    prepare_job_folder(work_dir=work_dir, minutes=args.minutes)
    results = {}
    for way in WAYS:
        child = subprocess.run([sys.executable, __file__, str(work_dir), "--minutes", str(args.minutes),
                                "--jobs", str(args.jobs), "--way", way], capture_output=True, text=True, check=True)
        results[way] = json.loads(child.stdout.strip().splitlines()[-1])

    print(f"{args.minutes:g}-minute song, track adtof, a warm worker ({args.jobs} jobs after the first)")
    for way, result in results.items():
        walls = ", ".join(f"{wall:.1f}" for wall in result["walls_s"])
        print(f"\nBGM {way}: first job {result['first_s']:.1f} s; warm jobs {walls} s "
              f"(median {statistics.median(result['walls_s']):.1f} s); peak {result['peak_gb']:.2f} GB")
        for name, seconds in result["stages_s"].items():
            print(f"  {name:<20}{seconds:>7.2f} s")


if __name__ == "__main__":
    main()
