"""The owner deletes a chart version or a whole song, after confirming: its files leave storage
with it, and nothing else is touched."""

import pytest
from django.urls import reverse

from charts.models import ChartVersion, Song
from tests.community import make_chart
from tests.conftest import stored_files


@pytest.fixture
def two_songs(user, package_bytes):
    doomed = make_chart(owner=user, package=package_bytes, title="Doomed")
    sibling = make_chart(owner=user, package=package_bytes, title="Doomed")
    ChartVersion.objects.filter(pk=sibling.pk).update(song=doomed.song)
    Song.objects.filter(pk=sibling.song_id).delete()
    sibling.refresh_from_db()
    kept = make_chart(owner=user, package=package_bytes, title="Kept")
    return doomed, sibling, kept


def test_confirm_first(logged_in_client, two_songs):
    doomed = two_songs[0]
    page = logged_in_client.get(reverse("song-delete", args=[doomed.song_id])).content.decode()
    assert "cannot be undone" in page and "every chart version of it (2)" in page
    assert logged_in_client.get(reverse("chart-version-delete", args=[doomed.pk])).status_code == 200
    assert ChartVersion.objects.count() == 3


def test_delete_a_song_removes_its_files_only(logged_in_client, two_songs, media_root,
                                               django_capture_on_commit_callbacks):
    doomed, sibling, kept = two_songs
    doomed_files = {media_root / doomed.song.upload.name, media_root / doomed.package.name,
                    media_root / sibling.package.name}
    before = set(stored_files(media_root))
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in_client.post(reverse("song-delete", args=[doomed.song_id]))
    assert response.status_code == 302
    assert set(stored_files(media_root)) == before - doomed_files
    assert list(Song.objects.values_list("title", flat=True)) == ["Kept"]
    assert list(ChartVersion.objects.all()) == [kept]
    assert logged_in_client.get(reverse("chart-version-detail", args=[doomed.share_token])).status_code == 404


def test_delete_one_version_keeps_the_song(logged_in_client, two_songs, media_root, django_capture_on_commit_callbacks):
    doomed, sibling, _ = two_songs
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in_client.post(reverse("chart-version-delete", args=[doomed.pk]))
    assert response.status_code == 302 and response.url == reverse("song-detail", args=[doomed.song_id])
    assert not (media_root / doomed.package.name).exists()
    assert (media_root / sibling.package.name).exists() and (media_root / doomed.song.upload.name).exists()
    assert set(ChartVersion.objects.filter(song=doomed.song_id)) == {sibling}


@pytest.mark.django_db(transaction=True)
def test_a_deleted_version_is_not_converted(logged_in_client, groove_file, run_worker, media_root):
    from tests.uploads import upload

    version = upload(logged_in_client, groove_file[0])
    logged_in_client.post(reverse("chart-version-delete", args=[version.pk]))
    worker = run_worker()
    assert worker.returncode == 0 and "Traceback" not in worker.stderr
    assert not (media_root / "packages").exists() and not ChartVersion.objects.exists()
    assert Song.objects.count() == 1, "the song stays for another try"


def test_a_job_finds_its_version_gone(user, package_bytes, tmp_path, media_root):
    from charts import services
    from processing.pipeline import ConversionResult

    version = make_chart(owner=user, package=package_bytes)
    ChartVersion.objects.filter(pk=version.pk).delete()
    with pytest.raises(services.ChartVersionGone):
        services.chart_version_record_progress(version=version, stage="analysing", progress=0.5)
    package = tmp_path / "late.zip"
    package.write_bytes(package_bytes)
    packages_before = set((media_root / "packages").rglob("*.zip"))
    services.chart_version_mark_done(version=version, result=ConversionResult(
        package_path=package, bpm=120.0, duration_s=20.0, note_counts={"BD": 1}, levels={"MASTER": 100},
        quantisation_error_ms=1.0, warnings=[]))
    assert set((media_root / "packages").rglob("*.zip")) == packages_before, "the late package is not kept"


def test_polling_a_deleted_version_stops(logged_in_client, two_songs):
    doomed = two_songs[0]
    ChartVersion.objects.filter(pk=doomed.pk).delete()
    response = logged_in_client.get(reverse("chart-version-detail", args=[doomed.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 286 and response.content == b""


def test_a_second_delete_changes_nothing(user, package_bytes):
    from charts import services

    chart = make_chart(owner=user, package=package_bytes)
    stale = ChartVersion.objects.get(pk=chart.pk)
    services.chart_version_delete(version=chart)
    services.chart_version_delete(version=stale)  # a double-submitted form
    assert not ChartVersion.objects.exists()
