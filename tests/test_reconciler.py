"""The reconciler and the guarded status changes: no version stays queued or running for
ever, and a version's outcome, once recorded, is never overturned."""

from datetime import timedelta
from pathlib import Path

import django_rq
import pytest
from django.urls import reverse
from django.utils import timezone
from rq.exceptions import AbandonedJobError
from rq.job import Job

from charts import jobs, services
from charts.models import ChartVersion
from processing.pipeline import ConversionResult
from tests.community import make_chart
from tests.conftest import stored_files
from tests.uploads import upload, wait_for


def _queued(client, path: Path, *, waited_s: float) -> ChartVersion:
    """An uploaded version whose job the queue lost, created `waited_s` ago."""
    version = upload(client, path)
    Job.fetch(version.rq_job_id, connection=django_rq.get_connection()).delete()
    ChartVersion.objects.filter(pk=version.pk).update(created_at=timezone.now() - timedelta(seconds=waited_s))
    return version


def _running(version: ChartVersion, *, beat_ago_s: float) -> None:
    now = timezone.now()
    ChartVersion.objects.filter(pk=version.pk).update(
        status=ChartVersion.Status.RUNNING, started_at=now - timedelta(seconds=beat_ago_s + 60),
        heartbeat_at=now - timedelta(seconds=beat_ago_s))


@pytest.mark.django_db(transaction=True)
def test_a_job_lost_between_commit_and_enqueue_is_enqueued_again_and_converted(logged_in_client, groove_file,
                                                                                start_worker):
    version = _queued(logged_in_client, groove_file[0], waited_s=120)
    start_worker(A2D_RECONCILE_EVERY_S="1")  # nobody calls the reconciler: the worker's thread does
    version = wait_for(version, lambda v: v.is_finished)
    assert version.status == ChartVersion.Status.DONE, version.error_message
    assert version.requeued_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_job_lost_twice_fails_with_a_message(logged_in_client, groove_file, settings):
    version = _queued(logged_in_client, groove_file[0], waited_s=2 * settings.A2D_RECONCILE_EVERY_S)
    assert services.chart_versions_reconcile().requeued == [version.pk]
    Job.fetch(version.rq_job_id, connection=django_rq.get_connection()).delete()  # lost again
    ChartVersion.objects.filter(pk=version.pk).update(requeued_at=timezone.now() - timedelta(minutes=2))
    assert services.chart_versions_reconcile().failed_queue_lost == [version.pk]
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.FAILED and version.error_message == services.JOB_LOST


@pytest.mark.django_db(transaction=True)
def test_a_version_waiting_on_the_queue_is_left_alone(logged_in_client, groove_file):
    version = upload(logged_in_client, groove_file[0])
    ChartVersion.objects.filter(pk=version.pk).update(created_at=timezone.now() - timedelta(hours=1))
    outcome = services.chart_versions_reconcile()
    assert outcome.requeued == [] and outcome.failed_queue_lost == []
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.QUEUED and version.requeued_at is None


@pytest.mark.django_db(transaction=True)
def test_a_lapsed_heartbeat_fails_the_version_and_a_fresh_one_keeps_it(user, package_bytes, settings):
    lapse_s = services.HEARTBEATS_TO_LAPSE * settings.A2D_WORKER_HEARTBEAT_S
    lost = make_chart(owner=user, package=package_bytes, state="private")
    alive = make_chart(owner=user, package=package_bytes, state="private")
    _running(lost, beat_ago_s=lapse_s + 5)
    _running(alive, beat_ago_s=1)
    assert services.chart_versions_reconcile().failed_as_lost == [lost.pk]
    lost.refresh_from_db()
    alive.refresh_from_db()
    assert lost.status == ChartVersion.Status.FAILED and lost.error_message == services.WORKER_LOST
    assert alive.status == ChartVersion.Status.RUNNING


@pytest.mark.django_db(transaction=True)
def test_rq_giving_up_on_a_job_whose_heartbeat_is_fresh_does_not_fail_it(user, package_bytes):
    """After a Redis outage RQ takes a job for abandoned; the version's own heartbeat says it still runs."""
    version = make_chart(owner=user, package=package_bytes, state="private")
    _running(version, beat_ago_s=1)
    job = Job.create(jobs.process_chart_version, args=(version.pk,), connection=django_rq.get_connection())
    jobs.on_job_failure(job, None, AbandonedJobError, AbandonedJobError(), None)
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.RUNNING


@pytest.mark.django_db(transaction=True)
def test_a_failed_version_is_not_marked_done_and_its_package_is_discarded(user, package_bytes, tmp_path,
                                                                           media_root):
    version = make_chart(owner=user, package=package_bytes, state="private")
    ChartVersion.objects.filter(pk=version.pk).update(status=ChartVersion.Status.FAILED, package="",
                                                      error_message=services.WORKER_LOST)
    before = set(stored_files(media_root))
    late = tmp_path / "late.zip"
    late.write_bytes(package_bytes)
    result = ConversionResult(package_path=late, bpm=120.0, duration_s=20.0, note_counts={"BD": 1}, levels={},
                              quantisation_error_ms=0.0)
    services.chart_version_mark_done(version=ChartVersion.objects.get(pk=version.pk), result=result)
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.FAILED and version.error_message == services.WORKER_LOST
    assert set(stored_files(media_root)) == before, "the late package was not kept"


@pytest.mark.django_db(transaction=True)
def test_a_done_version_is_not_failed_and_a_failed_one_is_not_started(user, package_bytes):
    done = make_chart(owner=user, package=package_bytes, state="private")
    assert not services.chart_version_mark_failed(version_id=done.pk, message="late")
    done.refresh_from_db()
    assert done.status == ChartVersion.Status.DONE and done.error_message == ""
    ChartVersion.objects.filter(pk=done.pk).update(status=ChartVersion.Status.FAILED)
    assert services.chart_version_mark_started(version_id=done.pk) is None


@pytest.mark.django_db(transaction=True)
def test_polling_a_running_version_only_reads_it(logged_in_client, user, package_bytes, settings):
    version = make_chart(owner=user, package=package_bytes, state="private")
    _running(version, beat_ago_s=services.HEARTBEATS_TO_LAPSE * settings.A2D_WORKER_HEARTBEAT_S + 60)
    queue = django_rq.get_connection()
    queue.config_resetstat()
    response = logged_in_client.get(reverse("chart-version-detail", args=[version.pk]), HTTP_HX_REQUEST="true")
    assert "hx-trigger" in response.content.decode(), "still shown as running: the reconciler decides, not the page"
    # The reset is the only command counted: the poll itself asked Redis nothing (no registry clean-up).
    assert queue.info("stats")["total_commands_processed"] <= 1
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.RUNNING
