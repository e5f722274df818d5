"""What a worker gains by keeping its models across jobs: the same song (4 minutes unless
told) converted several times in one process (separation, `adtof`, the package), as `ChartWorker` runs jobs.

The first conversion builds Spleeter's graph and the Frame_RNN; the second finds them built.
A forking worker (RQ's default) would pay the first conversion's cost on every job. Uses a
randomly initialised full-size 4-stem checkpoint (the released model's compute and memory).

    A2D_MODEL_DIR=../shared/models python bench/worker_reuse.py WORK_DIR [--jobs 3] [--minutes 4]

WORK_DIR receives the checkpoint (150 MB), the song and the packages.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the project's packages import

from bench.separation import peak_rss_gb, write_song  # noqa: E402

DEFAULT_MINUTES = 4
PARAMETERS = {"bgm": "drumless", "input": "mix", "song_chips": True}


def current_rss_gb() -> float:
    """This process's resident set size now, in GB (/proc/self/statm counts pages)."""
    resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=DEFAULT_MINUTES)
    args = parser.parse_args()
    logging.basicConfig(format="%(message)s")
    logging.getLogger("processing").setLevel(logging.INFO)  # the "Built …" lines: what job 1 pays
    work_dir = args.work_dir.resolve()
    model_dir = work_dir / "models"
    song = work_dir / f"song-{args.minutes:g}min.wav"
    from processing.pipeline import separation_available

    if not separation_available(model_dir=model_dir):
        from tests.spleeter_checkpoint import write_random_checkpoint

        write_random_checkpoint(model_dir=model_dir, full_size=True)
    adtof = model_dir / "adtof-frame-rnn"
    if not adtof.exists():
        adtof.symlink_to(Path(os.environ["A2D_MODEL_DIR"]).resolve() / "adtof-frame-rnn")
    if not song.exists():
        write_song(path=song, minutes=args.minutes)

    from processing.memory import release_freed_memory
    from processing.pipeline import convert

    for job in range(1, args.jobs + 1):
        stages: dict[str, float] = {}
        peaks: dict[str, float] = {}  # peak RSS of the process when each stage ended, GB
        last = [time.perf_counter(), None]

        def on_progress(stage: str, fraction: float) -> None:
            now = time.perf_counter()
            if last[1] is not None:
                stages[last[1]] = stages.get(last[1], 0.0) + now - last[0]
                peaks[last[1]] = round(peak_rss_gb(), 2)
            last[:] = [now, stage]

        rss_at_start = current_rss_gb()
        started = time.perf_counter()
        convert(source=song, out_path=work_dir / f"job-{job}.zip", track_name="adtof", model_dir=model_dir,
                title="bench", parameters=PARAMETERS, on_progress=on_progress)
        wall = time.perf_counter() - started
        release_freed_memory()  # as ChartWorker does after each job
        print(json.dumps({"job": job, "wall_s": round(wall, 1), "rss_at_start_gb": round(rss_at_start, 2),
                          "peak_rss_gb": round(peak_rss_gb(), 2),
                          "stages_s": {name: round(s, 1) for name, s in stages.items()},
                          "peak_rss_gb_after": peaks}), flush=True)


if __name__ == "__main__":
    main()
