"""The deployment's production path as docker-compose.yml runs it, without Docker.

From the file as `docker-compose config` resolves it with a real environment: each service's
command and environment (host names and volume paths pointed at this machine), gunicorn with
DEBUG off and a real host name in DJANGO_ALLOWED_HOSTS behind a TLS proxy's headers, PostgreSQL,
Redis with a password, the worker and the model service; every app service's health check run
exactly as the file writes it, and one song converted end to end through the web site.

The worker's model folder holds only the Frame_RNN, not Spleeter's model: the song is converted
with the drum-less backing track, so it can only succeed if its separation ran in the model service.
Redis's own health check is not run: its redis-cli asks the default port, where this machine's
Redis (without our password) listens.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import sys
import time
import zipfile
from io import BytesIO
from pathlib import Path

import psycopg
import pytest
import requests
import yaml
from django.db import connection

from tests.conftest import _free_port
from tests.model_service_process import SHARED_MODELS, model_folder_for_service
from tests.test_compose import compose, write_env

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PUBLIC_HOST = "charts.example.org"
DATABASE = "audio2dtx_production_path"
START_TIMEOUT_S = 150
JOB_TIMEOUT_S = 240
# What the TLS proxy in front adds to every request it forwards.
PROXY_HEADERS = {"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https", "Referer": f"https://{PUBLIC_HOST}/",
                 "Origin": f"https://{PUBLIC_HOST}"}


class Deployment:
    """The services' processes, their logs and the environment each one gets."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log = (self.folder / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _server_database_url(name: str) -> str:
    config = connection.settings_dict
    user = config.get("USER") or "postgres"
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{config.get('HOST') or '127.0.0.1'}:{config.get('PORT') or 5432}/{name}"


def _recreate_database() -> str:
    with psycopg.connect(_server_database_url("postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    return _server_database_url(DATABASE)


def _drop_database() -> None:
    with psycopg.connect(_server_database_url("postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def _wait_healthy(deployment: Deployment, name: str, check: list[str], env: dict[str, str]) -> None:
    """Run the compose health check until it passes, as Docker does during start_period."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        result = subprocess.run(check, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
        if result.returncode == 0:
            return
        process = deployment.processes[name]
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{name} never turned healthy ({result.stdout}{result.stderr}); its log:\n{deployment.log(name)}")
        time.sleep(1)


def _cookies(response: requests.Response, jar: dict[str, str]) -> dict[str, str]:
    # The cookies are Secure (as they must be behind TLS), so an http:// client would not send
    # them back on its own: the proxy's client side is played here.
    jar.update(response.cookies.get_dict())
    return jar


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.fixture
def deployment(tmp_path, groove_file):
    deployment = Deployment(tmp_path)
    yield deployment
    deployment.stop()
    _drop_database()


def test_the_compose_deployment_serves_a_song_end_to_end(deployment, tmp_path, groove_file):
    passwords = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "POSTGRES_PASSWORD": secrets.token_hex(16),
                 "REDIS_PASSWORD": secrets.token_hex(16)}
    env_file = write_env(tmp_path / "production.env", passwords | {
        "DJANGO_ALLOWED_HOSTS": PUBLIC_HOST, "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://{PUBLIC_HOST}"})
    resolved = compose("config", env_file=env_file)
    assert resolved.returncode == 0, resolved.stderr
    services = yaml.safe_load(resolved.stdout)["services"]
    ports = {"web": _free_port(), "models": _free_port(), "redis": _free_port()}
    database_url = _recreate_database()
    media = tmp_path / "media"
    shared_models = model_folder_for_service(tmp_path / "models")  # the models volume
    worker_models = tmp_path / "worker-models"  # without Spleeter's model: see the module's docstring
    worker_models.mkdir()
    (worker_models / "adtof-frame-rnn").symlink_to(SHARED_MODELS / "adtof-frame-rnn")
    heartbeat_file = tmp_path / "worker-heartbeat"

    def environment(service: str) -> dict[str, str]:
        """The service's environment from the compose file, its host names and volumes mapped here."""
        env = {name: str(value) for name, value in services[service].get("environment", {}).items()}
        for name, value in env.items():
            value = value.replace("@redis:6379", f"@127.0.0.1:{ports['redis']}")
            env[name] = value.replace("http://models:8500", f"http://127.0.0.1:{ports['models']}")
        if "DATABASE_URL" in env:
            env["DATABASE_URL"] = database_url
        if "A2D_WORKER_HEARTBEAT_FILE" in env:
            env["A2D_WORKER_HEARTBEAT_FILE"] = str(heartbeat_file)
        return env | {
            "PATH": f"{VENV_BIN}:{os.environ['PATH']}",  # `python` and `gunicorn` of the image
            "HOME": str(tmp_path),
            "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(tmp_path / "numba")),
            # The Dockerfile's ENV, with the volumes' mount points mapped here.
            "A2D_VAR_DIR": str(tmp_path),
            "A2D_MEDIA_ROOT": str(media),
            "A2D_MODEL_DIR": str(worker_models if service == "worker" else shared_models),
            # Where the health checks look: the ports the services were moved to.
            "A2D_WEB_PORT": str(ports["web"]),
            "A2D_MODEL_SERVICE_PORT": str(ports["models"]),
        }

    def command(service: str) -> list[str]:
        line = services[service]["command"]
        line = shlex.join(line) if isinstance(line, list) else line
        line = line.replace("0.0.0.0:8000", f"127.0.0.1:{ports['web']}").replace("0.0.0.0:8500", f"127.0.0.1:{ports['models']}")
        return shlex.split(line)

    def health_check(service: str) -> list[str]:
        test = services[service]["healthcheck"]["test"]
        assert test[0] == "CMD", test
        return test[1:]

    redis_password = passwords["REDIS_PASSWORD"]
    deployment.start("redis", ["redis-server", "--port", str(ports["redis"]), "--bind", "127.0.0.1",
                               "--requirepass", redis_password, "--save", "", "--dir", str(tmp_path)], dict(os.environ))
    for service in ("models", "web", "worker"):
        env = environment(service)
        assert env.get("DJANGO_DEBUG", "0") == "0"
        deployment.start(service, command(service), env)
        _wait_healthy(deployment, service, health_check(service), env)
    postgres_check = services["postgres"]["healthcheck"]["test"]
    assert subprocess.run(postgres_check[1:] if postgres_check[0] == "CMD" else ["sh", "-c", postgres_check[1]],
                          capture_output=True).returncode == 0

    web_env = environment("web")
    deploy_check = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                                  cwd=ROOT, env=web_env, capture_output=True, text=True)
    assert deploy_check.returncode == 0, deploy_check.stdout + deploy_check.stderr
    assert "no issues" in deploy_check.stdout

    # Redis refuses a client without the password.
    unauthenticated = subprocess.run(["redis-cli", "-p", str(ports["redis"]), "ping"], capture_output=True, text=True)
    assert "NOAUTH" in unauthenticated.stdout + unauthenticated.stderr

    player_password = secrets.token_urlsafe(16)
    subprocess.run([sys.executable, "manage.py", "shell", "-c",
                    "from django.contrib.auth.models import User; "
                    f"User.objects.create_user('player', password='{player_password}')"],
                   cwd=ROOT, env=web_env, check=True, capture_output=True)

    site = f"http://127.0.0.1:{ports['web']}"
    plain = requests.get(site + "/", headers={"Host": PUBLIC_HOST}, allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"] == f"https://{PUBLIC_HOST}/"
    assert requests.get(site + "/", headers={"Host": "127.0.0.1"}, timeout=10).status_code == 400
    missing = requests.get(site + "/no-such-page/", headers=PROXY_HEADERS, timeout=10)
    assert missing.status_code == 404 and "URLconf" not in missing.text  # no debug page
    assert "max-age=31536000" in requests.get(site + "/", headers=PROXY_HEADERS, timeout=10).headers[
        "Strict-Transport-Security"]

    jar: dict[str, str] = {}
    page = requests.get(site + "/login/", headers=PROXY_HEADERS, timeout=10)
    assert "Secure" in page.headers["Set-Cookie"]
    logged_in = requests.post(site + "/login/", headers=PROXY_HEADERS, cookies=_cookies(page, jar), timeout=10,
                              allow_redirects=False,
                              data={"csrfmiddlewaretoken": _csrf_token(page.text), "username": "player",
                                    "password": player_password})
    assert logged_in.status_code == 302, logged_in.text[:2000]
    _cookies(logged_in, jar)
    form = requests.get(site + "/songs/new/", headers=PROXY_HEADERS, cookies=jar, timeout=10)
    assert form.status_code == 200
    with open(groove_file[0], "rb") as song:
        uploaded = requests.post(site + "/songs/new/", headers=PROXY_HEADERS, cookies=_cookies(form, jar), timeout=60,
                                 allow_redirects=False,
                                 data={"csrfmiddlewaretoken": _csrf_token(form.text), "track": "adtof",
                                       "bgm": "drumless", "input": "mix", "title": "Production groove"},
                                 files={"upload": ("groove.flac", song, "audio/flac")})
    assert uploaded.status_code == 302, uploaded.text[:3000]

    deadline = time.monotonic() + JOB_TIMEOUT_S
    with psycopg.connect(database_url, autocommit=True) as db:
        while True:
            version_id, status, message, parameters = db.execute(
                "SELECT id, status, error_message, parameters FROM charts_chartversion").fetchone()
            if status in ("done", "failed") or time.monotonic() > deadline:
                break
            time.sleep(1)
    assert status == "done", f"{status}: {message}\nworker log:\n{deployment.log('worker')}"
    assert parameters["bgm"] == "drumless"

    package = requests.get(f"{site}/versions/{version_id}/download/", headers=PROXY_HEADERS, cookies=jar, timeout=30)
    assert package.status_code == 200
    names = zipfile.ZipFile(BytesIO(package.content)).namelist()
    assert sum(name.endswith(".dtx") for name in names) == 4 and any(name.endswith("bgm.ogg") for name in names)
    # The worker never loaded TensorFlow: its log says nothing of building the networks.
    assert "Built" not in deployment.log("worker")
