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
