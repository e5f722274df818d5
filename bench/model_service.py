"""A worker with and without the model service: its memory while idle and one 4-minute job's time.

Each way runs in a fresh process that starts as `ChartWorker` does (imports the pipeline; without
a service also TensorFlow and the Frame_RNN's module), then converts the same song twice (drum-less
backing track, `adtof`), as two jobs in a row. Reported: the process's resident memory idle at
start and idle after the jobs (what it keeps between jobs), both jobs' times, and the model
service's own memory. Uses a randomly initialised full-size 4-stem checkpoint (the released
model's compute and memory).

    A2D_MODEL_DIR=../shared/models python bench/model_service.py WORK_DIR [--minutes 4]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the project's packages import

from bench.separation import prepare_job_folder  # noqa: E402
from bench.worker_reuse import PARAMETERS, current_rss_gb  # noqa: E402

DEFAULT_MINUTES = 4
SERVICE_PORT = 8599
JOBS = 2


def rss_gb(pid: int) -> float:
    resident_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 1e9


def run_jobs(*, song: Path, model_dir: Path, out_dir: Path, service_url: str | None) -> dict:
    """In this process: start as the worker does, then convert `song` JOBS times."""
    import processing.pipeline  # noqa: F401  (ChartWorker imports it at start)

    if service_url is None:
        import processing.transcription.adtof.network  # noqa: F401
    from processing.inference import model_service
    from processing.pipeline import convert

    report = {"idle_at_start_gb": current_rss_gb(), "jobs_s": []}
    for job in range(JOBS):
        started = time.perf_counter()
        with model_service(url=service_url):
            convert(source=song, out_path=out_dir / f"job-{job}.zip", track_name="adtof", model_dir=model_dir,
                    title="Bench", parameters=dict(PARAMETERS))
        report["jobs_s"].append(time.perf_counter() - started)
    report["idle_after_jobs_gb"] = current_rss_gb()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("--minutes", type=float, default=DEFAULT_MINUTES)
    parser.add_argument("--child", choices=["local", "service"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    work_dir = args.work_dir.resolve()
    model_dir = work_dir / "models"
    song = work_dir / f"song-{args.minutes:g}min.wav"
    service_url = f"http://127.0.0.1:{SERVICE_PORT}"
    if args.child:
        report = run_jobs(song=song, model_dir=model_dir, out_dir=work_dir,
                          service_url=service_url if args.child == "service" else None)
        print(json.dumps(report))
        return

    prepare_job_folder(work_dir=work_dir, minutes=args.minutes)
    env = dict(os.environ, A2D_MODEL_DIR=str(model_dir))
    service = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "processing.model_service:application", "--bind",
         f"127.0.0.1:{SERVICE_PORT}", "--workers", "1", "--threads", "4", "--timeout", "600"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from tests.model_service_process import wait_for_health

        wait_for_health(port=SERVICE_PORT, process=service)
        # gunicorn's arbiter forks the worker process that holds the models.
        children = Path(f"/proc/{service.pid}/task/{service.pid}/children").read_text().split()
        service_idle_gb = rss_gb(int(children[0]))
        results = {}
        for way in ("local", "service"):
            child = subprocess.run([sys.executable, __file__, str(work_dir), "--minutes", str(args.minutes),
                                    "--child", way], env=env, capture_output=True, text=True, check=True)
            results[way] = json.loads(child.stdout.strip().splitlines()[-1])
        service_after_gb = rss_gb(int(children[0]))
    finally:
        service.terminate()
        service.wait(timeout=30)

    print(f"{args.minutes:g}-minute song, drum-less backing track, track adtof, {JOBS} jobs per worker process")
    print(f"{'worker':<28}{'idle at start':>14}{'idle after jobs':>16}{'job 1':>8}{'job 2':>8}")
    for way, label in (("local", "loads the models itself"), ("service", "uses the model service")):
        result = results[way]
        print(f"{label:<28}{result['idle_at_start_gb']:>12.2f} GB{result['idle_after_jobs_gb']:>14.2f} GB"
              f"{result['jobs_s'][0]:>7.1f}s{result['jobs_s'][1]:>7.1f}s")
    print(f"model service process: {service_idle_gb:.2f} GB idle after loading, {service_after_gb:.2f} GB after the jobs")


if __name__ == "__main__":
    main()
