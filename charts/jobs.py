"""RQ jobs: the one place where the pipeline meets the database.

A job takes a chart version's primary key, loads it, runs the pipeline and records the
outcome through charts.services. Every way a job can end badly lands in
`chart_version_mark_failed` with a sentence for the user:
- the pipeline raises PipelineError: its own message;
- a full disk or a folder the worker may not write: a message saying so (partial files go);
- anything else raises: a generic message (the traceback stays in RQ's failed registry);
- the job times out: `on_job_failure`;
- the worker is killed mid-job (out of memory, SIGKILL, machine lost): the version's
  heartbeat lapses and the reconciler (charts.worker.ChartWorker) fails it.
The database writes around the pipeline are retried while PostgreSQL restarts (charts.retry).
"""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from django.conf import settings
from rq import get_current_job
from rq.exceptions import AbandonedJobError
from rq.job import Job
from rq.timeouts import JobTimeoutException

from charts import services
from charts.models import ChartVersion
from charts.retry import TRANSIENT_ERRORS, with_retries
from processing.errors import PipelineError, error_chain, storage_problem
from processing.inference import model_service
from processing.pipeline import convert

logger = logging.getLogger(__name__)

UNEXPECTED_ERROR = "Something went wrong while converting this song. Try again, or try another track."
TIMED_OUT = "The conversion took longer than its time limit ({limit}) and was stopped. Try a shorter song, or try again later."


def process_chart_version(version_id: int) -> None:
    try:
        version = with_retries(lambda: services.chart_version_mark_started(version_id=version_id),
                               what=f"Starting chart version {version_id}")
    except ChartVersion.DoesNotExist:
        logger.info("Chart version %s was deleted before its job started", version_id)
        return
    if version is None:
        logger.info("Chart version %s is no longer queued (failed as lost, or already run); the job stops", version_id)
        return
    try:
        with (tempfile.TemporaryDirectory(prefix="a2d-job-") as work,
              model_service(url=settings.A2D_MODEL_SERVICE_URL)):
            result = convert(
                source=Path(version.song.upload.path),
                out_path=Path(work) / f"chart-{version.pk}.zip",
                track_name=version.track,
                model_dir=settings.A2D_MODEL_DIR,
                title=version.song.title,
                artist=version.song.artist,
                genre=version.song.genre,
                charter=version.song.charter,
                comment=version.song.comment,
                parameters=version.parameters,
                max_duration_s=settings.A2D_MAX_DURATION_S,
                on_progress=lambda stage, fraction: _record_progress(version=version, stage=stage, fraction=fraction),
            )
            with_retries(lambda: services.chart_version_mark_done(version=version, result=result),
                         what=f"Recording chart version {version_id} as done")
            logger.info("Chart version %s converted; seconds per stage: %s", version_id,
                        ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in result.stage_seconds.items()))
    except services.ChartVersionGone:
        logger.info("Chart version %s was deleted while it was converted; the job stops", version_id)
    except PipelineError as error:
        _fail(version_id=version_id, message=error.user_message)
    except Exception as error:
        if _timed_out(get_current_job(), error):
            raise  # on_job_failure words it
        message = storage_problem(error)
        if message is not None:
            logger.error("Chart version %s could not be stored: %s", version_id, error)
            _fail(version_id=version_id, message=message)
            return
        logger.exception("Chart version %s failed", version_id)
        _fail(version_id=version_id, message=UNEXPECTED_ERROR)
        raise


def _record_progress(*, version: ChartVersion, stage: str, fraction: float) -> None:
    """Progress is only shown: while the database is away the job goes on without recording it.

    A job past its time limit stops here. RQ's alarm raises its JobTimeoutException wherever
    the interpreter is when the signal lands; in a finalizer (TensorFlow's `__del__`s run
    during garbage collection) Python ignores the exception, and the job would run on."""
    job = get_current_job()
    if _past_time_limit(job):
        raise JobTimeoutException(f"Task exceeded maximum timeout value ({job.timeout} seconds)")
    try:
        services.chart_version_record_progress(version=version, stage=stage, progress=fraction)
    except TRANSIENT_ERRORS as error:
        logger.warning("Could not record the progress of chart version %s: %s", version.pk, error)


def _fail(*, version_id: int, message: str) -> None:
    with_retries(lambda: services.chart_version_mark_failed(version_id=version_id, message=message),
                 what=f"Recording chart version {version_id} as failed")


def on_job_failure(job: Job, connection, exc_type, exc_value, traceback) -> None:
    """RQ's failure callback: runs on timeouts, on exceptions, and for abandoned jobs."""
    version_id = job.args[0] if job.args else None
    if version_id is None:
        return
    if exc_type is AbandonedJobError or isinstance(exc_value, AbandonedJobError):
        # RQ lost sight of the job (its Redis heartbeat lapsed, perhaps only because Redis was
        # away): the version's own heartbeat in the database says whether it still runs.
        services.chart_version_fail_if_lapsed(version_id=version_id)
    elif _timed_out(job, exc_value):
        services.chart_version_mark_failed(version_id=version_id,
                                           message=TIMED_OUT.format(limit=_duration_text(job.timeout or 0)))
    else:
        services.chart_version_mark_failed(version_id=version_id, message=UNEXPECTED_ERROR)


def _timed_out(job: Job | None, error: BaseException | None) -> bool:
    """Whether the job ended by its time limit. The timeout's signal can land inside library
    code (numba, TensorFlow) that wraps it in an error of its own, so the clock decides too."""
    return any(isinstance(cause, JobTimeoutException) for cause in error_chain(error)) or _past_time_limit(job)


def _past_time_limit(job: Job | None) -> bool:
    """Whether `job` has run longer than its time limit; a job with no limit (RQ's -1) never has."""
    if job is None or job.timeout is None or job.timeout <= 0 or job.started_at is None:
        return False
    elapsed = (datetime.now(timezone.utc) - job.started_at.replace(tzinfo=timezone.utc)).total_seconds()
    return elapsed >= job.timeout


def _duration_text(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return "1 second" if seconds == 1 else f"{seconds:g} seconds"
