"""Songs users upload and the chart versions made from them.

A Song is the uploaded audio; each ChartVersion is one run of the pipeline on it with a
track and its parameters. Who may see what is decided in selectors.py, in one helper per
model, so sharing and moderation fields can join these models without touching views.
"""

import uuid

from django.conf import settings
from django.db import models

from processing.pipeline import BGM_DRUMLESS


def song_upload_path(song: "Song", filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "audio"
    return f"songs/{uuid.uuid4().hex}/original.{extension[:8]}"


def package_path(version: "ChartVersion", filename: str) -> str:
    return f"packages/{uuid.uuid4().hex}/{filename}"


class Song(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="songs")
    title = models.CharField(max_length=200)
    artist = models.CharField(max_length=200, blank=True)
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
    rq_job_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.song} [{self.track}] #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def progress_percent(self) -> int:
        return round(100 * self.progress)

    @property
    def level_display(self) -> list[tuple[str, str]]:
        """(label, "x.xx") per difficulty, as DTXMania shows #DLEVEL."""
        return [(label, f"{level / 100:.2f}") for label, level in self.levels.items()]

    @property
    def has_drumless_bgm(self) -> bool:
        return self.parameters.get("bgm") == BGM_DRUMLESS

    @property
    def total_notes(self) -> int:
        return sum(self.note_counts.values())
