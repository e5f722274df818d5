"""A job's time as a user waits for it: upload through the web until the chart is done.

Starts what `make run` starts (a private redis-server, one RQ worker, the web server on a
fresh SQLite database), logs a user in, and for each way (the original mix as BGM; the
drum-less backing track) uploads a 4-minute song JOBS + 1 times, one after the other. Each
upload is timed from the POST until the version's row reads done (polled every POLL_S), which
is what the chart page shows; the first upload of the first way also builds the worker's models.
Uses a random-weight full-size Spleeter checkpoint (the released model's compute) and the real
Frame_RNN, as bench/job_speed.py does, and the default track.

    A2D_MODEL_DIR=../shared/models python bench/web_job_speed.py WORK_DIR [--minutes 4] [--jobs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the project's packages import

from bench.load import PASSWORD, PYTHON, Visitor, answers, free_port, stop_all, wait_until  # noqa: E402
from bench.separation import prepare_job_folder  # noqa: E402

DEFAULT_MINUTES = 4
DEFAULT_JOBS = 3
WAYS = ("original", "drumless")
POLL_S = 0.1
JOB_TIMEOUT_S = 600
USERNAME = "drummer"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("--minutes", type=float, default=DEFAULT_MINUTES)
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS)
    args = parser.parse_args()
    if args.jobs < 1:
        parser.error("--jobs must be at least 1: the first upload only builds the models")

    work = args.work_dir.resolve()
    model_dir, wav = prepare_job_folder(work_dir=work, minutes=args.minutes)
    site = work / "site"
    shutil.rmtree(site, ignore_errors=True)
    (site / "media").mkdir(parents=True)
    song = site / "song.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-b:a", "192k", str(song)], check=True)

    redis_port, web_port = free_port(), free_port()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="audio2dtx_web.settings", DJANGO_DEBUG="1",
               DATABASE_URL=f"sqlite:///{site / 'db.sqlite3'}", A2D_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
               A2D_MEDIA_ROOT=str(site / "media"), A2D_MODEL_DIR=str(model_dir),
               DJANGO_SECRET_KEY=uuid.uuid4().hex * 2)
    os.environ.update(env)
    processes: list[subprocess.Popen] = []
    logs = open(site / "services.log", "wb")

    def start(command: list[str]) -> None:
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT))

    try:
        start(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        import django

        django.setup()
        from django.contrib.auth.models import User

        from charts.models import ChartVersion
        from processing.transcription import default_track

        User.objects.create_user(username=USERNAME, password=PASSWORD)
        start([PYTHON, "manage.py", "rqworker", "default"])
        start([PYTHON, "manage.py", "runserver", f"127.0.0.1:{web_port}", "--noreload"])
        base = f"http://127.0.0.1:{web_port}"
        wait_until(lambda: answers(base + "/healthz/"), what="the web server")
        visitor = Visitor(base, address="127.0.0.1")
        visitor.log_in(USERNAME)
        track = default_track(model_dir=model_dir)

        print(f"{args.minutes:g}-minute song, track {track}, one worker, upload until done (s)")
        for way in WAYS:
            seconds = []
            for _ in range(args.jobs + 1):
                visitor.get("/songs/new/")
                started = time.monotonic()
                status, page = visitor.upload(song, track=track, bgm=way)
                if status != 302:
                    raise SystemExit(f"The upload was refused ({status}): {page[:500]}")
                version = ChartVersion.objects.latest("id")
                while not version.is_finished:
                    if time.monotonic() - started > JOB_TIMEOUT_S:
                        raise SystemExit(f"Version {version.pk} did not finish in {JOB_TIMEOUT_S} s")
                    time.sleep(POLL_S)
                    version.refresh_from_db()
                if version.status != ChartVersion.Status.DONE:
                    raise SystemExit(f"Version {version.pk} failed: {version.error_message}")
                seconds.append(time.monotonic() - started)
            warm = seconds[1:]
            print(f"BGM {way}: first {seconds[0]:.1f}; then {', '.join(f'{s:.1f}' for s in warm)} "
                  f"(median {statistics.median(warm):.1f})")
    finally:
        stop_all(processes)
        logs.close()


if __name__ == "__main__":
    main()
