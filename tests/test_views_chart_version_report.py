"""Any logged-in user can report a shared chart with a reason; private charts cannot be reported."""

import pytest
from django.urls import reverse

from charts.models import Report
from tests.community import make_chart


@pytest.mark.parametrize("state", ["public", "unlisted"])
def test_report_a_shared_chart(client, user, other_user, package_bytes, state):
    chart = make_chart(owner=user, package=package_bytes, state=state)
    client.force_login(other_user)
    url = reverse("chart-version-report", args=[chart.share_token])
    form = client.get(url).content.decode()
    for reason in ("Wrong or broken chart", "Not the song it claims to be", "Copyright", "Offensive", "Spam"):
        assert reason in form
    response = client.post(url, {"reason": "wrong_song", "text": "  This is another song.  "})
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.version, report.reporter, report.reason, report.text, report.status) == (
        chart, other_user, "wrong_song", "This is another song.", "open")
    assert "the moderators will look at your report" in client.get(response.url).content.decode()


def test_a_second_report_replaces_the_open_one(client, user, other_user, package_bytes):
    chart = make_chart(owner=user, package=package_bytes)
    client.force_login(other_user)
    url = reverse("chart-version-report", args=[chart.pk])
    client.post(url, {"reason": "spam", "text": "first thought"})
    client.post(url, {"reason": "broken", "text": "on second listen"})
    assert list(Report.objects.values_list("reason", "text")) == [("broken", "on second listen")]


def test_reason_is_required_and_anonymous_must_log_in(client, user, other_user, package_bytes):
    chart = make_chart(owner=user, package=package_bytes)
    url = reverse("chart-version-report", args=[chart.pk])
    response = client.post(url, {"reason": "spam"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(other_user)
    assert client.post(url, {"reason": "", "text": "bad"}).status_code == 200
    assert Report.objects.count() == 0


def test_a_private_chart_cannot_be_reported(client, user, other_user, package_bytes):
    chart = make_chart(owner=user, package=package_bytes, state="private")
    client.force_login(other_user)
    assert client.post(reverse("chart-version-report", args=[chart.share_token]), {"reason": "spam"}).status_code == 404
    client.force_login(user)  # even its owner: there is nobody to protect from a private chart
    response = client.post(reverse("chart-version-report", args=[chart.pk]), {"reason": "spam"})
    assert "A private chart cannot be reported" in response.content.decode()
    assert Report.objects.count() == 0
