"""Real parts for the tests: a redis-server of their own, FFmpeg, and RQ workers in
subprocesses that share the test database and media folder."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection

from tests.audio_fixtures import render_groove, write_groove

ROOT = Path(__file__).resolve().parents[1]
# The developers' copy of the model weights (CI points A2D_MODEL_DIR at it too).
SHARED_MODELS = Path(os.environ.get("A2D_MODEL_DIR", ROOT.parent / "shared" / "models")).resolve()
REDIS_START_TIMEOUT_S = 10
WORKER_TIMEOUT_S = 300


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need the suite to run on PostgreSQL: `make test` (SQLite) leaves
    them out and `make test-postgres` runs them, so CI runs every test once."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    left_out = [item for item in items if item.get_closest_marker("postgres")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A private redis-server on a fixed port, which a test may stop and start again (a restart)."""

    def __init__(self, data_dir: Path):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.data_dir = data_dir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.data_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + REDIS_START_TIMEOUT_S
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    self.process.kill()
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> RedisServer:
    """A private redis-server for the session; the app's queue settings point at it."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: run `make setup` (apt-get install redis-server).")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    # django-rq and Django's cache handler hold references to these very dicts: changed in place.
    settings.RQ_QUEUES[settings.A2D_QUEUE]["URL"] = server.url
    settings.CACHES["default"]["LOCATION"] = server.url
    yield server
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def redis_url(redis_server) -> str:
    return redis_server.url


@pytest.fixture(autouse=True)
def clean_redis(redis_url):
    redis.Redis.from_url(redis_url).flushall()


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings) -> Path:
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    return media


@pytest.fixture(autouse=True)
def model_dir(settings) -> Path:
    settings.A2D_MODEL_DIR = SHARED_MODELS
    return SHARED_MODELS


@pytest.fixture
def user(db) -> User:
    return User.objects.create_user(username="drummer", password="correct horse battery staple")


@pytest.fixture
def other_user(db) -> User:
    return User.objects.create_user(username="stranger", password="correct horse battery staple")


@pytest.fixture
def logged_in_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture(scope="session")
def groove_file(tmp_path_factory):
    """A 20-second rock groove at 120 BPM over a bass tone, as FLAC, with its truth."""
    groove = render_groove(seconds=20.0, bpm_start=120.0)
    path = write_groove(groove, tmp_path_factory.mktemp("groove") / "groove.flac")
    return path, groove


@pytest.fixture(scope="session")
def long_groove(tmp_path_factory) -> Path:
    """A 4-minute groove: a job long enough to be interrupted while it runs."""
    return write_groove(render_groove(seconds=240.0), tmp_path_factory.mktemp("long") / "long.flac")


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def _database_url() -> str:
    """The URL of the database the tests are using, for worker subprocesses."""
    config = connection.settings_dict
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{config['NAME']}"
    user = config.get("USER") or ""
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    return f"postgres://{credentials}{config.get('HOST') or '127.0.0.1'}:{config.get('PORT') or 5432}/{config['NAME']}"


def worker_environment(redis_url: str, media_root: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="audio2dtx_web.settings",
        DATABASE_URL=_database_url(),
        A2D_REDIS_URL=redis_url,
        A2D_MEDIA_ROOT=str(media_root),
        A2D_MODEL_DIR=str(SHARED_MODELS),
    )
    env.update(extra)
    return env


@pytest.fixture
def run_worker(redis_url, media_root):
    """Run a real RQ worker (django-rq's rqworker, our worker class) in burst mode."""

    def run(**extra_env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "rqworker", settings.A2D_QUEUE, "--burst"],
            env=worker_environment(redis_url, media_root, **extra_env),
            cwd=ROOT, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S,
        )

    return run


@pytest.fixture
def start_worker(redis_url, media_root):
    """Start a long-running RQ worker; it is stopped after the test."""
    workers: list[subprocess.Popen] = []

    def start(**extra_env: str) -> subprocess.Popen:
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "rqworker", settings.A2D_QUEUE],
            env=worker_environment(redis_url, media_root, **extra_env), cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()


@pytest.fixture(scope="session")
def package_bytes(tmp_path_factory, groove_file) -> bytes:
    """A real DTX package of the groove, made once for the tests of sharing and moderation."""
    from tests.community import build_package

    return build_package(tmp_path_factory.mktemp("package"), groove_file[0])


@pytest.fixture
def staff_user(db) -> User:
    return User.objects.create_user(username="moderator", password="correct horse battery staple", is_staff=True)
