"""Browse and the JSON API: text search, each filter, each sort, pagination; public charts only."""

import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from charts import services
from tests.community import make_chart


@pytest.fixture
def catalogue(user, other_user, package_bytes):
    """Four public charts with distinct figures, and one private chart that must never show."""
    charts = {
        "slow": make_chart(owner=user, package=package_bytes, title="Slow Ballad", artist="Quiet Ones",
                           bpm=70.0, duration_s=300.0, notes_per_second=2.0, level_basic=100, level_advanced=150,
                           level_extreme=200, level_master=250, download_count=5),
        "fast": make_chart(owner=other_user, package=package_bytes, title="Fast Thrash", artist="Loud Band",
                           bpm=200.0, duration_s=120.0, notes_per_second=12.0, level_basic=400, level_advanced=600,
                           level_extreme=800, level_master=950, download_count=50),
        "mid": make_chart(owner=user, package=package_bytes, title="Middle Rock", artist="Loud Band",
                          bpm=120.0, duration_s=200.0, notes_per_second=6.0, download_count=20),
        "neural": make_chart(owner=other_user, package=package_bytes, title="Neural Pop", artist="Synth Co",
                             track="adtof", bpm=128.0, duration_s=180.0, notes_per_second=5.0, download_count=1),
    }
    make_chart(owner=user, package=package_bytes, title="Secret Demo", state="private")
    voter = User.objects.create_user(username="voter", password="x" * 12)
    services.vote_cast(user=voter, version=charts["neural"], value=1)
    services.vote_cast(user=voter, version=charts["slow"], value=-1)
    return charts


def _titles(client, **query) -> list[str]:
    payload = json.loads(client.get(reverse("api-chart-list"), query).content)
    return [chart["title"] for chart in payload["results"]]


@pytest.mark.parametrize("query,expected", [
    ({"q": "loud"}, {"Fast Thrash", "Middle Rock"}),
    ({"q": "thrash loud"}, {"Fast Thrash"}),
    ({"q": "stranger"}, {"Fast Thrash", "Neural Pop"}),  # the uploader's name
    ({"q": "secret"}, set()),
    ({"q": "lo"}, {"Fast Thrash", "Middle Rock"}),  # a short word matches a word's start: Loud, not sLOw
    ({"track": "adtof"}, {"Neural Pop"}),
    ({"level_min": "9", "level_max": "10"}, {"Fast Thrash"}),  # MASTER 9.50
    # any difficulty in range: Slow Ballad's ADVANCED, the others' BASIC (1.50 by default)
    ({"level_min": "1.4", "level_max": "1.6"}, {"Slow Ballad", "Middle Rock", "Neural Pop"}),
    ({"bpm_min": "100", "bpm_max": "130"}, {"Middle Rock", "Neural Pop"}),
    ({"minutes_min": "4"}, {"Slow Ballad"}),
    ({"minutes_max": "2.5"}, {"Fast Thrash"}),
    ({"nps_min": "5", "nps_max": "7"}, {"Middle Rock", "Neural Pop"}),
    ({"q": "loud", "bpm_max": "150"}, {"Middle Rock"}),
])
def test_search_and_filters(client, catalogue, query, expected):
    assert set(_titles(client, **query)) == expected
    page = client.get(reverse("browse"), query).content.decode()
    for title in expected:
        assert title in page
    assert "Secret Demo" not in page


@pytest.mark.parametrize("sort,expected", [
    ("newest", ["Neural Pop", "Middle Rock", "Fast Thrash", "Slow Ballad"]),
    ("downloads", ["Fast Thrash", "Middle Rock", "Slow Ballad", "Neural Pop"]),
    ("rating", ["Neural Pop"]),  # the only chart with a positive score comes first
])
def test_sorts(client, catalogue, sort, expected):
    assert _titles(client, sort=sort)[:len(expected)] == expected


def test_pages_and_shareable_url(client, catalogue, settings):
    settings.A2D_BROWSE_PAGE_SIZE = 3
    first = json.loads(client.get(reverse("api-chart-list"), {"sort": "downloads"}).content)
    assert first["count"] == 4 and first["pages"] == 2 and first["previous"] is None
    assert "sort=downloads" in first["next"] and "page=2" in first["next"]
    second = json.loads(client.get(first["next"]).content)
    assert [chart["title"] for chart in second["results"]] == ["Neural Pop"]
    page = client.get(reverse("browse"), {"sort": "downloads", "bpm_min": "1", "page": 2}).content.decode()
    assert "Page 2 of 2" in page and "sort=downloads&amp;bpm_min=1&amp;page=1" in page


def test_a_bad_filter_is_ignored_not_an_error(client, catalogue):
    assert client.get(reverse("browse"), {"bpm_min": "fast", "page": "x"}).status_code == 200
    assert len(_titles(client, bpm_min="fast")) == 4


def test_htmx_gets_the_results_alone(client, catalogue):
    fragment = client.get(reverse("browse"), {"q": "neural"}, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="results"') and "<html" not in fragment
    assert "Neural Pop" in fragment and "Fast Thrash" not in fragment


def test_browse_row_shows_what_a_player_compares(client, catalogue):
    page = client.get(reverse("browse"), {"q": "thrash"}).content.decode()
    for shown in ("Fast Thrash", "Loud Band", "stranger", "spectral", "200", "120 s", "9.50", "4.00", ">50<"):
        assert shown in page, shown
    levels = [page.index(level) for level in ("4.00", "6.00", "8.00", "9.50")]
    assert levels == sorted(levels), "BASIC to MASTER, whatever order the database keeps the keys in"


def test_api_detail(client, catalogue):
    version = catalogue["neural"]
    detail = json.loads(client.get(reverse("api-chart-detail", args=[version.pk])).content)
    assert detail["title"] == "Neural Pop" and detail["artist"] == "Synth Co" and detail["uploader"] == "stranger"
    assert detail["track"] == "adtof" and detail["bpm"] == 128.0 and detail["duration_s"] == 180.0
    assert detail["levels"] == {"BASIC": 150, "ADVANCED": 250, "EXTREME": 350, "MASTER": 450}
    assert detail["note_counts"] == {"BD": 40, "SD": 20, "HH": 80}
    assert (detail["score"], detail["votes_up"], detail["downloads"]) == (1, 1, 1)
    assert detail["url"].endswith(f"/versions/{version.pk}/") and detail["download_url"].endswith("/download/")
    assert "settings" in detail and detail["created"]
    assert client.get(detail["download_url"]).status_code == 200


def test_history_restore_gets_the_whole_page(client, catalogue):
    response = client.get(reverse("browse"), {"q": "neural"}, HTTP_HX_REQUEST="true",
                          HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_existing_versions_get_their_browse_columns(user, package_bytes):
    import importlib

    from django.apps import apps

    from charts.models import ChartVersion

    migration = importlib.import_module("charts.migrations.0002_sharing_and_moderation")
    chart = make_chart(owner=user, package=package_bytes, title="Old Song", duration_s=40.0)
    ChartVersion.objects.filter(pk=chart.pk).update(search_text="", notes_per_second=None)
    migration.fill_browse_columns(apps, None)
    chart.refresh_from_db()
    assert (chart.search_text, chart.level_master, chart.notes_per_second) == ("old song the band drummer", 450, 3.5)
