"""Load: many uploads at once, then many pages polled, against the deployment's shape.

Starts a private redis-server, gunicorn (DEBUG off, as compose runs it) and RQ workers on
a fresh PostgreSQL database, signs up the users, and has each of them post their uploads at
the same moment. While the queue drains, `hey` (Debian's package) polls the status fragment
of a running version as many users as asked. It then waits until every accepted upload
has finished and reports: accepted / refused (and why) / lost, how each job ended, the
queue's wait (p50, p95), the total time, and the pages' latency (p50, p95).

    python bench/load.py WORK_DIR [--users 20] [--uploads-per-user 5] [--workers 2] [--pollers 50]

DATABASE_URL names the PostgreSQL server (default: the local one, user postgres); the
database `audio2dtx_load` is dropped and created again. WORK_DIR receives media and logs.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the project's packages import

from bench.separation import write_song  # noqa: E402

PYTHON = sys.executable
SONG_MINUTES = 0.5
SERVER_URL = "postgres://postgres@127.0.0.1:5432"
DATABASE = "audio2dtx_load"
PASSWORD = "load-test-password-1"
START_TIMEOUT_S = 60
FINISH_TIMEOUT_S = 30 * 60
POLL_SECONDS = 30
WEB_PROCESSES = 2  # as docker-compose.yml runs gunicorn
QUOTA_WORDS = "conversions queued or running"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(values, 100 * share)) if values else float("nan")


def wait_until(ready, *, what: str, timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start")
        time.sleep(0.2)


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def stop_all(processes: list[subprocess.Popen]) -> None:
    """SIGTERM each process, then wait for it (killing one that takes over 30 s)."""
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Visitor:
    """One user's browser at its own address (behind the proxy that sets X-Real-IP): a
    cookie jar, CSRF tokens read from the pages."""

    def __init__(self, base: str, *, address: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  NoRedirect())
        self.opener.addheaders = [("X-Real-IP", address)]

    def cookie(self, name: str) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == name)

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, data=body, method="POST",
                                         headers={"Content-Type": content_type, "Referer": self.base + path})
        try:
            with self.opener.open(request, timeout=300) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def log_in(self, username: str) -> None:
        self.get("/login/")
        form = urllib.parse.urlencode({"username": username, "password": PASSWORD,
                                       "csrfmiddlewaretoken": self.cookie("csrftoken")}).encode()
        status, _ = self.post("/login/", form, "application/x-www-form-urlencoded")
        if status != 302:
            raise SystemExit(f"{username} could not log in ({status})")

    def upload(self, song: Path, *, track: str = "spectral", bgm: str = "original") -> tuple[int, str]:
        boundary = uuid.uuid4().hex
        fields = {"csrfmiddlewaretoken": self.cookie("csrftoken"), "track": track, "bgm": bgm}
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                 for name, value in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; filename="{song.name}"\r\n'
                     f"Content-Type: audio/mpeg\r\n\r\n".encode() + song.read_bytes() + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.post("/songs/new/", b"".join(parts), f"multipart/form-data; boundary={boundary}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def outcome_of(status: int, page: str) -> str:
    if status == 302:
        return "accepted"
    if status == 200 and QUOTA_WORDS in page:
        return "refused: job quota"
    if status == 429:
        return "refused: rate limit"
    errors = re.findall(r'<ul class="errorlist[^>]*>(.*?)</ul>', page, re.S)
    return f"refused ({status}): {re.sub('<[^>]+>', ' ', errors[0]).strip()[:80]}" if errors else f"error {status}"


def hey(url: str, *, pollers: int, seconds: int, cookie: str) -> dict[str, float]:
    output = subprocess.run(["hey", "-z", f"{seconds}s", "-c", str(pollers), "-H", f"Cookie: {cookie}",
                             "-H", "HX-Request: true", url], capture_output=True, text=True, check=True).stdout
    figures = {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for share in ("50", "95"):
        figures[f"p{share}_ms"] = 1000 * float(re.search(rf"{share}% in ([\d.]+) secs", output).group(1))
    figures["status_codes"] = dict(re.findall(r"\[(\d+)\]\s+(\d+) responses", output))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--uploads-per-user", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pollers", type=int, default=50)
    args = parser.parse_args()

    work = args.work_dir.resolve()
    shutil.rmtree(work, ignore_errors=True)
    (work / "media").mkdir(parents=True)
    wav, song = work / "song.wav", work / "song.mp3"
    write_song(path=wav, minutes=SONG_MINUTES)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-b:a", "192k", str(song)], check=True)

    server_url = os.environ.get("DATABASE_URL", f"{SERVER_URL}/postgres").rsplit("/", 1)[0]
    for statement in (f"DROP DATABASE IF EXISTS {DATABASE}", f"CREATE DATABASE {DATABASE}"):
        subprocess.run(["psql", f"{server_url}/postgres", "-qc", statement], check=True)
    redis_port, web_port = free_port(), free_port()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="audio2dtx_web.settings", DATABASE_URL=f"{server_url}/{DATABASE}",
               A2D_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", A2D_MEDIA_ROOT=str(work / "media"),
               DJANGO_DEBUG="0", DJANGO_SECRET_KEY=uuid.uuid4().hex * 2, DJANGO_ALLOWED_HOSTS="127.0.0.1",
               A2D_RECONCILE_EVERY_S="10", A2D_CLIENT_IP_HEADER="HTTP_X_REAL_IP")
    os.environ.update(env)
    processes: list[subprocess.Popen] = []
    logs = open(work / "services.log", "wb")

    def start(command: list[str]) -> subprocess.Popen:
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT))
        return processes[-1]

    try:
        start(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        import django

        django.setup()
        from django.contrib.auth.models import User

        from charts.models import ChartVersion

        for number in range(args.users):
            User.objects.create_user(username=f"drummer{number}", password=PASSWORD)
        start([str(Path(PYTHON).parent / "gunicorn"), "audio2dtx_web.wsgi:application", "--bind",
               f"127.0.0.1:{web_port}", "--workers", str(WEB_PROCESSES), "--timeout", "300"])
        for _ in range(args.workers):
            start([PYTHON, "manage.py", "rqworker", "default"])
        base = f"http://127.0.0.1:{web_port}"
        wait_until(lambda: answers(base + "/healthz/"), what="gunicorn")

        visitors = []
        for number in range(args.users):
            visitor = Visitor(base, address=f"10.0.{number}.1")
            visitor.log_in(f"drummer{number}")
            visitor.get("/songs/new/")
            visitors.append(visitor)

        outcomes: list[str] = []
        upload_seconds: list[float] = []
        barrier = threading.Barrier(args.users * args.uploads_per_user)

        def post(visitor: Visitor) -> None:
            barrier.wait()
            started = time.monotonic()
            status, page = visitor.upload(song)
            upload_seconds.append(time.monotonic() - started)
            outcomes.append(outcome_of(status, page))

        threads = [threading.Thread(target=post, args=(visitor,)) for visitor in visitors
                   for _ in range(args.uploads_per_user)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        posted_s = time.monotonic() - began

        watched = ChartVersion.objects.filter(song__owner__username="drummer0").order_by("id").first()
        polling = hey(f"{base}/versions/{watched.pk}/", pollers=args.pollers, seconds=POLL_SECONDS,
                      cookie=f"sessionid={visitors[0].cookie('sessionid')}")

        deadline = time.monotonic() + FINISH_TIMEOUT_S
        while ChartVersion.objects.exclude(status__in=["done", "failed"]).exists() and time.monotonic() < deadline:
            time.sleep(1)
        total_s = time.monotonic() - began
        versions = list(ChartVersion.objects.all())
        waits = [(v.started_at - v.created_at).total_seconds() for v in versions if v.started_at]
        jobs = [(v.finished_at - v.started_at).total_seconds() for v in versions if v.started_at and v.finished_at]
        report = {
            "users": args.users, "uploads": len(outcomes), "workers": args.workers, "pollers": args.pollers,
            "outcomes": {outcome: outcomes.count(outcome) for outcome in sorted(set(outcomes))},
            "versions": len(versions),
            "finished": {status: sum(v.status == status for v in versions) for status in ("done", "failed")},
            "unfinished": sum(not v.is_finished for v in versions),
            "failure_messages": sorted({v.error_message for v in versions if v.status == "failed"}),
            "upload_response_s": {"p50": percentile(upload_seconds, 0.5), "p95": percentile(upload_seconds, 0.95)},
            "all_posted_s": posted_s,
            "queue_wait_s": {"p50": percentile(waits, 0.5), "p95": percentile(waits, 0.95)},
            "job_s": {"p50": percentile(jobs, 0.5), "mean": statistics.fmean(jobs) if jobs else float("nan")},
            "total_s": total_s,
            "polling_while_converting": polling,
        }
        (work / "load.json").write_text(json.dumps(report, indent=2))
        print(json.dumps(report, indent=2))
    finally:
        stop_all(processes)
        logs.close()


if __name__ == "__main__":
    main()
