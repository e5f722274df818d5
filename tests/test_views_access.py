"""The whole access matrix: {private, unlisted, public, hidden, removed} ×
{page by id, page by link, preview JSON, package file, download, API list, API detail,
rerun, visibility, delete} × {owner, other user, anonymous, staff}.

Seeing and changing are two rules (charts.selectors): whoever may not see a chart gets 404,
whoever may see it but does not own it gets 403 on a change, anonymous visitors are sent to
log in before any change. Every cell asserts its exact status and that nothing leaks in the
lists and counts of Browse and the API.
"""

import json

import pytest
from django.urls import reverse

from charts.models import ChartVersion, Song
from tests.community import STATES, make_chart

VIEWERS = ("owner", "other", "anonymous", "staff")
# Expected status of seeing the chart, per state, for (owner, other, anonymous, staff).
SEE_BY_LINK = {
    "private": (200, 404, 404, 404),
    "unlisted": (200, 200, 200, 200),
    "public": (200, 200, 200, 200),
    "hidden": (200, 404, 404, 200),
    "removed": (404, 404, 404, 200),
}
SEE_BY_ID = SEE_BY_LINK | {"unlisted": (200, 404, 404, 200)}
# Changing (rerun, visibility, delete): the owner succeeds, anonymous is sent to log in.
OWNER_CHANGE = {"rerun": 302, "visibility": 200, "delete": 302}
CHANGE_BY_OTHERS = {  # (other, staff): 403 where they may see the chart by its id, else 404
    "private": (404, 404), "unlisted": (404, 403), "public": (403, 403), "hidden": (404, 403), "removed": (404, 403),
}


@pytest.fixture
def viewers(client, user, other_user, staff_user):
    def login_as(name: str):
        client.logout()
        if name != "anonymous":
            client.force_login({"owner": user, "other": other_user, "staff": staff_user}[name])
        return client

    return login_as


def _see(state: str, viewer: str, by_link: bool = True) -> int:
    return (SEE_BY_LINK if by_link else SEE_BY_ID)[state][VIEWERS.index(viewer)]


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("state", STATES)
def test_seeing(viewers, user, package_bytes, state, viewer):
    version = make_chart(owner=user, package=package_bytes, state=state)
    client = viewers(viewer)
    link, number = version.share_token, version.pk
    expected_by_link = _see(state, viewer)
    cells = {
        "page by id": (reverse("chart-version-detail", args=[number]), _see(state, viewer, by_link=False)),
        # a poll of what the viewer may not see (or what was deleted) is told to stop, the same either way
        "status fragment by id": (reverse("chart-version-detail", args=[number]),
                                  {200: 200, 404: 286}[_see(state, viewer, by_link=False)]),
        "page by link": (reverse("chart-version-detail", args=[link]), expected_by_link),
        "preview JSON": (reverse("chart-version-chart-json", args=[link]) + "?difficulty=BASIC", expected_by_link),
        "package file": (reverse("chart-version-file", args=[link, "bgm.ogg"]), expected_by_link),
        "download": (reverse("chart-version-download", args=[link]), expected_by_link),
        "API detail": (reverse("api-chart-detail", args=[number]), 200 if state == "public" else 404),
    }
    for cell, (url, expected) in cells.items():
        headers = {"HTTP_HX_REQUEST": "true"} if cell.startswith("status fragment") else {}
        response = client.get(url, **headers)
        assert response.status_code == expected, f"{cell} {state} {viewer}"
        if expected in (404, 286):
            assert b"Shared Song" not in response.content and version.share_token.encode() not in response.content
    listed = json.loads(client.get(reverse("api-chart-list")).content)
    assert listed["count"] == (1 if state == "public" else 0)
    assert [chart["id"] for chart in listed["results"]] == ([version.pk] if state == "public" else [])
    browse = client.get(reverse("browse")).content.decode()
    assert ("Shared Song" in browse) == (state == "public")
    assert (f"{1 if state == 'public' else 0} chart" in browse)
    version.refresh_from_db()
    assert version.download_count == (1 if expected_by_link == 200 and viewer != "owner" else 0)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("state", STATES)
def test_changing(viewers, user, package_bytes, media_root, state, viewer, settings):
    settings.A2D_MAX_ACTIVE_JOBS_PER_USER = 10
    version = make_chart(owner=user, package=package_bytes, state=state)
    client = viewers(viewer)
    versions_before, visibility_before = ChartVersion.objects.count(), version.visibility
    for action in ("rerun", "visibility", "delete"):
        url, data = {
            "rerun": (reverse("chart-version-rerun", args=[version.song_id]), {"track": "spectral"}),
            "visibility": (reverse("chart-version-visibility", args=[version.pk]), {"visibility": "private"}),
            "delete": (reverse("chart-version-delete", args=[version.pk]), {}),
        }[action]
        response = client.post(url, data)
        if viewer == "anonymous":
            assert response.status_code == 302 and response.url.startswith(reverse("login")), action
        elif viewer == "owner":
            expected = 404 if state == "removed" and action != "rerun" else OWNER_CHANGE[action]
            assert response.status_code == expected, f"{action} {state}"
        else:
            expected = CHANGE_BY_OTHERS[state][0 if viewer == "other" else 1]
            assert response.status_code == expected, f"{action} {state} {viewer}"
    if viewer == "owner":
        # the rerun queued a new version; the deletion (where it was allowed) took the old one with its package
        kept = state == "removed"
        assert ChartVersion.objects.filter(pk=version.pk).exists() == kept
        assert ChartVersion.objects.count() == versions_before + 1 - (0 if kept else 1)
    else:
        version.refresh_from_db()
        assert (version.visibility, ChartVersion.objects.count()) == (visibility_before, versions_before)
        assert (media_root / version.package.name).exists()


def test_song_pages_are_the_owners_alone(viewers, user, package_bytes):
    version = make_chart(owner=user, package=package_bytes, state="public")
    for viewer, expected in (("owner", 200), ("other", 404), ("staff", 404)):
        client = viewers(viewer)
        assert client.get(reverse("song-detail", args=[version.song_id])).status_code == expected
        assert client.get(reverse("song-audio", args=[version.song_id])).status_code == expected
    anonymous = viewers("anonymous")
    assert anonymous.get(reverse("song-detail", args=[version.song_id])).status_code == 302


def test_song_list_shows_only_my_songs_newest_first(viewers, user, other_user, package_bytes):
    make_chart(owner=other_user, package=package_bytes, title="Theirs")
    make_chart(owner=user, package=package_bytes, title="Older")
    make_chart(owner=user, package=package_bytes, title="Newer", state="private")
    page = viewers("owner").get(reverse("song-list")).content.decode()
    assert "Theirs" not in page
    assert page.index("Newer") < page.index("Older")
    assert Song.objects.count() == 3
