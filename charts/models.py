"""Songs users upload, the chart versions made from them, and the community around them.

A Song is the uploaded audio; each ChartVersion is one run of the pipeline on it with a
track and its parameters, shared one by one (private, unlisted, public) and moderated by
staff. Who may see or change what is decided in selectors.py, in one place.
"""

import math
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from processing.pipeline import BGM_DRUMLESS, LEVEL_PARAMETER, LEVEL_SCALE, PackageOptions
from processing.timing import STAGES

DIFFICULTY_LABELS = ("BASIC", "ADVANCED", "EXTREME", "MASTER")
SHARE_TOKEN_BYTES = 16  # 128 bits: an unlisted chart's link cannot be guessed
LEVEL_COLUMNS = {label: f"level_{label.lower()}" for label in DIFFICULTY_LABELS}
BROWSE_FILTER_COLUMNS = ["track", "bpm", "duration_s", "notes_per_second", *LEVEL_COLUMNS.values()]
# Browse and the API list only these: public, not moderated away, and finished.
LISTED = Q(visibility="public", moderation="visible", status="done")
# The song's lines of each .dtx header (#GENRE, and the charter and comment in #COMMENT):
# short enough to read in DTXMania's song list.
GENRE_MAX_LENGTH = 64
CHARTER_MAX_LENGTH = 100
COMMENT_MAX_LENGTH = 300
# Before this share of the job, its progress says too little to scale the time spent by.
MIN_PROGRESS_TO_EXTRAPOLATE = 0.1


def search_text_for(*, title: str, artist: str, uploader: str) -> str:
    """What Browse's text search reads: title, artist and uploader, lower case."""
    return " ".join((title, artist, uploader)).lower()


def notes_per_second_for(*, note_counts: dict[str, int], duration_s: float | None) -> float | None:
    """A chart's density: its notes (of all lanes) over the song's length in seconds."""
    return sum(note_counts.values()) / duration_s if duration_s else None


def _level_of(label: str) -> models.GeneratedField:
    """A difficulty's #DLEVEL, copied by the database from `levels` into an indexable column."""
    return models.GeneratedField(expression=Cast(KT(f"levels__{label}"), models.IntegerField()),
                                 output_field=models.IntegerField(null=True), db_persist=True)


def song_upload_path(song: "Song", filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "audio"
    return f"songs/{uuid.uuid4().hex}/original.{extension[:8]}"


def package_path(version: "ChartVersion", filename: str) -> str:
    return f"packages/{uuid.uuid4().hex}/{filename}"


def new_share_token() -> str:
    """An unguessable reference for links to unlisted charts; never all digits, so it can
    never be mistaken for a sequential id in a URL."""
    while True:
        token = secrets.token_urlsafe(SHARE_TOKEN_BYTES)
        if not token.isdigit():
            return token


class Song(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="songs")
    title = models.CharField(max_length=200)
    artist = models.CharField(max_length=200, blank=True)
    # Written into every chart version's header (processing.pipeline.convert).
    genre = models.CharField(max_length=GENRE_MAX_LENGTH, blank=True)
    charter = models.CharField(max_length=CHARTER_MAX_LENGTH, blank=True)
    comment = models.CharField(max_length=COMMENT_MAX_LENGTH, blank=True)
    upload = models.FileField(upload_to=song_upload_path)
    original_filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    duration_s = models.FloatField()
    sample_rate = models.PositiveIntegerField()
    channels = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.artist} – {self.title}" if self.artist else self.title


class ChartVersion(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Visibility(models.TextChoices):
        PRIVATE = "private", "Private (only you)"
        UNLISTED = "unlisted", "Unlisted (anyone with the link)"
        PUBLIC = "public", "Public (listed in Browse)"

    class Moderation(models.TextChoices):
        VISIBLE = "visible", "Visible"
        HIDDEN = "hidden", "Hidden by a moderator"
        REMOVED = "removed", "Removed by a moderator"

    class Stage(models.TextChoices):
        QUEUED = "queued", "Queued"
        DECODING = "decoding", "Decoding"
        SEPARATING = "separating", "Separating the drums"
        ANALYSING = "analysing", "Analysing"
        TRANSCRIBING = "transcribing", "Transcribing"
        WRITING = "writing", "Writing package"
        FINISHED = "finished", "Finished"

    song = models.ForeignKey(Song, on_delete=models.CASCADE, related_name="versions")
    track = models.CharField(max_length=64)
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.QUEUED)
    progress = models.FloatField(default=0.0)
    error_message = models.TextField(blank=True)
    warning = models.TextField(blank=True)
    package = models.FileField(upload_to=package_path, blank=True)
    bpm = models.FloatField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    note_counts = models.JSONField(default=dict, blank=True)  # MASTER chart: lane -> notes
    levels = models.JSONField(default=dict, blank=True)  # difficulty label -> #DLEVEL
    quantisation_error_ms = models.FloatField(null=True, blank=True)
    # Where the tracker's bar lines were a close call, how many beats later their rival falls
    # (processing.rhythm.CLOSE_CALL_NATS); 0 where they were clear or set by the owner.
    close_call_shift = models.PositiveSmallIntegerField(default=0)
    rq_job_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Renewed by the worker every few seconds while the job runs: one that lapses is a lost job.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When the reconciler put a job that had gone missing back on the queue (it does so once).
    requeued_at = models.DateTimeField(null=True, blank=True)
    # How long the job should take, from the jobs before it (selectors.expected_job_seconds),
    # set when it starts: the progress bar's estimate of the time left.
    expected_seconds = models.FloatField(null=True, blank=True)
    # Seconds each stage of the conversion took (processing.timing.STAGES), once it is done.
    stage_seconds = models.JSONField(default=dict, blank=True)

    # Sharing and moderation
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE)
    share_token = models.CharField(max_length=32, unique=True, default=new_share_token, editable=False)
    published_at = models.DateTimeField(null=True, blank=True)  # when it first became public
    moderation = models.CharField(max_length=8, choices=Moderation.choices, default=Moderation.VISIBLE)
    moderation_reason = models.TextField(blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    # Copies for Browse, so that its filters and sorts read indexed columns: the services write
    # search_text (search_text_for) and notes_per_second (notes_per_second_for); the database
    # derives the levels and the score.
    search_text = models.TextField(blank=True)
    level_basic = _level_of("BASIC")
    level_advanced = _level_of("ADVANCED")
    level_extreme = _level_of("EXTREME")
    level_master = _level_of("MASTER")
    notes_per_second = models.FloatField(null=True, blank=True)
    download_count = models.PositiveIntegerField(default=0)
    votes_up = models.PositiveIntegerField(default=0)
    votes_down = models.PositiveIntegerField(default=0)
    score = models.GeneratedField(expression=F("votes_up") - F("votes_down"), output_field=models.IntegerField(),
                                  db_persist=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Browse reads only listed charts: one small index per sort order. The newest-first
            # one also carries every filtered column (PostgreSQL), so that counting the charts
            # a filter matches never reads the wide table.
            models.Index(fields=["-published_at", "-id"], name="listed_newest", condition=LISTED,
                         include=BROWSE_FILTER_COLUMNS),
            models.Index(fields=["-download_count", "-id"], name="listed_most_downloaded", condition=LISTED),
            models.Index(fields=["-score", "-id"], name="listed_best_rated", condition=LISTED),
            models.Index(fields=["moderation", "removed_at"], name="moderation_removed"),
        ]

    def __str__(self) -> str:
        return f"{self.song} [{self.track}] #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def progress_percent(self) -> int:
        return round(100 * self.progress)

    @property
    def seconds_left(self) -> int | None:
        """Estimated seconds until a running job ends: the expected time less the time spent,
        else (no history, or past it) the time spent so far scaled by the progress; None
        before there is anything to go on."""
        if self.status != self.Status.RUNNING or self.started_at is None:
            return None
        elapsed_s = (timezone.now() - self.started_at).total_seconds()
        if self.expected_seconds is not None and self.expected_seconds > elapsed_s:
            return math.ceil(self.expected_seconds - elapsed_s)
        if self.progress >= MIN_PROGRESS_TO_EXTRAPOLATE:
            return math.ceil(elapsed_s * (1.0 - self.progress) / self.progress)
        return None

    @property
    def stage_seconds_display(self) -> list[tuple[str, str]]:
        """(stage, "x.x s") in the order the stages start; the BGM's encoding runs beside the others."""
        return [(name, f"{self.stage_seconds[name]:.1f} s") for name in STAGES if name in self.stage_seconds]

    @property
    def conversion_seconds(self) -> float | None:
        """How long the job took, start to finish."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def difficulty_labels(self) -> list[str]:
        """The chart's difficulties, easiest first (PostgreSQL's jsonb keeps keys in its own order)."""
        return [label for label in DIFFICULTY_LABELS if label in self.levels]

    @property
    def level_display(self) -> list[tuple[str, str]]:
        """(label, "x.xx") per difficulty, easiest first, as DTXMania shows #DLEVEL."""
        return [(label, f"{self.levels[label] / 100:.2f}") for label in self.difficulty_labels]

    @property
    def level_override_display(self) -> str | None:
        """MASTER's level as its owner set it ("x.xx"), or None when it was detected."""
        level = self.parameters.get(LEVEL_PARAMETER)
        return None if level is None else f"{level / LEVEL_SCALE:.2f}"

    def _same_chart_rerun_fields(self) -> dict[str, str]:
        """The rerun form's fields that make this version again: the same track, options and
        MASTER level."""
        package = PackageOptions.pop_from(dict(self.parameters))
        fields = {"track": self.track, "bgm": package.bgm, "input": package.input}
        if package.song_chips:
            fields["song_chips"] = "on"
        if self.level_override_display:
            fields["level"] = self.level_override_display
        return fields

    @property
    def bar_shift_rerun_fields(self) -> list[tuple[str, str]]:
        """The rerun form's fields that make this version again with its bar lines moved to
        their close-call rival (empty when the bar lines were clear)."""
        if not self.close_call_shift:
            return []
        return list({**self._same_chart_rerun_fields(), "bar_shift_beats": str(self.close_call_shift)}.items())

    @property
    def downbeat_rerun_fields(self) -> list[tuple[str, str]]:
        """The rerun form's fields that make this version again with a first downbeat the
        preview fills in: the same chart, and the tempo and meter its owner set, if any (a
        first downbeat replaces moved bar lines)."""
        corrections = {name: str(self.parameters[name]) for name in ("bpm", "meter") if self.parameters.get(name)}
        return list({**self._same_chart_rerun_fields(), **corrections}.items())

    @property
    def has_drumless_bgm(self) -> bool:
        return self.parameters.get("bgm") == BGM_DRUMLESS

    @property
    def total_notes(self) -> int:
        return sum(self.note_counts.values())


class Vote(models.Model):
    """A logged-in player's thumbs up (+1) or down (-1) on a chart version; one per player."""

    UP, DOWN = 1, -1

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes")
    version = models.ForeignKey(ChartVersion, on_delete=models.CASCADE, related_name="votes")
    value = models.SmallIntegerField(choices=[(UP, "Thumbs up"), (DOWN, "Thumbs down")])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="one_vote_per_user"),
            models.CheckConstraint(condition=Q(value__in=[1, -1]), name="vote_is_up_or_down"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {'+1' if self.value > 0 else '-1'} on #{self.version_id}"


class DownloadRecord(models.Model):
    """One visitor's downloads of a version on one day: downloads are counted once per
    visitor per day. The visitor is a user id, or an anonymous visitor's salted address hash."""

    version = models.ForeignKey(ChartVersion, on_delete=models.CASCADE, related_name="download_records")
    visitor = models.CharField(max_length=64)
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "visitor", "day"], name="one_download_a_day")]


class Report(models.Model):
    """A logged-in player's report of a shared chart, for the moderators' queue."""

    class Reason(models.TextChoices):
        BROKEN = "broken", "Wrong or broken chart"
        WRONG_SONG = "wrong_song", "Not the song it claims to be"
        COPYRIGHT = "copyright", "Copyright"
        OFFENSIVE = "offensive", "Offensive"
        SPAM = "spam", "Spam"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DISMISSED = "dismissed", "Dismissed"
        ACTIONED = "actioned", "Acted on"

    version = models.ForeignKey(ChartVersion, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    text = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="report_queue")]
        constraints = [models.UniqueConstraint(fields=["reporter", "version"], condition=Q(status="open"),
                                               name="one_open_report_per_reporter")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} on #{self.version_id} by {self.reporter}"


class UserBan(models.Model):
    """A user a moderator banned: they may not upload, rerun, share, vote or report, and are told why."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ban")
    reason = models.TextField()
    banned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} banned"


class ModerationAction(models.Model):
    """The audit log: every moderator action, who took it, when, on what, and why. Rows are
    written once and never changed; `subject` keeps a readable name after the chart is purged."""

    class Action(models.TextChoices):
        DISMISS = "dismiss", "Dismissed the reports"
        HIDE = "hide", "Hid the chart"
        RESTORE = "restore", "Restored the chart"
        REMOVE = "remove", "Removed the chart"
        BAN = "ban", "Banned the user"
        UNBAN = "unban", "Lifted the user's ban"
        PURGE = "purge", "Purged the files of a removed chart"

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    version = models.ForeignKey(ChartVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    subject = models.CharField(max_length=300)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor}: {self.get_action_display()} ({self.subject})"
