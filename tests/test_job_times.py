"""Where a job's time went, on the chart page, and the estimate of the time left while it runs."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from charts import selectors
from charts.models import ChartVersion, Song
from processing import timing
from tests.uploads import fragment, upload, wait_for

TIME_LEFT = re.compile(r'data-role="time-left">about (\d+) s left')


def _song(user, *, duration_s: float = 100.0) -> Song:
    return Song.objects.create(owner=user, title="Timed", upload="songs/timed.flac", duration_s=duration_s,
                               sample_rate=44100, channels=2)


def _done(song: Song, *, took_s: float, song_s: float, parameters: dict) -> ChartVersion:
    finished = timezone.now()
    return ChartVersion.objects.create(song=song, track="adtof", status=ChartVersion.Status.DONE,
                                       parameters=parameters, duration_s=song_s,
                                       started_at=finished - timedelta(seconds=took_s), finished_at=finished)


@pytest.mark.django_db
def test_the_expected_time_is_the_median_rate_of_past_jobs_of_the_same_kind(user):
    song = _song(user)
    assert selectors.expected_job_seconds(duration_s=100, separated=False) is None
    for took_s in (10.0, 20.0, 60.0):  # 0.1, 0.2 and 0.6 s per second of song
        _done(song, took_s=took_s, song_s=100.0, parameters={"bgm": "original"})
    _done(song, took_s=500.0, song_s=100.0, parameters={"bgm": "drumless"})  # separated: another kind
    assert selectors.expected_job_seconds(duration_s=50, separated=False) == pytest.approx(10.0)
    assert selectors.expected_job_seconds(duration_s=50, separated=True) == pytest.approx(250.0)


@pytest.mark.django_db
def test_a_running_job_shows_the_time_left_from_its_expected_time(logged_in_client, user):
    version = ChartVersion.objects.create(
        song=_song(user), track="adtof", status=ChartVersion.Status.RUNNING, stage=ChartVersion.Stage.ANALYSING,
        progress=0.3, started_at=timezone.now() - timedelta(seconds=5), expected_seconds=30.0)
    left = int(TIME_LEFT.search(fragment(logged_in_client, version)).group(1))
    assert 24 <= left <= 26


@pytest.mark.django_db
def test_without_history_the_time_left_scales_the_time_spent_by_the_progress(logged_in_client, user):
    version = ChartVersion.objects.create(
        song=_song(user), track="adtof", status=ChartVersion.Status.RUNNING, stage=ChartVersion.Stage.TRANSCRIBING,
        progress=0.5, started_at=timezone.now() - timedelta(seconds=10))
    left = int(TIME_LEFT.search(fragment(logged_in_client, version)).group(1))
    assert 9 <= left <= 11
    version.progress = 0.05  # too early to say
    version.save(update_fields=["progress"])
    assert "time-left" not in fragment(logged_in_client, version)


@pytest.mark.django_db(transaction=True)
def test_a_job_estimates_from_the_last_one_and_the_chart_page_shows_where_its_time_went(
        logged_in_client, groove_file, long_groove, start_worker):
    start_worker()
    first = wait_for(upload(logged_in_client, groove_file[0], track="adtof"), lambda v: v.is_finished)
    assert first.status == ChartVersion.Status.DONE, first.error_message
    assert set(first.stage_seconds) >= {timing.DECODE, timing.TRANSCRIBE, timing.LANES, timing.ENCODE_BGM,
                                        timing.PACKAGE}

    # A 4-minute song, so that the second job runs long enough to be watched on a fast machine too.
    second = upload(logged_in_client, long_groove, track="adtof")
    seen_time_left = False
    deadline = time.monotonic() + 120
    while not seen_time_left and time.monotonic() < deadline:
        second.refresh_from_db()
        if second.is_finished:
            break
        seen_time_left = second.status == ChartVersion.Status.RUNNING and bool(
            TIME_LEFT.search(fragment(logged_in_client, second)))
        time.sleep(0.05)
    assert seen_time_left, "the running job's status never showed the time left"
    second = wait_for(second, lambda v: v.is_finished)
    assert second.expected_seconds == pytest.approx(
        first.conversion_seconds / first.duration_s * second.duration_s, rel=0.01), "the first job's pace"

    page = logged_in_client.get(reverse("chart-version-detail", args=[first.pk])).content.decode()
    assert 'data-role="conversion-time"' in page and "Where the time went" in page
    for stage in first.stage_seconds:
        assert f'data-stage="{stage}"' in page
