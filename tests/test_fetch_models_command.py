"""`manage.py fetch_models`: reports each model, and fails naming what is missing offline."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import SHARED_MODELS
from tests.spleeter_checkpoint import write_random_checkpoint

ROOT = Path(__file__).resolve().parents[1]
OFFLINE = {"A2D_MODEL_MIRROR": "http://127.0.0.1:9/m", "GITHUB_HOST": "http://127.0.0.1:9"}


def _fetch(model_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **OFFLINE, "A2D_MODEL_DIR": str(model_dir)}
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), "fetch_models", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def test_complete_folder_is_reported_ok(tmp_path):
    (tmp_path / "adtof-frame-rnn").symlink_to(SHARED_MODELS / "adtof-frame-rnn")
    (tmp_path / "adtof-crnn").symlink_to(SHARED_MODELS / "adtof-crnn")
    write_random_checkpoint(model_dir=tmp_path)
    result = _fetch(tmp_path, "--check")
    assert result.returncode == 0, result.stderr
    assert all(f"{name}: ok" in result.stdout for name in ("adtof-frame-rnn", "adtof-crnn", "spleeter 4stems"))
    assert "CC BY-NC-SA 4.0" in result.stdout


def test_offline_and_empty_it_names_every_missing_file(tmp_path):
    result = _fetch(tmp_path)
    assert result.returncode != 0
    assert "Frame_RNN_adtofAll_0.index (missing; download failed: no connection)" in result.stderr
    assert str(tmp_path / "spleeter" / "4stems") in result.stderr and "model.index" in result.stderr
    assert not (tmp_path / "spleeter").exists(), "a failed download leaves no model folder"
