"""RQ jobs: the one place where the pipeline meets the database.

A job takes a chart version's primary key, loads it, runs the pipeline and records the
outcome through charts.services. Every way a job can end badly lands in
`chart_version_mark_failed` with a sentence for the user:
- the pipeline raises PipelineError: its own message;
- anything else raises: a generic message (the traceback stays in RQ's failed registry);
- the job times out: `on_job_failure`;
- the worker is killed mid-job (out of memory, SIGKILL, machine lost): its heartbeat lapses
  and RQ's abandoned-job cleanup calls `on_job_failure` (see `ChartWorker`).
"""

from __future__ import annotations

import logging
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path

from rq import SimpleWorker, get_current_job
from rq.exceptions import AbandonedJobError
from rq.executions import Execution
from rq.job import Job
from rq.worker import WorkerStatus
from rq.timeouts import JobTimeoutException

from processing.errors import PipelineError
from processing.memory import release_freed_memory

logger = logging.getLogger(__name__)

# A running job's heartbeat lives this many beats: a worker that misses them is taken for dead.
HEARTBEATS_TO_LAPSE = 3
# Charts that moderators removed are purged once a day, by whichever worker takes this key first.
PURGE_REMOVED_KEY = "audio2dtx:purge-removed"
PURGE_REMOVED_EVERY_S = 24 * 3600

UNEXPECTED_ERROR = "Something went wrong while converting this song. Try again, or try another track."
TIMED_OUT = "The conversion took longer than its time limit ({limit}) and was stopped. Try a shorter song, or try again later."
WORKER_LOST = ("The worker stopped in the middle of this conversion (it may have run out of memory). "
               "Try again; if it happens again, try a shorter song.")


def process_chart_version(version_id: int) -> None:
    from django.conf import settings

    from charts import services
    from charts.models import ChartVersion
    from processing.pipeline import convert

    try:
        version = services.chart_version_mark_started(version_id=version_id)
    except ChartVersion.DoesNotExist:
        logger.info("Chart version %s was deleted before its job started", version_id)
        return
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
    except services.ChartVersionGone:
        logger.info("Chart version %s was deleted while it was converted; the job stops", version_id)
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


class ChartWorker(SimpleWorker):
    """RQ's worker, running each job in the worker process itself instead of a forked work horse.

    The pipeline's models (Spleeter's TensorFlow graph and session, the Frame_RNN) are
    built on a process's first job and kept by the modules that own them: a forked horse
    would rebuild them for every song (6-15 s for Spleeter's graph) and throw them away.

    The price is that a crash or an out-of-memory kill takes the worker (Docker restarts
    it), so the job it held must not wait for its time limit to be declared lost: a
    thread renews the job's heartbeat every `A2D_WORKER_HEARTBEAT_S` seconds, and once
    HEARTBEATS_TO_LAPSE beats are missed RQ's abandoned-job cleanup (run by workers
    between jobs and by the page that shows the job's progress) fails the chart version.
    """

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.job_monitoring_interval = settings.A2D_WORKER_HEARTBEAT_S
        # Imported once, before the first job: librosa and TensorFlow take seconds.
        import processing.pipeline  # noqa: F401
        import processing.transcription.adtof.network  # noqa: F401

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return HEARTBEATS_TO_LAPSE * self.job_monitoring_interval

    def run_maintenance_tasks(self) -> None:
        """RQ's housekeeping (at start, then every few minutes), and the daily purge of removed charts."""
        super().run_maintenance_tasks()
        if self.connection.set(PURGE_REMOVED_KEY, self.name, nx=True, ex=PURGE_REMOVED_EVERY_S):
            self._purge_removed_charts()

    def _purge_removed_charts(self) -> None:
        from django.db import close_old_connections

        from charts.services import purge_removed

        close_old_connections()
        try:
            logger.info("Purged %d chart versions removed past their retention period", purge_removed())
        except Exception:  # housekeeping must not stop the worker; tomorrow's run tries again
            logger.exception("Could not purge removed chart versions")
        finally:
            close_old_connections()

    def execute_job(self, job: Job, queue) -> None:
        from django.db import close_old_connections

        # A long-lived process must not reuse a database connection that went stale between jobs.
        close_old_connections()
        execution = self.prepare_execution(job)
        finished = threading.Event()
        beats = threading.Thread(target=self._beat, kwargs={"job": job, "execution": execution, "finished": finished},
                                 name="job-heartbeat", daemon=True)
        beats.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            finished.set()
            beats.join()
            close_old_connections()
            release_freed_memory()
        self.set_state(WorkerStatus.IDLE)

    def _beat(self, *, job: Job, execution: Execution, finished: threading.Event) -> None:
        """Renew the worker's, the execution's and the job's heartbeats until the job ends."""
        while not finished.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job, execution)
            except Exception:  # a missed beat is retried; the job itself must go on
                logger.warning("Could not renew the heartbeat of job %s", job.id, exc_info=True)
