"""Thumbs up or down: one vote per logged-in user, changeable, the score shown."""

import pytest
from django.urls import reverse

from charts.models import Vote
from tests.community import make_chart


@pytest.fixture
def chart(other_user, package_bytes):
    return make_chart(owner=other_user, package=package_bytes)


def test_one_vote_per_user_changeable_and_retractable(logged_in_client, chart):
    url = reverse("chart-version-vote", args=[chart.pk])
    fragment = logged_in_client.post(url, {"value": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Score 1" in fragment and 'data-vote="up"' in fragment and "<html" not in fragment
    logged_in_client.post(url, {"value": "1"})
    chart.refresh_from_db()
    assert (chart.score, chart.votes_up, Vote.objects.count()) == (1, 1, 1)
    logged_in_client.post(url, {"value": "-1"})
    chart.refresh_from_db()
    assert (chart.score, chart.votes_up, chart.votes_down) == (-1, 0, 1)
    logged_in_client.post(url, {"value": "0"})
    chart.refresh_from_db()
    assert (chart.score, Vote.objects.count()) == (0, 0)


def test_votes_of_several_users_add_up(client, chart, user, staff_user):
    for voter, value in ((user, "1"), (staff_user, "1")):
        client.force_login(voter)
        client.post(reverse("chart-version-vote", args=[chart.share_token]), {"value": value})
    chart.refresh_from_db()
    assert chart.score == 2
    page = client.get(reverse("chart-version-detail", args=[chart.pk])).content.decode()
    assert "Score 2" in page and 'aria-pressed="true" data-vote="up"' in page


def test_anonymous_must_log_in_and_bad_values_are_refused(client, logged_in_client, chart):
    url = reverse("chart-version-vote", args=[chart.pk])
    assert logged_in_client.post(url, {"value": "5"}, HTTP_HX_REQUEST="true").status_code == 400
    assert "A vote is up, down or none" in logged_in_client.post(url, {"value": "5"}, follow=True).content.decode()
    client.logout()
    response = client.post(url, {"value": "1"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert Vote.objects.count() == 0


def test_no_vote_on_ones_own_chart(client, other_user, chart):
    client.force_login(other_user)
    response = client.post(reverse("chart-version-vote", args=[chart.pk]), {"value": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "cannot vote on your own chart" in response.content.decode()
    assert not Vote.objects.exists()


def test_a_banned_voter_reads_why_in_place(logged_in_client, user, staff_user, chart):
    from charts import services

    services.user_ban(actor=staff_user, user=user, reason="Vote brigading")
    response = logged_in_client.post(reverse("chart-version-vote", args=[chart.pk]), {"value": "1"},
                                     HTTP_HX_REQUEST="true")
    assert response.status_code == 403 and response["HX-Retarget"] == "main"
    body = response.content.decode()
    assert "Vote brigading" in body and "<html" not in body


def test_votes_count_without_the_rate_limits_cache(logged_in_client, chart, settings):
    """Redis down: the rate limit lets the vote through instead of failing the page."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0"}}
    response = logged_in_client.post(reverse("chart-version-vote", args=[chart.pk]), {"value": "1"})
    assert response.status_code == 302
    chart.refresh_from_db()
    assert chart.score == 1
