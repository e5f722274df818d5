"""Every way a job can end badly leaves its chart version failed with a readable message —
never a traceback, never a version stuck in "running"."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.urls import reverse

from charts.models import ChartVersion
from processing import jobs
from tests.audio_fixtures import render_groove, write_groove

POLL_S = 0.2
WAIT_S = 120


def _upload(client, path: Path, track: str = "spectral") -> ChartVersion:
    with open(path, "rb") as handle:
        response = client.post(reverse("song-upload"), {"upload": handle, "track": track})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ChartVersion.objects.latest("id")


def _fragment(client, version) -> str:
    return client.get(reverse("chart-version-detail", args=[version.pk]), HTTP_HX_REQUEST="true").content.decode()


def _wait_for(version: ChartVersion, condition, timeout_s: float = WAIT_S) -> ChartVersion:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        version.refresh_from_db()
        if condition(version):
            return version
        time.sleep(POLL_S)
    raise AssertionError(f"version stayed {version.status}/{version.stage}")


def _python_children(pid: int) -> list[str]:
    """Child processes running the same interpreter as `pid` (RQ's forked work horses); not FFmpeg."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    interpreter = os.path.realpath(f"/proc/{pid}/exe")
    return [child for child in children if os.path.realpath(f"/proc/{child}/exe") == interpreter]


@pytest.fixture(scope="module")
def long_groove(tmp_path_factory) -> Path:
    return write_groove(render_groove(seconds=240.0), tmp_path_factory.mktemp("long") / "long.flac")


@pytest.mark.django_db(transaction=True)
def test_silence_fails_with_a_message(logged_in_client, tmp_path, run_worker):
    silent = tmp_path / "silence.flac"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "10",
                    str(silent)], check=True)
    version = _upload(logged_in_client, silent)
    assert run_worker().returncode == 0
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.FAILED
    html = _fragment(logged_in_client, version)
    assert "The song is silent" in html and "Traceback" not in html and "hx-trigger" not in html


@pytest.mark.django_db(transaction=True)
def test_truncated_mp3_converts_what_decodes_and_says_so(logged_in_client, tmp_path, groove_file, run_worker):
    mp3 = tmp_path / "full.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(groove_file[0]), "-b:a", "192k", str(mp3)], check=True)
    truncated = tmp_path / "truncated.mp3"
    data = mp3.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    version = _upload(logged_in_client, truncated)
    assert run_worker().returncode == 0
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.DONE
    assert version.duration_s == pytest.approx(10.0, abs=1.0)
    assert "only the first" in _fragment(logged_in_client, version)


@pytest.mark.django_db(transaction=True)
def test_unexpected_error_fails_with_a_generic_message(logged_in_client, groove_file, run_worker):
    version = _upload(logged_in_client, groove_file[0])
    ChartVersion.objects.filter(pk=version.pk).update(track="no-such-track")
    run_worker()
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.FAILED
    assert version.error_message == jobs.UNEXPECTED_ERROR


@pytest.mark.django_db(transaction=True)
def test_timeout_fails_with_a_message(logged_in_client, long_groove, run_worker, settings):
    settings.A2D_JOB_TIMEOUT_S = 2
    version = _upload(logged_in_client, long_groove)
    run_worker()
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.FAILED
    assert "took longer than its time limit (2 seconds)" in version.error_message


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_fails_the_version_it_was_running(logged_in_client, long_groove, start_worker):
    version = _upload(logged_in_client, long_groove)
    worker = start_worker(A2D_WORKER_HEARTBEAT_S="1")
    _wait_for(version, lambda v: v.status == ChartVersion.Status.RUNNING)
    assert not _python_children(worker.pid), "the job runs in the worker itself (no work horse): its models stay loaded"
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    # The page watching the version notices the lapsed heartbeat (three beats of 1 s).
    deadline = time.monotonic() + 30
    while "hx-trigger" in _fragment(logged_in_client, version) and time.monotonic() < deadline:
        time.sleep(0.5)
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.FAILED
    assert version.error_message == jobs.WORKER_LOST
    assert jobs.WORKER_LOST in _fragment(logged_in_client, version)


@pytest.mark.django_db(transaction=True)
def test_a_running_job_is_not_taken_for_lost(logged_in_client, long_groove, start_worker):
    """The heartbeat thread keeps a long job alive well past three beats."""
    version = _upload(logged_in_client, long_groove)
    start_worker(A2D_WORKER_HEARTBEAT_S="1")
    _wait_for(version, lambda v: v.status == ChartVersion.Status.RUNNING)
    deadline = time.monotonic() + WAIT_S
    while "hx-trigger" in _fragment(logged_in_client, version) and time.monotonic() < deadline:
        time.sleep(0.5)  # each poll runs the abandoned-job check
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.DONE, version.error_message
    assert (version.finished_at - version.started_at).total_seconds() > 3, "the job outlived three beats"


@pytest.mark.django_db(transaction=True)
def test_unreachable_queue_fails_the_version_at_once(logged_in_client, groove_file, settings):
    queue = settings.RQ_QUEUES[settings.A2D_QUEUE]
    original, queue["URL"] = queue["URL"], "redis://127.0.0.1:1/0"
    try:
        version = _upload(logged_in_client, groove_file[0])
    finally:
        queue["URL"] = original
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.FAILED
    assert "could not be reached" in version.error_message
