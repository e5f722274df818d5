"""Reads. Access rules live here, one helper per model: views never filter by owner themselves."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from charts.models import ChartVersion, Song

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
    return songs_visible_to(viewer=owner).prefetch_related(
        Prefetch("versions", queryset=ChartVersion.objects.order_by("-created_at", "-id"))
    )


def song_get(*, viewer: Viewer, song_id: int) -> Song:
    """The song, or Http404 when it does not exist or `viewer` may not see it."""
    try:
        return song_list_for_owner(owner=viewer).get(pk=song_id)
    except Song.DoesNotExist:
        raise Http404("No such song.") from None


def chart_version_get(*, viewer: Viewer, version_id: int) -> ChartVersion:
    """The chart version, or Http404 when it does not exist or `viewer` may not see it."""
    try:
        return chart_versions_visible_to(viewer=viewer).get(pk=version_id)
    except ChartVersion.DoesNotExist:
        raise Http404("No such chart version.") from None
