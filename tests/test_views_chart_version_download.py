"""Downloads are counted once per user or visitor per day, not per request."""

import datetime

from django.urls import reverse
from django.utils import timezone

from tests.community import make_chart


def test_counted_once_a_day_per_visitor(client, user, other_user, package_bytes, monkeypatch):
    chart = make_chart(owner=user, package=package_bytes)
    url = reverse("chart-version-download", args=[chart.pk])
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == package_bytes
    client.get(url, REMOTE_ADDR="10.0.0.2")  # another anonymous visitor
    client.force_login(other_user)
    client.get(url)
    client.get(url)
    chart.refresh_from_db()
    assert chart.download_count == 3
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr("charts.services.timezone.localdate", lambda: tomorrow)
    client.get(url)
    chart.refresh_from_db()
    assert chart.download_count == 4
    page = client.get(reverse("chart-version-detail", args=[chart.pk])).content.decode()
    assert '<dd data-role="downloads">4</dd>' in page


def test_owner_downloads_are_not_counted(client, user, package_bytes):
    chart = make_chart(owner=user, package=package_bytes)
    client.force_login(user)
    assert client.get(reverse("chart-version-download", args=[chart.pk])).status_code == 200
    chart.refresh_from_db()
    assert chart.download_count == 0


def test_visitors_behind_a_proxy_are_told_apart(client, user, package_bytes, settings):
    settings.A2D_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    chart = make_chart(owner=user, package=package_bytes)
    url = reverse("chart-version-download", args=[chart.pk])
    for forwarded in ("203.0.113.9, 198.51.100.1", "198.51.100.2", "198.51.100.2", ""):
        assert client.get(url, HTTP_X_FORWARDED_FOR=forwarded).status_code == 200
    chart.refresh_from_db()
    assert chart.download_count == 3, "two forwarded addresses and the proxy's own"
