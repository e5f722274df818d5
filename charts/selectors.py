"""Reads. Access rules live here, one helper per model: views never filter by owner themselves."""

import re
import zipfile

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from charts.models import ChartVersion, Song
from processing.chart_view import chart_view_data
from processing.dtx.reader import decode_dtx_bytes, parse_dtx
from processing.package import package_chart_files, package_folder

# Package files the browser may fetch: the audio and the chip sounds, nothing else.
SERVABLE_PACKAGE_FILE = re.compile(r"bgm\.ogg|preview\.ogg|chips/[A-Z]{2,3}\.wav")

Viewer = AbstractBaseUser | AnonymousUser


def songs_visible_to(*, viewer: Viewer) -> QuerySet[Song]:
    """The songs `viewer` may open: for now, their own."""
    if not viewer.is_authenticated:
        return Song.objects.none()
    return Song.objects.filter(owner=viewer)


def chart_versions_visible_to(*, viewer: Viewer) -> QuerySet[ChartVersion]:
    """The chart versions `viewer` may open: those of songs they may open."""
    return ChartVersion.objects.filter(song__in=songs_visible_to(viewer=viewer)).select_related("song")


def song_list_for_owner(*, owner: Viewer) -> QuerySet[Song]:
    """The owner's songs, newest first, each with its chart versions newest first."""
    return songs_visible_to(viewer=owner).prefetch_related("versions")


def song_get(*, viewer: Viewer, song_id: int) -> Song:
    """The song, or Http404 when it does not exist or `viewer` may not see it."""
    try:
        return songs_visible_to(viewer=viewer).get(pk=song_id)
    except Song.DoesNotExist:
        raise Http404("No such song.") from None


def chart_version_get(*, viewer: Viewer, version_id: int) -> ChartVersion:
    """The chart version, or Http404 when it does not exist or `viewer` may not see it."""
    try:
        return chart_versions_visible_to(viewer=viewer).get(pk=version_id)
    except ChartVersion.DoesNotExist:
        raise Http404("No such chart version.") from None


def chart_version_view(*, version: ChartVersion, difficulty: str) -> dict:
    """The lane-view data of one difficulty, read from the version's .dtx; Http404 when the
    version has no package or no such difficulty."""
    if not version.package:
        raise Http404("This chart version has no package yet.")
    with version.package.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        member = package_chart_files(archive).get(difficulty)
        if member is None:
            raise Http404("No such difficulty.")
        dtx = parse_dtx(text=decode_dtx_bytes(archive.read(member)))
    return chart_view_data(dtx=dtx, label=difficulty, level=int(dtx.headers.get("DLEVEL", "0") or 0))


def chart_version_package_file(*, version: ChartVersion, name: str) -> bytes:
    """The bytes of an audio file inside the version's package; Http404 for anything else."""
    if not version.package or not SERVABLE_PACKAGE_FILE.fullmatch(name):
        raise Http404("No such file.")
    with version.package.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        try:
            return archive.read(f"{package_folder(archive)}/{name}")
        except KeyError:
            raise Http404("No such file.") from None
