"""Faults of the real services around a job: Redis or PostgreSQL restarted while it runs, a
full disk. The job finishes, or fails with a message that says why; nothing is left half-stored."""

import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from charts.models import ChartVersion, Song
from processing.errors import DISK_FULL, NOT_PERMITTED
from tests.conftest import stored_files
from tests.uploads import fragment, upload, wait_for

OUTAGE_S = 5  # longer than three of the worker's 1-second heartbeats: RQ loses sight of the job


@pytest.fixture
def small_disk():
    """Mount tiny (or read-only) tmpfs filesystems (root may mount them here and in CI); unmounted after the test."""
    mounted: list[Path] = []

    def mount(path: Path, *, size: str, read_only: bool = False) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        options = f"size={size}" + (",ro" if read_only else "")
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            pytest.fail(f"The disk-full tests mount a small tmpfs and need root: {result.stderr.strip()}")
        mounted.append(path)
        return path

    yield mount
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.django_db(transaction=True)
def test_redis_restarted_mid_job(logged_in_client, long_groove, start_worker, redis_server):
    version = upload(logged_in_client, long_groove)
    start_worker(A2D_WORKER_HEARTBEAT_S="1", A2D_RECONCILE_EVERY_S="1")
    wait_for(version, lambda v: v.status == ChartVersion.Status.RUNNING)
    redis_server.stop()  # it keeps nothing: the job is gone from the queue when it is back
    time.sleep(OUTAGE_S)
    redis_server.start()
    version = wait_for(version, lambda v: v.is_finished)
    assert version.status == ChartVersion.Status.DONE, version.error_message
    assert version.package


def _postgres_cluster(port: int) -> list[str]:
    """The version and name of the Debian PostgreSQL cluster listening on `port`."""
    listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True).stdout
    for line in listing.splitlines():
        version, name, cluster_port, *_ = line.split()
        if int(cluster_port) == port:
            return [version, name]
    pytest.fail(f"No PostgreSQL cluster of pg_lsclusters listens on port {port}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_restarted_mid_job(logged_in_client, long_groove, start_worker):
    version = upload(logged_in_client, long_groove)
    start_worker(A2D_WORKER_HEARTBEAT_S="5", A2D_RECONCILE_EVERY_S="1")
    wait_for(version, lambda v: v.status == ChartVersion.Status.RUNNING)
    cluster = _postgres_cluster(int(connection.settings_dict.get("PORT") or 5432))
    subprocess.run(["pg_ctlcluster", *cluster, "restart", "-m", "fast"], check=True, timeout=60)
    connection.close()  # the restart dropped this process's connection too
    version = wait_for(version, lambda v: v.is_finished)
    assert version.status == ChartVersion.Status.DONE, version.error_message


@pytest.mark.django_db(transaction=True)
def test_a_full_disk_for_packages_fails_the_job_with_a_message_and_no_partial_file(
        logged_in_client, groove_file, run_worker, media_root, small_disk):
    packages = small_disk(media_root / "packages", size="16k")
    version = upload(logged_in_client, groove_file[0])
    assert run_worker().returncode == 0
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.FAILED and version.error_message == DISK_FULL
    assert stored_files(packages) == [], "the partial package was removed"
    assert escape(DISK_FULL) in fragment(logged_in_client, version)


@pytest.mark.django_db(transaction=True)
def test_a_folder_the_worker_may_not_write_fails_the_job_with_its_own_message(
        logged_in_client, groove_file, run_worker, media_root, small_disk):
    small_disk(media_root / "packages", size="1m", read_only=True)
    version = upload(logged_in_client, groove_file[0])
    assert run_worker().returncode == 0
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.FAILED and version.error_message == NOT_PERMITTED


@pytest.mark.django_db(transaction=True)
def test_a_full_scratch_disk_fails_the_job_with_a_message_and_leaves_nothing(
        logged_in_client, groove_file, run_worker, tmp_path, small_disk):
    scratch = small_disk(tmp_path / "scratch", size="64k")
    version = upload(logged_in_client, groove_file[0])
    assert run_worker(TMPDIR=str(scratch)).returncode == 0
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.FAILED and version.error_message == DISK_FULL
    # TensorFlow leaves its generated code there at import; the job's own folders are gone.
    assert [path.name for path in scratch.iterdir() if path.name.startswith("a2d-")] == []


@pytest.mark.django_db(transaction=True)
def test_a_full_disk_refuses_the_upload_with_a_message_and_stores_nothing(logged_in_client, groove_file,
                                                                           media_root, small_disk):
    songs = small_disk(media_root / "songs", size="16k")
    with open(groove_file[0], "rb") as handle:
        response = logged_in_client.post(reverse("song-upload"), {"upload": handle, "track": "spectral"})
    assert response.status_code == 200 and escape(DISK_FULL) in response.content.decode()
    assert Song.objects.count() == 0 and ChartVersion.objects.count() == 0
    assert stored_files(songs) == []
