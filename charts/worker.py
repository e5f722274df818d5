"""The RQ worker that runs chart jobs (settings.RQ["WORKER_CLASS"]).

Besides running jobs it keeps two clocks: a heartbeat per running job, written to the
version's row, and the reconciler, which every A2D_RECONCILE_EVERY_S compares the versions'
states with the queue (charts.services.chart_versions_reconcile), so that no version stays
queued or running for ever whether or not anyone watches its page.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from rq import SimpleWorker
from rq.executions import Execution
from rq.job import Job
from rq.worker import WorkerStatus

from charts import services
from processing.memory import release_freed_memory

logger = logging.getLogger(__name__)

# Whichever worker sets this key first runs the reconciler (it expires just before the next
# period) or the daily purge of removed charts.
RECONCILE_KEY = "audio2dtx:reconcile"
PURGE_REMOVED_KEY = "audio2dtx:purge-removed"
PURGE_REMOVED_EVERY_S = 24 * 3600


class ChartWorker(SimpleWorker):
    """RQ's worker, running each job in the worker process itself instead of a forked work horse.

    The pipeline's models (Spleeter's TensorFlow graph and session, the Frame_RNN) are
    built on a process's first job and kept by the modules that own them: a forked horse
    would rebuild them for every song (6-15 s for Spleeter's graph) and throw them away.

    The price is that a crash or an out-of-memory kill takes the worker (Docker restarts
    it), so the job it held must be declared lost without waiting for its time limit: a
    thread renews the job's heartbeats (RQ's in Redis, the version's in the database) every
    `A2D_WORKER_HEARTBEAT_S` seconds, and the reconciler, which runs in a thread of every
    worker, fails a version whose heartbeat lapsed. The reconciler is a thread, not a job
    on RQ's scheduler, because a scheduled job would wait behind the conversions it checks.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.job_monitoring_interval = settings.A2D_WORKER_HEARTBEAT_S
        # Imported once, before the first job: librosa and TensorFlow take seconds. With a model
        # service the networks run there, and TensorFlow (300 MB) is never imported here.
        import processing.pipeline  # noqa: F401
        if settings.A2D_MODEL_SERVICE_URL is None:
            import processing.transcription.adtof.network  # noqa: F401

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return services.HEARTBEATS_TO_LAPSE * self.job_monitoring_interval

    def work(self, *args, **kwargs) -> bool:
        threading.Thread(target=self._reconcile_periodically, name="reconciler", daemon=True).start()
        if settings.A2D_WORKER_HEARTBEAT_FILE:
            threading.Thread(target=self._touch_liveness_file, name="liveness", daemon=True).start()
        return super().work(*args, **kwargs)

    def _touch_liveness_file(self) -> None:
        """Touch A2D_WORKER_HEARTBEAT_FILE every heartbeat while Redis answers: the container's
        health check (scripts/healthcheck.py worker) reads its age. A thread, so that a long job
        does not read as a dead worker; a worker that cannot reach its queue stops touching it."""
        path = Path(settings.A2D_WORKER_HEARTBEAT_FILE)
        while True:
            try:
                self.connection.ping()
                path.touch()
            except Exception:  # Redis away, or the file's folder: the health check will say so
                logger.warning("The worker's liveness file %s was not renewed", path, exc_info=True)
            time.sleep(settings.A2D_WORKER_HEARTBEAT_S)

    def _reconcile_periodically(self) -> None:
        period_s = settings.A2D_RECONCILE_EVERY_S
        while True:
            try:
                if self.connection.set(RECONCILE_KEY, self.name, nx=True, ex=max(1, period_s - 1)):
                    self._reconcile()
            except Exception:  # Redis or the database away: the next period tries again
                logger.warning("The reconciler could not run", exc_info=True)
            time.sleep(period_s)

    def _reconcile(self) -> None:
        close_old_connections()
        try:
            outcome = services.chart_versions_reconcile()
        finally:
            close_old_connections()
        if outcome.failed_as_lost or outcome.requeued or outcome.failed_queue_lost:
            logger.warning("Reconciled chart versions: failed as lost %s, enqueued again %s, lost twice %s",
                           outcome.failed_as_lost, outcome.requeued, outcome.failed_queue_lost)

    def run_maintenance_tasks(self) -> None:
        """RQ's housekeeping (at start, then every few minutes), and the daily purge of removed charts."""
        super().run_maintenance_tasks()
        if self.connection.set(PURGE_REMOVED_KEY, self.name, nx=True, ex=PURGE_REMOVED_EVERY_S):
            self._purge_removed_charts()

    def _purge_removed_charts(self) -> None:
        close_old_connections()
        try:
            logger.info("Purged %d chart versions removed past their retention period", services.purge_removed())
        except Exception:  # housekeeping must not stop the worker; tomorrow's run tries again
            logger.exception("Could not purge removed chart versions")
        finally:
            close_old_connections()

    def execute_job(self, job: Job, queue) -> None:
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
        """Renew the job's heartbeats until it ends; a beat that fails (Redis or the database
        away) is only logged: the job goes on, and the next beat tries again."""
        version_id = job.args[0] if job.args else None
        while not finished.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job, execution)
            except Exception:
                logger.warning("Could not renew the heartbeat of job %s in Redis", job.id, exc_info=True)
            if version_id is None:
                continue
            try:
                services.chart_version_beat(version_id=version_id)
            except Exception:
                logger.warning("Could not renew the heartbeat of chart version %s", version_id, exc_info=True)
                close_old_connections()
        close_old_connections()  # this thread's own connection
