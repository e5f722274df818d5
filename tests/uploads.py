"""Uploading a song as a user does, and watching its chart version until it gets somewhere."""

from __future__ import annotations

import time
from pathlib import Path

from django.urls import reverse

from charts.models import ChartVersion

POLL_S = 0.2
WAIT_S = 120


def upload(client, path: Path, track: str = "spectral") -> ChartVersion:
    """Post `path` through the upload form (it must be accepted); the version it queued."""
    with open(path, "rb") as handle:
        response = client.post(reverse("song-upload"), {"upload": handle, "track": track})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ChartVersion.objects.latest("id")


def fragment(client, version: ChartVersion) -> str:
    """The status fragment that the song and chart pages poll."""
    return client.get(reverse("chart-version-detail", args=[version.pk]), HTTP_HX_REQUEST="true").content.decode()


def wait_for(version: ChartVersion, condition, timeout_s: float = WAIT_S) -> ChartVersion:
    """`version` read again until `condition(version)` holds; AssertionError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        version.refresh_from_db()
        if condition(version):
            return version
        time.sleep(POLL_S)
    raise AssertionError(f"version stayed {version.status}/{version.stage}")
