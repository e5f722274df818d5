"""The owner shares a version: private, unlisted (by its link only) or public, through htmx."""

import pytest
from django.urls import reverse

from charts.models import ChartVersion
from tests.community import make_chart


@pytest.fixture
def private_chart(user, package_bytes):
    return make_chart(owner=user, package=package_bytes, state="private", title="Sharable")


def test_htmx_change_returns_the_sharing_fragment(logged_in_client, private_chart):
    url = reverse("chart-version-visibility", args=[private_chart.pk])
    response = logged_in_client.post(url, {"visibility": "unlisted"}, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert response.status_code == 200 and fragment.lstrip().startswith('<section class="card" id="sharing"')
    assert "<html" not in fragment and "Saved: Unlisted" in fragment
    assert f"/versions/{private_chart.share_token}/" in fragment
    private_chart.refresh_from_db()
    assert private_chart.visibility == "unlisted" and private_chart.published_at is None


def test_publishing_dates_the_chart_once(logged_in_client, private_chart):
    url = reverse("chart-version-visibility", args=[private_chart.pk])
    logged_in_client.post(url, {"visibility": "public"})
    private_chart.refresh_from_db()
    published = private_chart.published_at
    assert published is not None
    logged_in_client.post(url, {"visibility": "private"})
    logged_in_client.post(url, {"visibility": "public"})
    private_chart.refresh_from_db()
    assert private_chart.published_at == published


def test_an_unfinished_version_cannot_be_shared(logged_in_client, private_chart):
    ChartVersion.objects.filter(pk=private_chart.pk).update(status=ChartVersion.Status.RUNNING)
    response = logged_in_client.post(reverse("chart-version-visibility", args=[private_chart.pk]),
                                      {"visibility": "public"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "Only a finished chart can be shared" in response.content.decode()
    private_chart.refresh_from_db()
    assert private_chart.visibility == "private"


def test_the_link_changes_nothing_about_other_versions(logged_in_client, user, package_bytes, private_chart):
    sibling = make_chart(owner=user, package=package_bytes, state="private", title="Sibling")
    logged_in_client.post(reverse("chart-version-visibility", args=[private_chart.pk]), {"visibility": "public"})
    sibling.refresh_from_db()
    assert sibling.visibility == "private", "a song's versions are shared one by one"


def test_unknown_visibility_is_refused(logged_in_client, private_chart):
    response = logged_in_client.post(reverse("chart-version-visibility", args=[private_chart.pk]),
                                     {"visibility": "everyone"})
    assert response.status_code == 400


def test_a_banned_owner_may_hide_but_not_share(logged_in_client, user, staff_user, private_chart):
    from charts import services

    services.user_ban(actor=staff_user, user=user, reason="Spam uploads")
    url = reverse("chart-version-visibility", args=[private_chart.pk])
    response = logged_in_client.post(url, {"visibility": "public"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "banned from sharing: Spam uploads" in response.content.decode()
    private_chart.refresh_from_db()
    assert private_chart.visibility == "private"
    assert logged_in_client.post(url, {"visibility": "private"}).status_code == 200


def test_a_stale_form_is_told_to_reload(user, private_chart):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("chart-version-visibility", args=[private_chart.pk]), {"visibility": "public"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 403 and response["HX-Retarget"] == "main"
    assert "Reload the page" in response.content.decode()
    private_chart.refresh_from_db()
    assert private_chart.visibility == "private"
