"""Starting the model service as compose does (gunicorn, one process) on a model folder made for tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.spleeter_checkpoint import write_random_checkpoint

ROOT = Path(__file__).resolve().parent.parent
SHARED_MODELS = ROOT.parent / "shared" / "models"
GUNICORN = Path(sys.executable).parent / "gunicorn"
READY_TIMEOUT_S = 120


def model_folder_for_service(folder: Path, *, with_spleeter: bool = True) -> Path:
    """A model folder with the real Frame_RNN (linked from ../shared) and, unless told otherwise,
    a small random-weight Spleeter checkpoint (the real one is not on this machine)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "adtof-frame-rnn").symlink_to(SHARED_MODELS / "adtof-frame-rnn")
    if with_spleeter:
        write_random_checkpoint(model_dir=folder)
    return folder


def start_model_service(*, model_dir: Path, port: int, log_path: Path, env: dict[str, str] | None = None,
                        command: list[str] | None = None) -> subprocess.Popen:
    """gunicorn running `processing.model_service` on 127.0.0.1:`port` (the compose command when given)."""
    command = command or [str(GUNICORN), "processing.model_service:application", "--bind", "0.0.0.0:8500",
                          "--workers", "1", "--threads", "4", "--timeout", "600"]
    command = [part.replace("0.0.0.0:8500", f"127.0.0.1:{port}") for part in command]
    environment = dict(env or os.environ) | {"A2D_MODEL_DIR": str(model_dir)}
    with log_path.open("w") as log:
        return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)


def wait_for_health(*, port: int, process: subprocess.Popen, ready: bool = True) -> dict:
    """The service's /health report once it says `ready` (or, for ready=False, once loading ended)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, "the model service exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:  # 503: loading, or a model could not load
            report = json.loads(error.read())
            if not ready and all(status.get("loaded") or status.get("error") for status in report["models"].values()):
                return report
        except OSError:
            pass  # not listening yet
        time.sleep(0.5)
    raise AssertionError("the model service did not finish loading")
