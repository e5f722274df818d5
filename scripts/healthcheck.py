"""The containers' health checks (docker-compose.yml): `python scripts/healthcheck.py web|worker|models`.

Exit status 0 when the service is healthy, 1 otherwise, with one line saying why (Docker keeps it:
`docker inspect --format '{{json .State.Health}}' CONTAINER`). Standard library only: Docker runs
this every few seconds in each container, so it must start fast, and it must not load Django,
whose settings want the secrets and whose checks would test this script rather than the server.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request

# Well inside the compose file's healthcheck timeout (10 s), so a hung server reads "no answer"
# here instead of Docker killing the check without a word.
HTTP_TIMEOUT_S = 5.0
# Docker reads 0 as healthy and 1 as unhealthy; other codes are reserved, so a usage error is 1 too.
HEALTHY, UNHEALTHY = 0, 1

DEFAULT_WEB_PORT = 8000  # A2D_WEB_PORT: gunicorn's --bind in docker-compose.yml
WEB_PATH = "/healthz/"  # exempt from Django's SSL redirect: this asks over plain HTTP
DEFAULT_MODELS_PORT = 8500  # A2D_MODEL_SERVICE_PORT
MODELS_PATH = "/health"  # 200 with {"ready": true, ...} once the models are loaded, 503 before
# The worker touches this file every A2D_WORKER_HEARTBEAT_S seconds, and only after Redis
# answered a ping; as with a job's heartbeat (charts.services), three missed beats mean it is gone.
MISSED_BEATS = 3
DEFAULT_HEARTBEAT_S = 10.0
# The most of a response body a message quotes.
QUOTE_CHARS = 200


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to report, not to follow: Django's SSL redirect would send the
    check to https://<public host>/, out of the container."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# No proxies either: an HTTP_PROXY in the environment must not carry a request for 127.0.0.1 away.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def web_host(*, allowed_hosts: str) -> str:
    """The Host header Django accepts: the first DJANGO_ALLOWED_HOSTS entry, as a name.

    Django answers 400 to a Host it does not allow, so asking as 127.0.0.1 fails once the
    deployment allows only its public name. ".example.org" (the domain and its subdomains) is
    asked as "example.org"; "*" and nothing as "localhost".
    """
    first = allowed_hosts.split(",")[0].strip().lstrip(".")
    return "localhost" if first in ("", "*") else first


def http_get(*, url: str, host: str | None = None) -> tuple[int, bytes]:
    """(status, body) of a GET; raises OSError when there is no answer."""
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with _OPENER.open(request, timeout=HTTP_TIMEOUT_S) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:  # an answer all the same: 3xx, 4xx, 5xx
        with error:
            return error.code, error.read()


def quote(body: bytes) -> str:
    return " ".join(body.decode("utf-8", "replace").split())[:QUOTE_CHARS]


def check_web(*, environ: dict[str, str]) -> tuple[bool, str]:
    host = web_host(allowed_hosts=environ.get("DJANGO_ALLOWED_HOSTS", ""))
    url = f"http://127.0.0.1:{int(environ.get('A2D_WEB_PORT', DEFAULT_WEB_PORT))}{WEB_PATH}"
    try:
        status, body = http_get(url=url, host=host)
    except OSError as error:
        return False, f"web: no answer from {url} (Host: {host}): {error}"
    return status == 200, f"web: {url} (Host: {host}) answered {status}: {quote(body)}"


def check_worker(*, environ: dict[str, str]) -> tuple[bool, str]:
    path = environ.get("A2D_WORKER_HEARTBEAT_FILE", "")
    if not path:
        return False, "worker: A2D_WORKER_HEARTBEAT_FILE is not set, so the worker writes no heartbeat"
    limit_s = MISSED_BEATS * float(environ.get("A2D_WORKER_HEARTBEAT_S", DEFAULT_HEARTBEAT_S))
    try:
        age_s = time.time() - os.stat(path).st_mtime
    except FileNotFoundError:
        return False, f"worker: no heartbeat file {path} yet (the worker has not reached Redis)"
    if age_s > limit_s:
        return False, f"worker: last heartbeat {age_s:.0f} s ago (limit {limit_s:.0f} s): stuck or no Redis"
    return True, f"worker: last heartbeat {max(age_s, 0):.0f} s ago"


def check_models(*, environ: dict[str, str]) -> tuple[bool, str]:
    url = f"http://127.0.0.1:{int(environ.get('A2D_MODEL_SERVICE_PORT', DEFAULT_MODELS_PORT))}{MODELS_PATH}"
    try:
        status, body = http_get(url=url)
    except OSError as error:
        return False, f"models: no answer from {url}: {error}"
    try:
        ready = status == 200 and json.loads(body).get("ready") is True
    except (ValueError, AttributeError):  # not JSON, or not an object
        ready = False
    return ready, f"models: {url} answered {status}: {quote(body)}"


CHECKS = {"web": check_web, "worker": check_worker, "models": check_models}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in CHECKS:
        print(f"usage: {argv[0]} {'|'.join(CHECKS)}")
        return UNHEALTHY
    try:
        healthy, message = CHECKS[argv[1]](environ=dict(os.environ))
    except ValueError as error:  # a malformed setting, e.g. A2D_WORKER_HEARTBEAT_S=ten
        healthy, message = False, f"{argv[1]}: {error}"
    print(message)
    return HEALTHY if healthy else UNHEALTHY


if __name__ == "__main__":
    sys.exit(main(sys.argv))
