"""The Docker deployment (docker-compose.yml, Dockerfile), checked without Docker: `docker-compose
config` validates and resolves the file, and the tests read what it resolved to.

They need Debian's `docker-compose` package (compose v1, a Python program): CI installs it with
the Makefile's system packages. Without it they fail rather than skip, so that a CI machine that
lacks it cannot pass them by saying nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
# The variables .env must set; docker-compose.yml refuses to run without them.
REQUIRED = {
    "DJANGO_SECRET_KEY": "test-secret-key",
    "REDIS_PASSWORD": "testredispassword",
    "POSTGRES_PASSWORD": "testpostgrespassword",
}
# Services built from the Dockerfile whose health check is scripts/healthcheck.py <service>.
APP_ROLES = ("web", "worker", "models")
# One-off tools (a profile of their own): not started by `up`, so no restart and no health check.
TOOLS = {"fetch-models"}
SECURITY_SWITCHES = ("DJANGO_SECURE_SSL_REDIRECT", "DJANGO_SECURE_COOKIES", "DJANGO_TRUST_X_FORWARDED_PROTO")
COMPOSE_TIMEOUT_S = 60
MEMORY_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def compose_program() -> str:
    program = shutil.which("docker-compose")
    if program is None:
        pytest.fail("docker-compose is not installed: install Debian's `docker-compose` package "
                    "(sudo apt-get install docker-compose), as `make setup` does.", pytrace=False)
    return program


def compose(*args: str, env_file: Path) -> subprocess.CompletedProcess:
    """`docker-compose config`-style command on docker-compose.yml with only `env_file`'s variables:
    none from this process's environment, none from a developer's .env beside the file."""
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(env_file.parent)}
    return subprocess.run(
        [compose_program(), "--env-file", str(env_file), "--profile", "tools", "-f", str(COMPOSE_FILE), *args],
        env=environ, cwd=ROOT, capture_output=True, text=True, timeout=COMPOSE_TIMEOUT_S,
    )


def write_env(path: Path, variables: dict[str, str]) -> Path:
    path.write_text("".join(f"{name}={value}\n" for name, value in variables.items()))
    return path


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> dict:
    """The configuration docker-compose resolved (merges, defaults and .env applied)."""
    env_file = write_env(tmp_path_factory.mktemp("compose") / "test.env", REQUIRED)
    result = compose("config", env_file=env_file)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.fixture(scope="module")
def services(config) -> dict[str, dict]:
    return config["services"]


# Compose v1 writes the short forms; v2 (a `docker-compose` from Docker Desktop) the long ones.

def published_ports(service: dict) -> list[tuple[str, str]]:
    """(host address, host port) of each published port."""
    ports = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            ports.append((port.get("host_ip", ""), str(port.get("published", ""))))
        else:
            parts = str(port).split("/")[0].split(":")
            ports.append((parts[0], parts[1]) if len(parts) == 3 else ("", parts[0] if len(parts) == 2 else ""))
    return ports


def mounts(service: dict) -> dict[str, tuple[str, bool]]:
    """{target: (source, read_only)} of the service's volumes."""
    found = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            found[volume["target"]] = (volume.get("source", ""), bool(volume.get("read_only")))
        else:
            source, target, *mode = str(volume).split(":")
            found[target] = (source, "ro" in (mode[0].split(",") if mode else []))
    return found


def tmpfs_targets(service: dict) -> list[str]:
    return [str(entry).split(":")[0] for entry in service.get("tmpfs", [])]


def command_text(service: dict) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def memory_bytes(value) -> int:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([bkmg]?)b?", str(value).strip().lower())
    assert match, f"unreadable memory limit {value!r}"
    return int(float(match[1]) * MEMORY_UNITS[match[2]])


def healthcheck_disabled(healthcheck: dict) -> bool:
    return bool(healthcheck.get("disable")) or healthcheck.get("test") in (["NONE"], "NONE")


def test_config_accepts_the_file_with_the_required_variables(tmp_path):
    result = compose("config", "--quiet", env_file=write_env(tmp_path / "test.env", REQUIRED))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_config_refuses_to_run_without_a_required_variable_and_names_it(tmp_path, missing):
    variables = {name: value for name, value in REQUIRED.items() if name != missing}
    result = compose("config", "--quiet", env_file=write_env(tmp_path / "test.env", variables))
    assert result.returncode != 0
    assert f"set {missing} in .env" in result.stderr, result.stderr


def test_the_example_env_is_refused_until_its_secrets_are_filled_in(tmp_path):
    refused = compose("config", "--quiet", env_file=ENV_EXAMPLE)
    assert refused.returncode != 0
    assert "DJANGO_SECRET_KEY" in refused.stderr, refused.stderr
    filled = ENV_EXAMPLE.read_text()
    for name, value in REQUIRED.items():
        filled, count = re.subn(rf"^{name}=$", f"{name}={value}", filled, flags=re.M)
        assert count == 1, f".env.example should have one empty `{name}=` line"
    (tmp_path / "filled.env").write_text(filled)
    result = compose("config", env_file=tmp_path / "filled.env")
    assert result.returncode == 0, result.stderr
    web_env = yaml.safe_load(result.stdout)["services"]["web"]["environment"]
    assert web_env["DJANGO_ALLOWED_HOSTS"] == "charts.example.org"
    assert web_env["DJANGO_CSRF_TRUSTED_ORIGINS"] == "https://charts.example.org"


def test_only_web_publishes_a_port_and_only_on_the_loopback(services):
    publishing = {name for name, service in services.items() if published_ports(service)}
    assert publishing == {"web"}
    assert published_ports(services["web"]) == [("127.0.0.1", "8000")]
    assert not any(service.get("network_mode") for service in services.values())


def test_internal_network_has_no_way_out_and_only_web_and_tools_reach_public(config, services):
    assert config["networks"]["internal"]["internal"] is True
    assert not (config["networks"]["public"] or {}).get("internal")
    for name, service in services.items():
        networks = set(service["networks"])
        if name == "web":
            assert networks == {"public", "internal"}
        elif name in TOOLS:
            assert networks == {"public"}, f"{name} is a one-off that needs the internet and nothing inside"
        else:
            assert networks == {"internal"}, name


def test_every_service_is_locked_down(services):
    for name, service in services.items():
        assert service.get("read_only") is True, name
        assert "ALL" in service.get("cap_drop", []), name
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        assert not service.get("privileged"), name
        assert not service.get("cap_add"), name
        user = str(service.get("user", ""))
        assert user and user.split(":")[0] not in ("0", "root"), f"{name} runs as root"
        assert memory_bytes(service.get("mem_limit", "0")) > 0, f"{name} has no memory limit"


def test_every_long_running_service_restarts_and_has_a_health_check(services):
    for name, service in services.items():
        if name in TOOLS:
            assert service.get("profiles") == ["tools"], f"`up` would start {name}"
            assert service.get("restart") == "no", name
            continue
        assert service.get("restart") in ("unless-stopped", "always"), name
        healthcheck = service.get("healthcheck", {})
        assert healthcheck.get("test") and not healthcheck_disabled(healthcheck), f"{name} has no health check"


def test_app_health_checks_run_the_health_check_script_for_their_role(services):
    for role in APP_ROLES:
        assert services[role]["healthcheck"]["test"] == ["CMD", "python", "scripts/healthcheck.py", role]


def test_redis_health_check_authenticates(services):
    redis = services["redis"]
    assert redis["command"][-2:] == ["--requirepass", REQUIRED["REDIS_PASSWORD"]]
    assert redis["environment"]["REDISCLI_AUTH"] == REQUIRED["REDIS_PASSWORD"]
    assert "PONG" in " ".join(redis["healthcheck"]["test"])


def test_app_services_reach_redis_and_postgres_with_the_passwords(services):
    for name in ("web", "worker"):
        environment = services[name]["environment"]
        assert environment["A2D_REDIS_URL"] == f"redis://:{REQUIRED['REDIS_PASSWORD']}@redis:6379/0"
        assert f":{REQUIRED['POSTGRES_PASSWORD']}@postgres:5432/" in environment["DATABASE_URL"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == REQUIRED["POSTGRES_PASSWORD"]


def test_volumes_web_reads_the_models_and_only_the_model_service_writes_them(services):
    web = mounts(services["web"])
    assert web["/data/models"] == ("models", True)
    assert web["/data/media"] == ("media", False)
    assert mounts(services["worker"])["/data/media"] == ("media", False)
    assert mounts(services["worker"]).get("/data/models", ("models", True))[1] is True
    assert mounts(services["models"]) == {"/data/models": ("models", False)}


def test_worker_uses_the_model_service_and_writes_its_heartbeat_to_a_tmpfs(services):
    worker = services["worker"]
    environment = worker["environment"]
    assert environment["A2D_MODEL_SERVICE_URL"] == "http://models:8500"
    heartbeat = environment["A2D_WORKER_HEARTBEAT_FILE"]
    assert any(heartbeat.startswith(target + "/") for target in tmpfs_targets(worker)), \
        "the root filesystem is read-only: the heartbeat file must be on a tmpfs"
    assert {"models", "postgres", "redis", "web"} <= set(worker["depends_on"])
    assert all(worker["depends_on"][name]["condition"] == "service_healthy" for name in ("models", "redis", "web"))


def test_the_model_service_runs_alone_on_its_port(services):
    models = services["models"]
    assert command_text(models) == ("gunicorn processing.model_service:application --bind 0.0.0.0:8500 "
                       "--workers 1 --threads 4 --timeout 600")
    assert models["environment"]["A2D_MODEL_DIR"] == "/data/models"
    assert "DJANGO_SECRET_KEY" not in models["environment"]


def test_app_scratch_and_numba_cache_are_writable_under_a_read_only_root(services):
    for name in (*APP_ROLES, *TOOLS):
        service = services[name]
        assert "/tmp" in tmpfs_targets(service), name
        numba = service["environment"]["NUMBA_CACHE_DIR"]
        assert numba.startswith("/tmp/"), f"{name}: NUMBA_CACHE_DIR {numba} is on the read-only root"


def test_gunicorn_opens_no_control_socket_on_the_read_only_root(services):
    for name in ("web", "models"):
        assert "--no-control-socket" in services[name]["environment"]["GUNICORN_CMD_ARGS"], name


def test_django_runs_without_debug_and_with_the_https_switches_on(services):
    for name in ("web", "worker", *TOOLS):
        assert services[name]["environment"]["DJANGO_DEBUG"] == "0", name
    for name in ("web", "worker"):
        environment = services[name]["environment"]
        for switch in SECURITY_SWITCHES:
            assert environment[switch] == "1", f"{name}: {switch}"
        assert int(environment["DJANGO_SECURE_HSTS_SECONDS"]) >= 31536000, name


def test_web_migrates_then_serves_with_threads(services):
    command = command_text(services["web"])
    assert "python manage.py migrate --noinput && exec gunicorn" in command
    assert "--workers 2 --threads 4" in command


def test_image_user_is_the_one_compose_runs_and_owns_the_volume_folders(services):
    dockerfile = DOCKERFILE.read_text()
    uid = re.search(r"^ARG APP_UID=(\d+)$", dockerfile, re.M)[1]
    assert re.search(r"^USER \$APP_UID:\$APP_UID$", dockerfile, re.M)
    assert re.search(r"install -d -o audio2dtx -g audio2dtx .*/data/media /data/models", dockerfile)
    for name in (*APP_ROLES, *TOOLS):
        assert services[name]["user"] == f"{uid}:{uid}", name
    assert "curl" not in dockerfile


def test_secrets_and_local_data_stay_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", "var", ".venv", ".git", "node_modules", "test-output"} <= ignored
