"""Writes: creating songs and chart versions, queueing them, and recording how jobs went."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

import django_rq
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError
from rq.registry import StartedJobRegistry
from rq.timeouts import TimerDeathPenalty

from charts.models import ChartVersion, Song
from processing import audio
from processing.errors import AudioError
from processing.pipeline import ConversionResult
from processing.transcription import get_track

logger = logging.getLogger(__name__)

HASH_CHUNK = 1024 * 1024
QUEUE_UNREACHABLE = "The job queue could not be reached, so the conversion did not start. Try again in a minute."


def probe_upload(*, uploaded_file: UploadedFile) -> audio.AudioProbe:
    """Check an upload with ffprobe: an audio stream, a size and a duration within the limits.

    Raises ValidationError with a sentence for the user.
    """
    if uploaded_file.size == 0:
        raise ValidationError("The file is empty.")
    if uploaded_file.size > settings.A2D_MAX_UPLOAD_BYTES:
        limit_mb = settings.A2D_MAX_UPLOAD_BYTES // (1024 * 1024)
        raise ValidationError(f"The file is larger than {limit_mb} MB. Upload a compressed file (mp3, ogg, m4a).")
    try:
        with _local_copy(uploaded_file) as path:
            info = audio.probe(path=path)
    except AudioError as error:
        raise ValidationError(error.user_message) from error
    if info.duration_s < settings.A2D_MIN_DURATION_S:
        raise ValidationError(f"The song is {info.duration_s:.1f} s long; it must last at least "
                              f"{settings.A2D_MIN_DURATION_S:.0f} s.")
    if info.duration_s > settings.A2D_MAX_DURATION_S:
        raise ValidationError(f"The song lasts {info.duration_s / 60:.1f} minutes; the limit is "
                              f"{settings.A2D_MAX_DURATION_S / 60:.0f} minutes.")
    return info


class _local_copy:
    """A path to the upload's bytes: its temporary file, or a copy of an in-memory upload."""

    def __init__(self, uploaded_file: UploadedFile):
        self.uploaded_file = uploaded_file
        self.copy: Path | None = None

    def __enter__(self) -> Path:
        path = getattr(self.uploaded_file, "temporary_file_path", None)
        if path:
            return Path(path())
        handle, name = tempfile.mkstemp(suffix=".upload")
        with os.fdopen(handle, "wb") as out:
            for chunk in self.uploaded_file.chunks():
                out.write(chunk)
        self.copy = Path(name)
        return self.copy

    def __exit__(self, *exc_info: object) -> None:
        if self.copy:
            self.copy.unlink(missing_ok=True)
        self.uploaded_file.seek(0)


def _sha256(uploaded_file: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks(HASH_CHUNK):
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


def song_create(
    *,
    owner: AbstractBaseUser,
    uploaded_file: UploadedFile,
    info: audio.AudioProbe,
    title: str,
    artist: str,
    track: str,
    parameters: dict[str, Any] | None = None,
) -> ChartVersion:
    """Store the upload as a Song and queue its first chart version.

    Title and artist fall back to the file's tags, then to its name. If anything fails, the
    stored file is removed with the rolled-back rows.
    """
    get_track(track)
    song = Song(
        owner=owner,
        title=(title or info.title or Path(uploaded_file.name).stem)[:200],
        artist=(artist or info.artist)[:200],
        original_filename=Path(uploaded_file.name).name[:255],
        sha256=_sha256(uploaded_file),
        duration_s=info.duration_s,
        sample_rate=info.sample_rate,
        channels=info.channels,
    )
    committed = []
    try:
        with transaction.atomic():
            transaction.on_commit(lambda: committed.append(True))  # runs before the enqueue callback
            song.upload.save(Path(uploaded_file.name).name, uploaded_file, save=False)
            song.save()
            return chart_version_create(song=song, track=track, parameters=parameters or {})
    except BaseException:
        if song.upload.name and not committed:
            song.upload.storage.delete(song.upload.name)
        raise


def chart_version_create(*, song: Song, track: str, parameters: dict[str, Any]) -> ChartVersion:
    """A queued chart version of `song`; the job is enqueued once the transaction commits."""
    version = ChartVersion.objects.create(
        song=song, track=track, parameters=parameters, rq_job_id=f"chart-version-{uuid.uuid4().hex}"
    )
    transaction.on_commit(lambda: chart_version_enqueue(version=version))
    return version


def chart_version_enqueue(*, version: ChartVersion) -> None:
    """Put the version's job on the queue; if Redis is down, fail the version with a message."""
    from processing.jobs import on_job_failure, process_chart_version

    queue = django_rq.get_queue(settings.A2D_QUEUE)
    try:
        queue.enqueue(
            process_chart_version,
            version.pk,
            job_id=version.rq_job_id,
            job_timeout=settings.A2D_JOB_TIMEOUT_S,
            on_failure=on_job_failure,
            result_ttl=24 * 3600,
            failure_ttl=7 * 24 * 3600,
        )
    except RedisError:
        logger.exception("Could not enqueue chart version %s", version.pk)
        chart_version_mark_failed(version_id=version.pk, message=QUEUE_UNREACHABLE)


def chart_version_mark_started(*, version_id: int) -> ChartVersion:
    version = ChartVersion.objects.select_related("song").get(pk=version_id)
    version.status = ChartVersion.Status.RUNNING
    version.stage = ChartVersion.Stage.DECODING
    version.progress = 0.0
    version.error_message = ""
    version.started_at = timezone.now()
    version.save(update_fields=["status", "stage", "progress", "error_message", "started_at"])
    return version


def chart_version_record_progress(*, version: ChartVersion, stage: str, progress: float) -> None:
    version.stage = stage
    version.progress = max(0.0, min(1.0, progress))
    version.save(update_fields=["stage", "progress"])


def chart_version_mark_done(*, version: ChartVersion, result: ConversionResult) -> None:
    with open(result.package_path, "rb") as package:
        version.package.save(result.package_path.name, File(package), save=False)
    version.status = ChartVersion.Status.DONE
    version.stage = ChartVersion.Stage.FINISHED
    version.progress = 1.0
    version.bpm = result.bpm
    version.duration_s = result.duration_s
    version.note_counts = result.note_counts
    version.levels = result.levels
    version.quantisation_error_ms = result.quantisation_error_ms
    version.warning = " ".join(result.warnings)
    version.finished_at = timezone.now()
    version.save(update_fields=[
        "package", "status", "stage", "progress", "bpm", "duration_s", "note_counts", "levels",
        "quantisation_error_ms", "warning", "finished_at",
    ])


def chart_version_mark_failed(*, version_id: int, message: str) -> None:
    """End a version that has not finished with status failed and `message` for the user.

    A version already done or failed keeps its outcome: a late failure callback for a job
    that recorded its own result changes nothing.
    """
    ChartVersion.objects.filter(pk=version_id).exclude(
        status__in=[ChartVersion.Status.DONE, ChartVersion.Status.FAILED]
    ).update(status=ChartVersion.Status.FAILED, error_message=message, finished_at=timezone.now())


def chart_version_fail_if_abandoned(*, version: ChartVersion) -> ChartVersion:
    """`version` as it stands, failed first if the worker running it has died.

    A worker renews the heartbeat of its job every few seconds (processing.jobs.ChartWorker);
    when the worker is killed (out of memory, SIGKILL, machine lost) the heartbeat lapses and
    RQ's cleanup of the started-job registry calls the job's failure callback, which fails the
    version with a message. Workers run that cleanup only between jobs, so the page that
    watches a version runs it too: a lost job never shows as running for long.
    """
    if version.is_finished:
        return version
    queue = django_rq.get_queue(settings.A2D_QUEUE)
    # The web serves requests in threads, where RQ's default (signal-based) callback timeout cannot run.
    registry = StartedJobRegistry(queue=queue, death_penalty_class=TimerDeathPenalty)
    try:
        registry.cleanup()
    except RedisError:
        logger.warning("Could not check the queue for abandoned jobs", exc_info=True)
        return version
    version.refresh_from_db()
    return version
