"""Every way a job can end badly leaves its chart version failed with a readable message —
never a traceback, never a version stuck in "running"."""

import os
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import django_rq
import pytest
from rq.job import Job
from rq.timeouts import JobTimeoutException

from charts import jobs, services
from charts.models import ChartVersion
from tests.uploads import fragment, upload, wait_for

CHILD_SECOND_LOOK_S = 1.0


def _python_children(pid: int) -> list[str]:
    """Child processes running the same interpreter as `pid` (RQ's forked work horses); not FFmpeg.

    Looked at twice, a second apart: a process started for FFmpeg runs the interpreter from
    its fork until its exec, and a look that falls in between would take it for a work horse,
    which lives as long as its job."""
    interpreter = os.path.realpath(f"/proc/{pid}/exe")

    def python_children() -> set[str]:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return {child for child in children if _executable(child) == interpreter}

    first_look = python_children()
    time.sleep(CHILD_SECOND_LOOK_S)
    return sorted(first_look & python_children())


def _executable(pid: str) -> str:
    """The program a process runs; empty once it has exited (an FFmpeg call ends at any moment)."""
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


@pytest.mark.django_db(transaction=True)
def test_silence_fails_with_a_message(logged_in_client, tmp_path, run_worker):
    silent = tmp_path / "silence.flac"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "10",
                    str(silent)], check=True)
    version = upload(logged_in_client, silent)
    assert run_worker().returncode == 0
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.FAILED
    html = fragment(logged_in_client, version)
    assert "The song is silent" in html and "Traceback" not in html and "hx-trigger" not in html


@pytest.mark.django_db(transaction=True)
def test_truncated_mp3_converts_what_decodes_and_says_so(logged_in_client, tmp_path, groove_file, run_worker):
    mp3 = tmp_path / "full.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(groove_file[0]), "-b:a", "192k", str(mp3)], check=True)
    truncated = tmp_path / "truncated.mp3"
    data = mp3.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    version = upload(logged_in_client, truncated)
    assert run_worker().returncode == 0
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.DONE
    assert version.duration_s == pytest.approx(10.0, abs=1.0)
    assert "only the first" in fragment(logged_in_client, version)


@pytest.mark.django_db(transaction=True)
def test_unexpected_error_fails_with_a_generic_message(logged_in_client, groove_file, run_worker):
    version = upload(logged_in_client, groove_file[0])
    ChartVersion.objects.filter(pk=version.pk).update(track="no-such-track")
    run_worker()
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.FAILED
    assert version.error_message == jobs.UNEXPECTED_ERROR


@pytest.mark.django_db(transaction=True)
def test_timeout_fails_with_a_message(logged_in_client, long_groove, run_worker, settings):
    """The network's track on a 4-minute song loads its model first: several seconds on any
    machine (the spectral track can finish a 4-minute song inside a second on a fast one)."""
    settings.A2D_JOB_TIMEOUT_S = 1
    version = upload(logged_in_client, long_groove, track="adtof")
    run_worker()
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.FAILED
    assert "took longer than its time limit (1 second)" in version.error_message


@pytest.mark.django_db(transaction=True)
def test_a_job_past_its_time_limit_stops_at_its_next_progress_report(logged_in_client, groove_file):
    """Without RQ's alarm (run here in this process): the alarm's exception is lost when it lands
    in a finalizer, and the progress reports are the job's own check."""
    version = upload(logged_in_client, groove_file[0])
    job = Job.fetch(version.rq_job_id, connection=django_rq.get_connection())
    job.started_at = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=job.timeout + 1)
    with pytest.raises(JobTimeoutException) as stopped:
        job.perform()
    jobs.on_job_failure(job, job.connection, JobTimeoutException, stopped.value, None)
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.FAILED
    assert version.error_message == jobs.TIMED_OUT.format(limit=jobs._duration_text(job.timeout))
    assert version.stage == ChartVersion.Stage.DECODING, "it stopped at the first report, before decoding"


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_fails_the_version_it_was_running(logged_in_client, long_groove, start_worker):
    """Without anyone opening the page: the other worker's reconciler finds the lapsed heartbeat."""
    version = upload(logged_in_client, long_groove, track="adtof")
    doomed = start_worker(A2D_WORKER_HEARTBEAT_S="1", A2D_RECONCILE_EVERY_S="1")
    wait_for(version, lambda v: v.status == ChartVersion.Status.RUNNING)
    assert not _python_children(doomed.pid), "the job runs in the worker itself (no work horse): its models stay loaded"
    start_worker(A2D_WORKER_HEARTBEAT_S="1", A2D_RECONCILE_EVERY_S="1")
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait()
    killed_at = time.monotonic()
    version = wait_for(version, lambda v: v.status == ChartVersion.Status.FAILED, timeout_s=60)
    assert time.monotonic() - killed_at < 60
    assert version.error_message == services.WORKER_LOST
    assert services.WORKER_LOST in fragment(logged_in_client, version)


@pytest.mark.django_db(transaction=True)
def test_a_running_job_is_not_taken_for_lost(logged_in_client, long_groove, start_worker):
    """The heartbeat thread keeps a long job alive well past three beats while the reconciler runs every second."""
    version = upload(logged_in_client, long_groove, track="adtof")
    start_worker(A2D_WORKER_HEARTBEAT_S="1", A2D_RECONCILE_EVERY_S="1")
    version = wait_for(version, lambda v: v.is_finished)
    assert version.status == ChartVersion.Status.DONE, version.error_message
    assert (version.finished_at - version.started_at).total_seconds() > 3, "the job outlived three beats"


@pytest.mark.django_db(transaction=True)
def test_unreachable_queue_fails_the_version_at_once(logged_in_client, groove_file, settings):
    queue = settings.RQ_QUEUES[settings.A2D_QUEUE]
    original, queue["URL"] = queue["URL"], "redis://127.0.0.1:1/0"
    try:
        version = upload(logged_in_client, groove_file[0])
    finally:
        queue["URL"] = original
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.FAILED
    assert "could not be reached" in version.error_message
