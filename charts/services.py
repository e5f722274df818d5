"""Writes: songs and chart versions (creating, queueing, recording how jobs went, sharing,
deleting), votes, downloads, reports and moderation."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import django_rq
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.db.models.fields.files import FieldFile
from redis.exceptions import RedisError
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus

from charts import selectors
from charts.models import (ChartVersion, DownloadRecord, ModerationAction, Report, Song, UserBan, Vote,
                           notes_per_second_for, search_text_for)
from charts.retry import with_retries
from processing import audio
from processing.errors import AudioError, storage_problem
from processing.pipeline import ConversionResult, PackageOptions
from processing.transcription import get_track

logger = logging.getLogger(__name__)

HASH_CHUNK = 1024 * 1024
# A running job's heartbeat (ChartVersion.heartbeat_at) lives this many of the worker's beats.
HEARTBEATS_TO_LAPSE = 3
# Every status change goes through _change_status: the states each status may follow. A version
# failed as lost is never marked done by a job that turns out to be alive, nor a done one failed.
STATUS_CHANGES = {
    ChartVersion.Status.RUNNING: frozenset({ChartVersion.Status.QUEUED}),
    ChartVersion.Status.DONE: frozenset({ChartVersion.Status.RUNNING}),
    ChartVersion.Status.FAILED: frozenset({ChartVersion.Status.QUEUED, ChartVersion.Status.RUNNING}),
}
# A job in one of these states is still on its way; any other (or none) means it is lost.
LIVE_JOB_STATES = frozenset({JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED})
# Putting a job on the queue is tried this many times, this far apart, before the user is told.
ENQUEUE_DELAYS_S = (0.5, 1.0, 2.0)
QUEUE_UNREACHABLE = "The job queue could not be reached, so the conversion did not start. Try again in a minute."
JOB_LOST = ("This conversion was lost from the job queue twice (the queue's server may have restarted) "
            "and was stopped. Try again.")
WORKER_LOST = ("The worker stopped in the middle of this conversion (it may have run out of memory). "
               "Try again; if it happens again, try a shorter song.")
TOO_MANY_JOBS = ("You already have {count} conversions queued or running (the limit is {limit}). "
                 "Wait until one finishes, then try again.")
TOO_MANY_SONGS = "You have {count} songs stored (the limit is {limit}). Delete one before uploading another."
NOT_FINISHED = "Only a finished chart can be shared."


@dataclass(frozen=True)
class ModerationRule:
    """What a moderator's action does: the chart states it applies to, the state it leaves
    (None: unchanged), what becomes of the chart's open reports, and the message when it
    needs a reason and was given none."""

    from_states: frozenset[str]
    to_state: str | None
    report_status: str
    reason_required: str = ""


_ANY_STATE = frozenset(ChartVersion.Moderation.values)
# A removal is undone only by a restore, and a second removal would restart the retention clock.
MODERATION_RULES = {
    ModerationAction.Action.DISMISS: ModerationRule(
        from_states=_ANY_STATE, to_state=None, report_status=Report.Status.DISMISSED),
    ModerationAction.Action.HIDE: ModerationRule(
        from_states=frozenset({ChartVersion.Moderation.VISIBLE}), to_state=ChartVersion.Moderation.HIDDEN,
        report_status=Report.Status.ACTIONED, reason_required="Say why the chart is hidden: its owner will read it."),
    ModerationAction.Action.REMOVE: ModerationRule(
        from_states=frozenset({ChartVersion.Moderation.VISIBLE, ChartVersion.Moderation.HIDDEN}),
        to_state=ChartVersion.Moderation.REMOVED, report_status=Report.Status.ACTIONED,
        reason_required="Say why the chart is removed."),
    ModerationAction.Action.RESTORE: ModerationRule(
        from_states=frozenset({ChartVersion.Moderation.HIDDEN, ChartVersion.Moderation.REMOVED}),
        to_state=ChartVersion.Moderation.VISIBLE, report_status=Report.Status.DISMISSED),
}


class Banned(Exception):
    """The user was banned by a moderator; `reason` says why, in the moderator's words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def user_check_may_act(*, user: AbstractBaseUser) -> None:
    """Raise Banned when a moderator banned `user` from uploading, rerunning, sharing, voting and reporting."""
    reason = selectors.user_ban_reason(user=user)
    if reason is not None:
        raise Banned(reason)


def _lock_user(*, user: AbstractBaseUser) -> None:
    """Serialise one user's quota checks and writes (inside a transaction), so that parallel
    requests cannot all pass a check that only one of them should."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def upload_quota_error(*, owner: AbstractBaseUser) -> str | None:
    """Why `owner` may not upload now (a quota is full), or None: told before a file is sent and probed."""
    try:
        _check_song_quota(owner=owner)
        _check_job_quota(owner=owner)
    except ValidationError as error:
        return error.messages[0]
    return None


def _check_job_quota(*, owner: AbstractBaseUser) -> None:
    count = selectors.user_active_job_count(user=owner)
    if count >= settings.A2D_MAX_ACTIVE_JOBS_PER_USER:
        raise ValidationError(TOO_MANY_JOBS.format(count=count, limit=settings.A2D_MAX_ACTIVE_JOBS_PER_USER))


def _check_song_quota(*, owner: AbstractBaseUser) -> None:
    count = selectors.user_song_count(user=owner)
    if count >= settings.A2D_MAX_SONGS_PER_USER:
        raise ValidationError(TOO_MANY_SONGS.format(count=count, limit=settings.A2D_MAX_SONGS_PER_USER))


def too_large_message() -> str:
    limit_mb = settings.A2D_MAX_UPLOAD_BYTES // (1024 * 1024)
    return f"The file is larger than {limit_mb} MB. Upload a compressed file (mp3, ogg, m4a)."


def probe_upload(*, uploaded_file: UploadedFile) -> audio.AudioProbe:
    """Check an upload: an audio stream FFmpeg reads, a size within the limit, and audio that
    really lasts between the limits (measured, not taken from the file's header).

    Raises ValidationError with a sentence for the user.
    """
    if uploaded_file.size == 0:
        raise ValidationError("The file is empty.")
    if uploaded_file.size > settings.A2D_MAX_UPLOAD_BYTES:
        raise ValidationError(too_large_message())
    try:
        with _local_copy(uploaded_file) as path:
            return audio.admit(path=path, min_duration_s=settings.A2D_MIN_DURATION_S,
                               max_duration_s=settings.A2D_MAX_DURATION_S)
    except AudioError as error:
        raise ValidationError(error.user_message) from error


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


def _store_file(*, field_file: FieldFile, name: str, content: File) -> None:
    """Save `content` as `field_file`'s file under a free name derived from `name`. A write that
    fails (a full disk) leaves no partial file behind; the error goes on to the caller."""
    field = field_file.field
    target = field_file.storage.get_available_name(field.generate_filename(field_file.instance, name),
                                                  max_length=field.max_length)
    try:
        field_file.name = field_file.storage.save(target, content, max_length=field.max_length)
    except BaseException:
        field_file.storage.delete(target)  # free a moment ago, so whatever is there is this write's
        raise


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
    genre: str = "",
    charter: str = "",
    comment: str = "",
    parameters: dict[str, Any] | None = None,
) -> ChartVersion:
    """Store the upload as a Song and queue its first chart version.

    Title and artist fall back to the file's tags, then to its name. Genre, charter and
    comment go into the header of every chart version of the song. Raises Banned for a
    banned user and ValidationError past the quotas of songs and of jobs, before storing
    anything. If anything fails, the stored file is removed with the rolled-back rows.
    """
    get_track(track)
    user_check_may_act(user=owner)
    song = Song(
        owner=owner,
        title=(title or info.title or Path(uploaded_file.name).stem)[:200],
        artist=(artist or info.artist)[:200],
        genre=genre,
        charter=charter,
        comment=comment,
        original_filename=Path(uploaded_file.name).name[:255],
        sha256=_sha256(uploaded_file),
        duration_s=info.duration_s,
        sample_rate=info.sample_rate,
        channels=info.channels,
    )
    committed = []
    try:
        with transaction.atomic():
            _lock_user(user=owner)
            _check_song_quota(owner=owner)
            _check_job_quota(owner=owner)
            transaction.on_commit(lambda: committed.append(True))  # runs before the enqueue callback
            _store_file(field_file=song.upload, name=Path(uploaded_file.name).name, content=uploaded_file)
            song.save()
            return chart_version_create(song=song, track=track, parameters=parameters or {})
    except OSError as error:
        _delete_uncommitted_upload(song=song, committed=committed)
        message = storage_problem(error)
        if message is None:
            raise
        logger.error("Could not store an upload: %s", error)
        raise ValidationError(message) from error
    except BaseException:
        _delete_uncommitted_upload(song=song, committed=committed)
        raise


def _delete_uncommitted_upload(*, song: Song, committed: list[bool]) -> None:
    if song.upload.name and not committed:
        song.upload.storage.delete(song.upload.name)


def chart_version_create(*, song: Song, track: str, parameters: dict[str, Any]) -> ChartVersion:
    """A queued chart version of `song`; the job is enqueued once the transaction commits."""
    version = ChartVersion.objects.create(
        song=song, track=track, parameters=parameters, rq_job_id=f"chart-version-{uuid.uuid4().hex}",
        search_text=search_text_for(title=song.title, artist=song.artist, uploader=song.owner.get_username()),
    )
    transaction.on_commit(lambda: chart_version_enqueue(version=version))
    return version


def chart_version_rerun(*, song: Song, user: AbstractBaseUser, track: str, parameters: dict[str, Any]) -> ChartVersion:
    """A new chart version of the song its owner already uploaded: the stored file is reused
    and earlier versions stay as they are. Raises Banned, or ValidationError past the job quota."""
    get_track(track)
    user_check_may_act(user=user)
    with transaction.atomic():
        _lock_user(user=user)
        _check_job_quota(owner=user)
        return chart_version_create(song=song, track=track, parameters=parameters)


def chart_version_enqueue(*, version: ChartVersion) -> None:
    """Put the version's job on the queue, retrying a Redis that is briefly away; if it stays
    away, fail the version with a message."""
    from charts.jobs import on_job_failure, process_chart_version

    queue = django_rq.get_queue(settings.A2D_QUEUE)
    try:
        with_retries(lambda: queue.enqueue(
            process_chart_version,
            version.pk,
            job_id=version.rq_job_id,
            job_timeout=settings.A2D_JOB_TIMEOUT_S,
            on_failure=on_job_failure,
            result_ttl=24 * 3600,
            failure_ttl=7 * 24 * 3600,
        ), what=f"Enqueueing chart version {version.pk}", delays_s=ENQUEUE_DELAYS_S)
    except RedisError:
        logger.exception("Could not enqueue chart version %s", version.pk)
        chart_version_mark_failed(version_id=version.pk, message=QUEUE_UNREACHABLE)


def _change_status(*, version_id: int, status: str, only_if: Q = Q(), **fields: Any) -> bool:
    """Move the version to `status` (with `fields`) if its status allows it (STATUS_CHANGES)
    and it matches `only_if`; whether it moved. The check and the write are one UPDATE, so two
    writers cannot both pass."""
    return bool(ChartVersion.objects.filter(only_if, pk=version_id, status__in=STATUS_CHANGES[status])
                .update(status=status, **fields))


def chart_version_mark_started(*, version_id: int) -> ChartVersion | None:
    """The queued version, now running; None when it is no longer queued (failed as lost, or
    a duplicate of a job that already ran). Raises ChartVersion.DoesNotExist once it was deleted."""
    song_s, parameters = ChartVersion.objects.values_list("song__duration_s", "parameters").get(pk=version_id)
    expected_s = selectors.expected_job_seconds(
        duration_s=song_s or 0.0, separated=PackageOptions.pop_from(dict(parameters)).needs_separation)
    now = timezone.now()
    started = _change_status(version_id=version_id, status=ChartVersion.Status.RUNNING,
                             stage=ChartVersion.Stage.DECODING, progress=0.0, error_message="", started_at=now,
                             heartbeat_at=now, expected_seconds=expected_s)
    version = ChartVersion.objects.select_related("song").get(pk=version_id)
    return version if started else None


def chart_version_beat(*, version_id: int) -> None:
    """Renew a running version's heartbeat: its job is alive."""
    ChartVersion.objects.filter(pk=version_id, status=ChartVersion.Status.RUNNING).update(heartbeat_at=timezone.now())


class ChartVersionGone(Exception):
    """The version a job is converting was deleted by its owner: the job stops."""


def chart_version_record_progress(*, version: ChartVersion, stage: str, progress: float) -> None:
    """Record how far the job is; raises ChartVersionGone once the owner deleted the version."""
    version.stage = stage
    version.progress = max(0.0, min(1.0, progress))
    if not ChartVersion.objects.filter(pk=version.pk).update(stage=version.stage, progress=version.progress):
        raise ChartVersionGone(version.pk)


def chart_version_mark_done(*, version: ChartVersion, result: ConversionResult) -> None:
    """Store the package and the chart's figures. A version deleted, or failed as lost, while
    its job ran keeps nothing: the package just stored is removed again, as it is when the
    write of the figures fails (the job may try again)."""
    with open(result.package_path, "rb") as package:
        _store_file(field_file=version.package, name=result.package_path.name, content=File(package))
    try:
        updated = _change_status(
            version_id=version.pk,
            status=ChartVersion.Status.DONE,
            package=version.package.name,
            stage=ChartVersion.Stage.FINISHED,
            progress=1.0,
            bpm=result.bpm,
            duration_s=result.duration_s,
            note_counts=result.note_counts,
            levels=result.levels,
            quantisation_error_ms=result.quantisation_error_ms,
            close_call_shift=result.close_call_shift,
            warning=" ".join(result.warnings),
            finished_at=timezone.now(),
            stage_seconds=result.stage_seconds,
            notes_per_second=notes_per_second_for(note_counts=result.note_counts, duration_s=result.duration_s),
        )
    except BaseException:
        version.package.storage.delete(version.package.name)
        raise
    if not updated:
        logger.info("Chart version %s was deleted or ended while it ran; its package is discarded", version.pk)
        version.package.storage.delete(version.package.name)


def chart_version_mark_failed(*, version_id: int, message: str, only_if: Q = Q()) -> bool:
    """End a version that has not finished (and matches `only_if`) with status failed and
    `message` for the user; whether it did. A version already done or failed keeps its
    outcome: a late failure callback for a job that recorded its own result changes nothing."""
    return _change_status(version_id=version_id, status=ChartVersion.Status.FAILED, only_if=only_if,
                          error_message=message, finished_at=timezone.now())


def _heartbeat_lapsed_before(now: datetime) -> Q:
    """Running versions whose job has not renewed its heartbeat for HEARTBEATS_TO_LAPSE beats."""
    cutoff = now - timedelta(seconds=HEARTBEATS_TO_LAPSE * settings.A2D_WORKER_HEARTBEAT_S)
    return Q(status=ChartVersion.Status.RUNNING) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))


def chart_version_fail_if_lapsed(*, version_id: int) -> bool:
    """Fail a running version whose worker stopped renewing its heartbeat (killed, out of
    memory, machine lost); whether it did. One whose heartbeat is fresh is still converting,
    even when Redis lost track of its job."""
    # One UPDATE: a beat landing between a check and a write cannot be overruled.
    return chart_version_mark_failed(version_id=version_id, message=WORKER_LOST,
                                     only_if=_heartbeat_lapsed_before(timezone.now()))


@dataclass(frozen=True)
class Reconciliation:
    """What one pass of `chart_versions_reconcile` did, by version id."""

    failed_as_lost: list[int]
    requeued: list[int]
    failed_queue_lost: list[int]


def chart_versions_reconcile() -> Reconciliation:
    """Bring the versions' states back in line with the job queue; the workers run it every
    A2D_RECONCILE_EVERY_S (charts.worker.ChartWorker).

    - A running version whose heartbeat lapsed is failed: its worker is gone.
    - A version queued for longer than one period whose job is not on the queue (the process
      died between the commit and the enqueue, or Redis lost its data) is enqueued again,
      once; lost a second time, it is failed with a message.
    Raises RedisError when the queue cannot be read (nothing is changed then).
    """
    now = timezone.now()
    failed_as_lost = [pk for pk in ChartVersion.objects.filter(_heartbeat_lapsed_before(now)).values_list("pk", flat=True)
                      if chart_version_fail_if_lapsed(version_id=pk)]
    waited = now - timedelta(seconds=settings.A2D_RECONCILE_EVERY_S)
    overdue = ChartVersion.objects.filter(status=ChartVersion.Status.QUEUED).filter(
        Q(requeued_at__isnull=True, created_at__lt=waited) | Q(requeued_at__lt=waited))
    connection = django_rq.get_connection(settings.A2D_QUEUE)
    requeued, failed_queue_lost = [], []
    for version in overdue:
        if _job_is_live(job_id=version.rq_job_id, connection=connection):
            continue
        if version.requeued_at is not None:
            if chart_version_mark_failed(version_id=version.pk, message=JOB_LOST):
                failed_queue_lost.append(version.pk)
        elif ChartVersion.objects.filter(pk=version.pk, status=ChartVersion.Status.QUEUED,
                                         requeued_at__isnull=True).update(requeued_at=now):
            chart_version_enqueue(version=version)
            requeued.append(version.pk)
    return Reconciliation(failed_as_lost=failed_as_lost, requeued=requeued, failed_queue_lost=failed_queue_lost)


def _job_is_live(*, job_id: str, connection) -> bool:
    try:
        return Job.fetch(job_id, connection=connection).get_status() in LIVE_JOB_STATES
    except NoSuchJobError:
        return False


# Sharing and deleting: the owner's changes (selectors.chart_version_get_for_change guards them)

def chart_version_set_visibility(*, version: ChartVersion, visibility: str) -> ChartVersion:
    """Share a finished version privately, by link or publicly; the first time it becomes
    public is its publication date in Browse. Raises Banned when a banned owner shares."""
    if visibility not in ChartVersion.Visibility.values:
        raise ValidationError(f"Unknown visibility '{visibility}'.")
    if visibility != ChartVersion.Visibility.PRIVATE:
        user_check_may_act(user=version.song.owner)
        if version.status != ChartVersion.Status.DONE:
            raise ValidationError(NOT_FINISHED)
    version.visibility = visibility
    fields = ["visibility"]
    if visibility == ChartVersion.Visibility.PUBLIC and version.published_at is None:
        version.published_at = timezone.now()
        fields.append("published_at")
    version.save(update_fields=fields)
    return version


def _delete_files_on_commit(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete)


def _cancel_job(*, version: ChartVersion) -> None:
    """Take a queued job off the queue; a running one stops at its next progress report
    (ChartVersionGone), and one that cannot be cancelled finds its version gone when it starts."""
    if version.status != ChartVersion.Status.QUEUED or not version.rq_job_id:
        return
    try:
        Job.fetch(version.rq_job_id, connection=django_rq.get_connection(settings.A2D_QUEUE)).cancel()
    except (NoSuchJobError, InvalidJobOperation, RedisError, ValueError):
        logger.info("Job of chart version %s could not be cancelled", version.pk, exc_info=True)


@transaction.atomic
def chart_version_delete(*, version: ChartVersion) -> None:
    """Delete one chart version and its package; the song and its other versions stay."""
    # Locked and read again: a job that finished since the page was read may have stored a
    # package, and a second request may have deleted the version already.
    version = ChartVersion.objects.select_for_update().filter(pk=version.pk).first()
    if version is None:
        return
    if version.package:
        _delete_files_on_commit([version.package.name])
    transaction.on_commit(lambda: _cancel_job(version=version))
    version.delete()


@transaction.atomic
def song_delete(*, song: Song) -> None:
    """Delete a song, every chart version of it, the uploaded file and the packages."""
    versions = list(song.versions.select_for_update())
    _delete_files_on_commit([song.upload.name] + [version.package.name for version in versions if version.package])
    for version in versions:
        transaction.on_commit(lambda version=version: _cancel_job(version=version))
    song.delete()


# Votes, downloads and reports

def vote_cast(*, user: AbstractBaseUser, version: ChartVersion, value: int) -> ChartVersion:
    """Record the user's thumbs up (+1) or down (-1), replacing an earlier vote; 0 takes the
    vote back. The version's tallies are recounted from the votes, under a lock of the
    version's row, so they cannot drift. Raises Banned, and ValidationError on one's own chart."""
    if value not in (Vote.UP, Vote.DOWN, 0):
        raise ValidationError("A vote is up or down.")
    user_check_may_act(user=user)
    if version.song.owner_id == user.pk:
        raise ValidationError("You cannot vote on your own chart.")
    with transaction.atomic():
        # Locked so that two voters' recounts cannot each miss the other's vote.
        ChartVersion.objects.select_for_update().filter(pk=version.pk).first()
        if value:
            Vote.objects.update_or_create(user=user, version=version, defaults={"value": value})
        else:
            Vote.objects.filter(user=user, version=version).delete()
        tally = Vote.objects.filter(version=version).aggregate(
            votes_up=Count("pk", filter=Q(value=Vote.UP)), votes_down=Count("pk", filter=Q(value=Vote.DOWN)))
        ChartVersion.objects.filter(pk=version.pk).update(**tally)
    version.refresh_from_db(fields=["votes_up", "votes_down", "score"])  # the database derives the score
    return version


def download_record(*, version: ChartVersion, user: selectors.Viewer, address: str) -> None:
    """Count a download by someone other than the chart's owner, once per visitor per day. A
    visitor is a user, or logged out a salted hash of their address (the address is not stored)."""
    if user.is_authenticated:
        if user.pk == version.song.owner_id:
            return
        visitor = f"user:{user.pk}"
    else:
        visitor = "address:" + hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:40]
    try:
        with transaction.atomic():
            DownloadRecord.objects.create(version=version, visitor=visitor, day=timezone.localdate())
    except IntegrityError:
        return  # already counted today
    ChartVersion.objects.filter(pk=version.pk).update(download_count=F("download_count") + 1)


def report_create(*, reporter: AbstractBaseUser, version: ChartVersion, reason: str, text: str) -> Report:
    """A report of a shared chart for the moderators. Raises Banned; a private chart (seen
    only by its owner) and one's own chart cannot be reported."""
    user_check_may_act(user=reporter)
    if version.visibility == ChartVersion.Visibility.PRIVATE:
        raise ValidationError("A private chart cannot be reported.")
    if version.song.owner_id == reporter.pk:
        raise ValidationError("This is your own chart: change or delete it instead of reporting it.")
    # A second report while the first is open replaces it: one voice per player in the queue.
    report, _ = Report.objects.update_or_create(reporter=reporter, version=version, status=Report.Status.OPEN,
                                                defaults={"reason": reason, "text": text.strip()})
    return report


# Moderation: every action closes the chart's open reports and writes the audit log

def _audit(*, actor: AbstractBaseUser | None, action: str, reason: str, version: ChartVersion | None = None,
           target_user: AbstractBaseUser | None = None) -> None:
    subject = str(version) if version is not None else str(target_user)
    ModerationAction.objects.create(actor=actor, action=action, version=version, target_user=target_user,
                                    subject=subject[:300], reason=reason)


@transaction.atomic
def chart_version_moderate(*, actor: AbstractBaseUser, version: ChartVersion, action: str, reason: str) -> None:
    """Take a moderator's `action` on the chart by MODERATION_RULES: set its moderation state,
    close its open reports and log the action. Raises ValidationError when the chart's state
    does not allow the action, or when the action needs a reason and none is given."""
    rule = MODERATION_RULES[action]
    reason = reason.strip()
    # The row is locked and read again: two moderators acting at once cannot both pass the check.
    version = ChartVersion.objects.select_for_update().get(pk=version.pk)
    if version.moderation not in rule.from_states:
        raise ValidationError(f"{version.get_moderation_display()}: “{action}” does not apply to this chart.")
    if rule.reason_required and not reason:
        raise ValidationError(rule.reason_required)
    if rule.to_state is not None:
        version.moderation = rule.to_state
        version.moderation_reason = reason
        version.removed_at = timezone.now() if rule.to_state == ChartVersion.Moderation.REMOVED else None
        version.save(update_fields=["moderation", "moderation_reason", "removed_at"])
    version.reports.filter(status=Report.Status.OPEN).update(status=rule.report_status, resolved_by=actor,
                                                             resolved_at=timezone.now())
    _audit(actor=actor, action=action, version=version, reason=reason)


@transaction.atomic
def user_ban(*, actor: AbstractBaseUser, user: AbstractBaseUser, reason: str) -> None:
    """Ban `user` from uploading, rerunning, sharing, voting and reporting; they are told `reason`."""
    if not reason.strip():
        raise ValidationError("Say why the user is banned: they will read it.")
    if user.is_staff:
        raise ValidationError("Staff cannot be banned here; change their account in the admin.")
    UserBan.objects.update_or_create(user=user, defaults={"reason": reason.strip(), "banned_by": actor})
    _audit(actor=actor, action=ModerationAction.Action.BAN, target_user=user, reason=reason.strip())


@transaction.atomic
def user_unban(*, actor: AbstractBaseUser, user: AbstractBaseUser) -> None:
    """Lift `user`'s ban."""
    if UserBan.objects.filter(user=user).delete()[0]:
        _audit(actor=actor, action=ModerationAction.Action.UNBAN, target_user=user, reason="")


def purge_removed(*, now: datetime | None = None) -> int:
    """Delete the chart versions removed longer ago than the retention period, with their
    packages (and a song's upload once no version of it is left). Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.A2D_REMOVED_RETENTION_DAYS)
    expired = ChartVersion.objects.filter(moderation=ChartVersion.Moderation.REMOVED, removed_at__lt=cutoff)
    purged = 0
    for version_id in list(expired.values_list("pk", flat=True)):
        with transaction.atomic():
            # Locked and checked again: restored, or purged by another process, since the list was read.
            version = expired.select_for_update().select_related("song").filter(pk=version_id).first()
            if version is None:
                continue
            _audit(actor=None, action=ModerationAction.Action.PURGE, version=version,
                   reason=f"removed on {version.removed_at:%Y-%m-%d}: {version.moderation_reason}")
            song = version.song
            chart_version_delete(version=version)
            if not song.versions.exists():
                song_delete(song=song)
        purged += 1
    return purged
