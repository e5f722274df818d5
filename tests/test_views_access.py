"""Another user gets 404 for someone's song, its audio, chart page, status fragment and download."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from charts.models import ChartVersion, Song


@pytest.fixture
def finished_version(user, db):
    song = Song(owner=user, title="Private", original_filename="p.flac", sha256="0" * 64,
                duration_s=20, sample_rate=44100, channels=2)
    song.upload.save("p.flac", ContentFile(b"audio"), save=False)
    song.save()
    version = ChartVersion(song=song, track="spectral", status=ChartVersion.Status.DONE, bpm=120.0,
                           note_counts={"BD": 3})
    version.package.save("p.zip", ContentFile(b"zip"), save=False)
    version.save()
    return version


@pytest.mark.parametrize("name,key", [
    ("song-detail", "song"), ("song-audio", "song"), ("chart-version-detail", "version"),
    ("chart-version-download", "version"),
])
def test_owner_sees_it_and_another_user_gets_404(client, user, other_user, finished_version, name, key):
    target = finished_version.song_id if key == "song" else finished_version.pk
    url = reverse(name, args=[target])
    client.force_login(user)
    assert client.get(url).status_code == 200
    client.force_login(other_user)
    assert client.get(url).status_code == 404
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404


def test_anonymous_is_sent_to_login(client, finished_version):
    response = client.get(reverse("chart-version-download", args=[finished_version.pk]))
    assert response.status_code == 302 and reverse("login") in response.url


def test_song_list_shows_only_my_songs_newest_first(client, user, other_user, finished_version):
    Song.objects.create(owner=other_user, title="Theirs", original_filename="t.flac", sha256="1" * 64,
                        duration_s=20, sample_rate=44100, channels=2)
    newer = Song.objects.create(owner=user, title="Newer", original_filename="n.flac", sha256="2" * 64,
                                duration_s=20, sample_rate=44100, channels=2)
    client.force_login(user)
    page = client.get(reverse("song-list")).content.decode()
    assert "Theirs" not in page
    assert page.index(newer.title) < page.index("Private")
