"""Where a warm worker's job spends its time: cProfile of one whole conversion of a 4-minute song.

The song is converted once to load the models (as a worker's first job does), then once more
under cProfile; the functions with the most cumulative time are printed, with the stage table
the job records (`processing.timing`).

    A2D_MODEL_DIR=../shared/models python bench/profile_job.py WORK_DIR [--bgm original|drumless] [--top 40]

WORK_DIR receives a random-weight full-size Spleeter checkpoint (for --bgm drumless), the song
and the packages, as `bench/worker_reuse.py` does.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the project's packages import

from bench.separation import prepare_job_folder  # noqa: E402

DEFAULT_MINUTES = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("--bgm", choices=["original", "drumless"], default="original")
    parser.add_argument("--minutes", type=float, default=DEFAULT_MINUTES)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    work_dir = args.work_dir.resolve()
    model_dir, song = prepare_job_folder(work_dir=work_dir, minutes=args.minutes)

    from processing.pipeline import convert

    parameters = {"bgm": args.bgm, "input": "mix", "song_chips": args.bgm == "drumless"}

    def job(number: int):
        return convert(source=song, out_path=work_dir / f"profile-{number}.zip", track_name="adtof",
                       model_dir=model_dir, title="Profile", parameters=dict(parameters))

    job(0)  # the worker's first job: builds the models
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    result = job(1)
    profiler.disable()
    wall_s = time.perf_counter() - started
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(args.top)
    print(text.getvalue())
    print(f"{args.minutes:g}-minute song, BGM {args.bgm}: {wall_s:.1f} s (warm, under cProfile)")
    for stage, seconds in result.stage_seconds.items():
        print(f"  {stage:<20}{seconds:>7.2f} s")


if __name__ == "__main__":
    main()
