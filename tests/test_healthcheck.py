"""scripts/healthcheck.py, run as Docker runs it: a subprocess with the container's environment,
against a heartbeat file and small HTTP servers of the test's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "healthcheck.py"
HEALTHY, UNHEALTHY = 0, 1
# The script's HTTP timeout is 5 s: a run that takes longer than this is broken.
RUN_TIMEOUT_S = 20
HEARTBEAT_S = 10  # the default A2D_WORKER_HEARTBEAT_S


def run_check(role: str, **environ: str) -> subprocess.CompletedProcess:
    """The check, with only `environ` (and PATH) in its environment, as in a container."""
    return subprocess.run([sys.executable, str(SCRIPT), role], env={"PATH": os.environ.get("PATH", ""), **environ},
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def one_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and not result.stderr, (result.stdout, result.stderr)
    return lines[0]


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    # A web server that, like Django, answers 400 to any other Host.
    allowed_host: str | None = None


class FakeServer:
    """A real HTTP server on a free port of 127.0.0.1 that answers `answer` and records
    (path, Host header) of every request."""

    def __init__(self) -> None:
        self.answer = Answer()
        self.requests: list[tuple[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host = self.headers.get("Host", "")
                fake.requests.append((self.path, host))
                answer = fake.answer
                status = answer.status
                if answer.allowed_host is not None and host.split(":")[0] != answer.allowed_host:
                    status = 400
                self.send_response(status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        # A short poll: shutdown() waits for it, once per test.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    fake = FakeServer()
    yield fake
    fake.close()


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    fake = FakeServer()
    fake.close()
    return fake.port


# --- worker: the heartbeat file's age ---

def test_worker_is_healthy_with_a_fresh_heartbeat(tmp_path):
    heartbeat = tmp_path / "worker-heartbeat"
    heartbeat.touch()
    result = run_check("worker", A2D_WORKER_HEARTBEAT_FILE=str(heartbeat))
    assert result.returncode == HEALTHY, result.stdout
    assert one_line(result).startswith("worker: last heartbeat")


def test_worker_is_healthy_until_three_beats_are_missed(tmp_path):
    heartbeat = tmp_path / "worker-heartbeat"
    heartbeat.touch()
    two_and_a_half_beats_ago = time.time() - 2.5 * HEARTBEAT_S
    os.utime(heartbeat, (two_and_a_half_beats_ago, two_and_a_half_beats_ago))
    assert run_check("worker", A2D_WORKER_HEARTBEAT_FILE=str(heartbeat)).returncode == HEALTHY


def test_worker_is_unhealthy_with_a_stale_heartbeat(tmp_path):
    heartbeat = tmp_path / "worker-heartbeat"
    heartbeat.touch()
    stale = time.time() - 3 * HEARTBEAT_S - 5
    os.utime(heartbeat, (stale, stale))
    result = run_check("worker", A2D_WORKER_HEARTBEAT_FILE=str(heartbeat))
    assert result.returncode == UNHEALTHY
    assert "limit 30 s" in one_line(result)


def test_worker_limit_follows_the_heartbeat_period(tmp_path):
    heartbeat = tmp_path / "worker-heartbeat"
    heartbeat.touch()
    old = time.time() - 100
    os.utime(heartbeat, (old, old))
    assert run_check("worker", A2D_WORKER_HEARTBEAT_FILE=str(heartbeat), A2D_WORKER_HEARTBEAT_S="60").returncode == HEALTHY
    assert run_check("worker", A2D_WORKER_HEARTBEAT_FILE=str(heartbeat), A2D_WORKER_HEARTBEAT_S="30").returncode == UNHEALTHY


def test_worker_is_unhealthy_without_a_heartbeat_file(tmp_path):
    result = run_check("worker", A2D_WORKER_HEARTBEAT_FILE=str(tmp_path / "never-written"))
    assert result.returncode == UNHEALTHY
    assert "no heartbeat file" in one_line(result)


def test_worker_is_unhealthy_when_no_heartbeat_file_is_configured():
    result = run_check("worker")
    assert result.returncode == UNHEALTHY
    assert "A2D_WORKER_HEARTBEAT_FILE" in one_line(result)


def test_a_malformed_setting_is_one_line_and_unhealthy(tmp_path):
    heartbeat = tmp_path / "worker-heartbeat"
    heartbeat.touch()
    result = run_check("worker", A2D_WORKER_HEARTBEAT_FILE=str(heartbeat), A2D_WORKER_HEARTBEAT_S="ten")
    assert result.returncode == UNHEALTHY
    assert one_line(result).startswith("worker:")


# --- web: /healthz/ with the Host Django allows ---

@pytest.mark.parametrize(("allowed_hosts", "host"), [
    ("charts.example.org,localhost", "charts.example.org"),
    (" charts.example.org ", "charts.example.org"),
    (".example.org,127.0.0.1", "example.org"),
    ("*", "localhost"),
    (None, "localhost"),
])
def test_web_asks_healthz_as_the_first_allowed_host(server, allowed_hosts, host):
    server.answer = Answer(body=b'{"database": "ok", "redis": "ok"}', allowed_host=host)
    environ = {"A2D_WEB_PORT": str(server.port)}
    if allowed_hosts is not None:
        environ["DJANGO_ALLOWED_HOSTS"] = allowed_hosts
    result = run_check("web", **environ)
    assert server.requests == [("/healthz/", host)]
    assert result.returncode == HEALTHY, result.stdout
    assert '"redis": "ok"' in one_line(result)


def test_web_is_unhealthy_when_the_host_is_refused(server):
    # What happened before: asked as 127.0.0.1 while only the public name is allowed.
    server.answer = Answer(allowed_host="charts.example.org")
    result = run_check("web", A2D_WEB_PORT=str(server.port), DJANGO_ALLOWED_HOSTS="127.0.0.1,charts.example.org")
    assert result.returncode == UNHEALTHY
    assert "answered 400" in one_line(result)


def test_web_is_unhealthy_when_the_database_or_redis_is_down(server):
    server.answer = Answer(status=503, body=b'{"database": "ok", "redis": "unreachable"}')
    result = run_check("web", A2D_WEB_PORT=str(server.port))
    assert result.returncode == UNHEALTHY
    assert "503" in one_line(result) and "unreachable" in one_line(result)


def test_web_reports_a_redirect_instead_of_following_it(server):
    # An SSL redirect that does not exempt /healthz/ must not send the check to the public name.
    target = f"http://127.0.0.1:{server.port}/elsewhere/"
    server.answer = Answer(status=301, body=b"", headers={"Location": target})
    result = run_check("web", A2D_WEB_PORT=str(server.port))
    assert result.returncode == UNHEALTHY
    assert server.requests == [("/healthz/", "localhost")]
    assert "answered 301" in one_line(result)


def test_web_is_unhealthy_when_nothing_listens():
    result = run_check("web", A2D_WEB_PORT=str(free_port()))
    assert result.returncode == UNHEALTHY
    assert "no answer" in one_line(result)


# --- models: /health says ready ---

@pytest.mark.parametrize(("answer", "expected"), [
    (Answer(body=json.dumps({"ready": True, "models": {"adtof": "loaded"}}).encode()), HEALTHY),
    (Answer(body=json.dumps({"ready": False, "models": {}}).encode()), UNHEALTHY),
    (Answer(status=503, body=json.dumps({"ready": False, "models": {}}).encode()), UNHEALTHY),
    (Answer(body=b"ready"), UNHEALTHY),  # not JSON
    (Answer(body=b'["ready"]'), UNHEALTHY),  # JSON, not an object
    (Answer(body=b'{"ready": "yes"}'), UNHEALTHY),  # only true is ready
])
def test_models_is_healthy_only_when_ready(server, answer, expected):
    server.answer = answer
    result = run_check("models", A2D_MODEL_SERVICE_PORT=str(server.port))
    assert [path for path, _ in server.requests] == ["/health"]
    assert result.returncode == expected, result.stdout
    assert one_line(result).startswith("models:")


def test_models_is_unhealthy_when_nothing_listens():
    result = run_check("models", A2D_MODEL_SERVICE_PORT=str(free_port()))
    assert result.returncode == UNHEALTHY
    assert "no answer" in one_line(result)


def test_an_unknown_role_is_a_usage_error():
    for args in (["nobody"], []):
        result = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                                timeout=RUN_TIMEOUT_S)
        assert result.returncode == UNHEALTHY
        assert "usage:" in one_line(result)
