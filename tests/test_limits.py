"""Limits against abuse: rate limits per user and per address answer 429 (counted in the real
Redis cache), quotas of jobs and songs answer with a form error, and nothing is half-stored."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from charts.models import ChartVersion, Report, Song, Vote
from tests.community import make_chart
from tests.conftest import stored_files
from tests.uploads import upload

LOW_RATES = {"signup": "2/h", "login": "2/h", "upload": "1/h", "rerun": "1/h", "vote": "2/h", "report": "1/h"}


@pytest.fixture
def low_rates(settings):
    settings.A2D_RATE_LIMITS = LOW_RATES
    settings.A2D_RATE_LIMIT_IP_FACTOR = 2
    settings.A2D_MAX_ACTIVE_JOBS_PER_USER = 10


def test_signup_and_login_per_address(client, low_rates, user):
    for number in range(2):
        client.post(reverse("signup"), {"username": f"new{number}", "password1": "x" * 14 + "Q!",
                                        "password2": "x" * 14 + "Q!"})
        client.logout()
    response = client.post(reverse("signup"), {"username": "new3", "password1": "x" * 14 + "Q!",
                                               "password2": "x" * 14 + "Q!"})
    assert response.status_code == 429 and "signup is allowed 2 an hour" in response.content.decode()
    assert not User.objects.filter(username="new3").exists()
    for _ in range(2):
        assert client.post(reverse("login"), {"username": "drummer", "password": "wrong"}).status_code == 200
    response = client.post(reverse("login"), {"username": "drummer", "password": "correct horse battery staple"})
    assert response.status_code == 429, "a correct password past the limit is refused too"


def test_upload_and_rerun_per_user(logged_in_client, low_rates, groove_file, media_root):
    first = upload(logged_in_client, groove_file[0])
    files = stored_files(media_root)
    with open(groove_file[0], "rb") as handle:
        response = logged_in_client.post(reverse("song-upload"), {"upload": handle, "track": "spectral"})
    assert response.status_code == 429
    assert Song.objects.count() == 1 and stored_files(media_root) == files, "nothing half-stored"
    url = reverse("chart-version-rerun", args=[first.song_id])
    assert logged_in_client.post(url, {"track": "spectral"}).status_code == 302
    assert logged_in_client.post(url, {"track": "spectral"}).status_code == 429
    assert ChartVersion.objects.count() == 2


def test_vote_and_report_per_user_and_per_address(client, low_rates, user, other_user, package_bytes):
    charts = [make_chart(owner=other_user, package=package_bytes, title=f"Chart {n}") for n in range(3)]
    client.force_login(user)
    statuses = [client.post(reverse("chart-version-vote", args=[chart.pk]), {"value": "1"}).status_code
                for chart in charts]
    assert statuses == [302, 302, 429] and Vote.objects.count() == 2
    assert client.post(reverse("chart-version-report", args=[charts[0].pk]), {"reason": "spam"}).status_code == 302
    assert client.post(reverse("chart-version-report", args=[charts[1].pk]), {"reason": "spam"}).status_code == 429
    # Another account from the same address: its own allowance, until the address's (2 × 2 votes) runs out.
    client.force_login(User.objects.create_user(username="sock", password="x" * 12))
    statuses = [client.post(reverse("chart-version-vote", args=[chart.pk]), {"value": "1"}).status_code
                for chart in charts[:2]]
    assert statuses == [302, 429], "the address made its fifth vote attempt"
    assert Report.objects.count() == 1


def test_quota_of_active_jobs_is_a_form_error(logged_in_client, groove_file, settings, media_root):
    settings.A2D_MAX_ACTIVE_JOBS_PER_USER = 1
    first = upload(logged_in_client, groove_file[0])  # queued: no worker runs in this test
    files = stored_files(media_root)
    with open(groove_file[0], "rb") as handle:
        response = logged_in_client.post(reverse("song-upload"), {"upload": handle, "track": "spectral"})
    assert response.status_code == 200
    assert "1 conversions queued or running (the limit is 1)" in response.content.decode()
    assert stored_files(media_root) == files
    response = logged_in_client.post(reverse("chart-version-rerun", args=[first.song_id]), {"track": "spectral"})
    assert response.status_code == 400 and "the limit is 1" in response.content.decode()
    ChartVersion.objects.update(status=ChartVersion.Status.DONE)
    assert logged_in_client.post(reverse("chart-version-rerun", args=[first.song_id]),
                                 {"track": "spectral"}).status_code == 302


def test_quota_of_songs_is_a_form_error(logged_in_client, user, groove_file, settings, package_bytes):
    settings.A2D_MAX_SONGS_PER_USER = 1
    make_chart(owner=user, package=package_bytes)
    with open(groove_file[0], "rb") as handle:
        response = logged_in_client.post(reverse("song-upload"), {"upload": handle, "track": "spectral"})
    assert response.status_code == 200 and "You have 1 songs stored (the limit is 1)" in response.content.decode()
    assert Song.objects.count() == 1
    page = logged_in_client.get(reverse("song-upload")).content.decode()
    assert "You have 1 songs stored (the limit is 1)" in page, "said before a file is sent"


def test_the_services_check_quotas_themselves(user, groove_file, settings, package_bytes, media_root):
    """Behind the views' early notice, the checks that hold under a lock are the services' own."""
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from charts import services
    from processing.audio import AudioProbe

    chart = make_chart(owner=user, package=package_bytes)
    files = stored_files(media_root)
    settings.A2D_MAX_SONGS_PER_USER = 1
    upload = SimpleUploadedFile("song.flac", groove_file[0].read_bytes())
    probe = AudioProbe(duration_s=20.0, sample_rate=44100, channels=2, codec="flac")
    with pytest.raises(ValidationError, match="the limit is 1"):
        services.song_create(owner=user, uploaded_file=upload, info=probe, title="", artist="", track="spectral")
    settings.A2D_MAX_ACTIVE_JOBS_PER_USER = 1
    ChartVersion.objects.filter(pk=chart.pk).update(status=ChartVersion.Status.QUEUED)
    with pytest.raises(ValidationError, match="the limit is 1"):
        services.chart_version_rerun(song=chart.song, user=user, track="spectral", parameters={})
    assert (Song.objects.count(), ChartVersion.objects.count()) == (1, 1)
    assert stored_files(media_root) == files
