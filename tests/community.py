"""Charts made for the sharing and moderation tests: a real package from the pipeline,
copied into as many versions as a test needs, with the state a test asks for."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.models import User
from django.core.files.base import ContentFile

from charts import services
from charts.models import LEVEL_COLUMNS, ChartVersion, Song, search_text_for

STATES = ("private", "unlisted", "public", "hidden", "removed")


def make_chart(*, owner: User, package: bytes, state: str = "public", title: str = "Shared Song",
               artist: str = "The Band", **fields) -> ChartVersion:
    """A finished chart version in `state`: a visibility, or a public chart a moderator hid or removed."""
    song = Song(owner=owner, title=title, artist=artist, original_filename="song.flac", sha256="0" * 64,
                duration_s=20, sample_rate=44100, channels=2)
    song.upload.save("song.flac", ContentFile(b"the uploaded audio"), save=False)
    song.save()
    visibility = state if state in ("private", "unlisted", "public") else "public"
    moderation = {"hidden": "hidden", "removed": "removed"}.get(state, "visible")
    levels = {"level_basic": 150, "level_advanced": 250, "level_extreme": 350, "level_master": 450}
    levels |= {name: fields.pop(name) for name in list(fields) if name in levels}
    figures = {
        "track": "spectral", "bpm": 120.0, "duration_s": 20.0, "notes_per_second": 7.0,
        "note_counts": {"BD": 40, "SD": 20, "HH": 80},
        # Hardest first: the pages must put BASIC first whatever order the JSON keeps (jsonb keeps its own).
        "levels": {label: levels[column] for label, column in reversed(LEVEL_COLUMNS.items())},
    } | fields
    version = ChartVersion(
        song=song, status=ChartVersion.Status.DONE, visibility=visibility, moderation=moderation,
        moderation_reason="a moderator's reason" if moderation != "visible" else "",
        search_text=search_text_for(title=title, artist=artist, uploader=owner.username), **figures,
    )
    version.package.save("chart.zip", ContentFile(package), save=False)
    version.save()
    if visibility == "public":
        services.chart_version_set_visibility(version=version, visibility="public")
    return version


def build_package(directory: Path, source: Path) -> bytes:
    """A real DTX package of `source` made by the pipeline (spectral track: no weights needed)."""
    from processing.pipeline import convert

    result = convert(source=source, out_path=directory / "chart.zip", track_name="spectral",
                     model_dir=directory, title="Shared Song", parameters={"bgm": "original"})
    return result.package_path.read_bytes()
