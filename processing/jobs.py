"""RQ jobs: the one place where the pipeline meets the database.

A job takes a chart version's primary key, loads it, runs the pipeline and records the
outcome through charts.services. Every way a job can end badly lands in
`chart_version_mark_failed` with a sentence for the user:
- the pipeline raises PipelineError: its own message;
- anything else raises: a generic message (the traceback stays in RQ's failed registry);
- the job times out, or its worker is lost (RQ's abandoned-job cleanup): `on_job_failure`;
- the work horse is killed (out of memory, SIGKILL): `ChartWorker.handle_work_horse_killed`.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from rq import Worker, get_current_job
from rq.exceptions import AbandonedJobError
from rq.job import Job
from rq.timeouts import JobTimeoutException

from processing.errors import PipelineError

logger = logging.getLogger(__name__)

UNEXPECTED_ERROR = "Something went wrong while converting this song. Try again, or try another track."
TIMED_OUT = "The conversion took longer than its time limit ({limit}) and was stopped. Try a shorter song, or try again later."
WORKER_LOST = ("The worker stopped in the middle of this conversion (it may have run out of memory). "
               "Try again; if it happens again, try a shorter song.")


def process_chart_version(version_id: int) -> None:
    from django.conf import settings

    from charts import services
    from processing.pipeline import convert

    version = services.chart_version_mark_started(version_id=version_id)
    song = version.song
    try:
        with tempfile.TemporaryDirectory(prefix="a2d-job-") as work:
            result = convert(
                source=Path(song.upload.path),
                out_path=Path(work) / f"chart-{version.pk}.zip",
                track_name=version.track,
                model_dir=settings.A2D_MODEL_DIR,
                title=song.title,
                artist=song.artist,
                parameters=version.parameters,
                on_progress=lambda stage, fraction: services.chart_version_record_progress(
                    version=version, stage=stage, progress=fraction
                ),
            )
            services.chart_version_mark_done(version=version, result=result)
    except PipelineError as error:
        services.chart_version_mark_failed(version_id=version_id, message=error.user_message)
    except Exception as error:
        if _timed_out(get_current_job(), error):
            raise  # on_job_failure words it
        logger.exception("Chart version %s failed", version_id)
        services.chart_version_mark_failed(version_id=version_id, message=UNEXPECTED_ERROR)
        raise


def on_job_failure(job: Job, connection, exc_type, exc_value, traceback) -> None:
    """RQ's failure callback: runs on timeouts, on exceptions, and for abandoned jobs."""
    if _timed_out(job, exc_value):
        message = TIMED_OUT.format(limit=_duration_text(job.timeout or 0))
    elif exc_type is AbandonedJobError or isinstance(exc_value, AbandonedJobError):
        message = WORKER_LOST
    else:
        message = UNEXPECTED_ERROR
    _mark_failed(job, message)


def _timed_out(job: Job | None, error: BaseException | None) -> bool:
    """Whether the job ended by its time limit. The timeout's signal can land inside library
    code (numba, TensorFlow) that wraps it in an error of its own, so the clock decides too."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, JobTimeoutException):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    if job is None or not job.timeout or job.started_at is None:
        return False
    elapsed = (datetime.now(timezone.utc) - job.started_at.replace(tzinfo=timezone.utc)).total_seconds()
    return elapsed >= job.timeout


def _duration_text(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds >= 120 else f"{seconds:g} seconds"


def _mark_failed(job: Job, message: str) -> None:
    from charts.services import chart_version_mark_failed

    version_id = job.args[0] if job.args else None
    if version_id is not None:
        chart_version_mark_failed(version_id=version_id, message=message)


class ChartWorker(Worker):
    """RQ's worker, plus:
    - the pipeline's libraries (librosa, TensorFlow: seconds to import) are imported once
      here, so each forked work horse starts with them;
    - a work horse killed mid-job fails its chart version (RQ moves such a job to the failed
      registry without calling its failure callback).

    Each job still runs in its own forked horse: a crash or an out-of-memory kill takes one
    job, not the worker, and a job's memory returns to the system when it ends.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        import processing.pipeline  # noqa: F401
        import processing.transcription.adtof.network  # noqa: F401

    def execute_job(self, job: Job, queue) -> None:
        from django.db import connections

        # The horse is forked from this process: it must not inherit an open database socket.
        connections.close_all()
        super().execute_job(job, queue)

    def handle_work_horse_killed(self, job: Job, retpid, ret_val, rusage) -> None:
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        logger.warning("Work horse for job %s was killed (status %s)", job.id, ret_val)
        _mark_failed(job, WORKER_LOST)
