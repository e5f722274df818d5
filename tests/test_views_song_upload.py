"""The upload endpoint: accepted audio is stored and queued; anything else is refused with a
reason and leaves nothing behind."""

import hashlib
import io
import struct
import subprocess
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIRequest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from django_htmx.middleware import HtmxDetails

from charts import views

from charts.models import ChartVersion, Song
from tests.conftest import stored_files


def _png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")


def _silent_flac(path, seconds: float):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono",
                    "-t", str(seconds), str(path)], check=True)
    return path


def _post(client, upload):
    return client.post(reverse("song-upload"), {"upload": upload, "title": "", "artist": "", "track": "spectral"})


def _assert_refused(response, media_root, message):
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Song.objects.count() == 0 and ChartVersion.objects.count() == 0
    assert stored_files(media_root) == []


def test_form_lists_tracks_from_the_registry_and_prefers_advanced_features(logged_in_client):
    page = logged_in_client.get(reverse("song-upload")).content.decode()
    assert '<option value="spectral">Spectral</option>' in page
    assert '<option value="adtof">ADTOF neural</option>' in page
    assert '<option value="advanced-features" selected>ADTOF with fitted per-hit lanes</option>' in page
    assert "CC BY-NC-SA 4.0" in page


def test_spectral_is_the_default_without_weights(logged_in_client, settings, tmp_path):
    settings.A2D_MODEL_DIR = tmp_path
    page = logged_in_client.get(reverse("song-upload")).content.decode()
    assert '<option value="spectral" selected>Spectral</option>' in page


def test_login_required(client):
    response = client.get(reverse("song-upload"))
    assert response.status_code == 302 and reverse("login") in response.url


@pytest.mark.django_db
def test_png_renamed_mp3_is_refused(logged_in_client, media_root):
    response = _post(logged_in_client, SimpleUploadedFile("song.mp3", _png_bytes(), content_type="audio/mpeg"))
    _assert_refused(response, media_root, "not audio we can read")


@pytest.mark.django_db
def test_empty_file_is_refused(logged_in_client, media_root):
    response = _post(logged_in_client, SimpleUploadedFile("song.mp3", b"", content_type="audio/mpeg"))
    _assert_refused(response, media_root, "empty")


@pytest.mark.django_db
def test_over_long_file_is_refused(logged_in_client, media_root, tmp_path):
    path = _silent_flac(tmp_path / "long.flac", seconds=16 * 60)
    with open(path, "rb") as handle:
        response = _post(logged_in_client, handle)
    _assert_refused(response, media_root, "the limit is 15 minutes")


@pytest.mark.django_db
def test_too_short_file_is_refused(logged_in_client, media_root, tmp_path):
    path = _silent_flac(tmp_path / "short.flac", seconds=2)
    with open(path, "rb") as handle:
        response = _post(logged_in_client, handle)
    _assert_refused(response, media_root, "must last at least 5 s")


@pytest.mark.django_db
def test_oversized_file_is_refused(logged_in_client, media_root, settings, groove_file):
    settings.A2D_MAX_UPLOAD_BYTES = 1024
    with open(groove_file[0], "rb") as handle:
        response = _post(logged_in_client, handle)
    _assert_refused(response, media_root, "larger than 0 MB")


@pytest.mark.django_db
def test_accepted_upload_is_stored_with_its_facts(logged_in_client, user, media_root, groove_file):
    path, _ = groove_file
    with open(path, "rb") as handle:
        response = _post(logged_in_client, handle)
    assert response.status_code == 302
    song = Song.objects.get()
    assert song.owner == user and song.title == "groove"  # no tags: the file's name
    assert song.duration_s == pytest.approx(20.0, abs=0.01) and song.sample_rate == 44100 and song.channels == 2
    assert song.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    version = song.versions.get()
    assert version.status == ChartVersion.Status.QUEUED and version.track == "spectral"
    assert len(stored_files(media_root)) == 1


@pytest.mark.django_db
def test_title_and_artist_come_from_tags(logged_in_client, tmp_path, groove_file):
    tagged = tmp_path / "tagged.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(groove_file[0]), "-metadata", "title=Tagged Title",
                    "-metadata", "artist=Tagged Artist", str(tagged)], check=True)
    with open(tagged, "rb") as handle:
        _post(logged_in_client, handle)
    song = Song.objects.get()
    assert (song.title, song.artist) == ("Tagged Title", "Tagged Artist")


@pytest.mark.django_db
def test_header_fields_are_one_line_each_and_length_limited(logged_in_client, media_root, groove_file):
    with open(groove_file[0], "rb") as handle:
        response = logged_in_client.post(reverse("song-upload"), {"upload": handle, "track": "spectral",
                                                                  "genre": "Math\nRock", "comment": "x" * 301})
    _assert_refused(response, media_root, "at most 300 characters")
    with open(groove_file[0], "rb") as handle:
        logged_in_client.post(reverse("song-upload"), {"upload": handle, "track": "spectral", "genre": "Math\nRock",
                                                       "charter": " Kim\r\n Lee ", "comment": "x" * 300})
    song = Song.objects.get()
    assert (song.genre, song.charter, song.comment) == ("Math Rock", "Kim Lee", "x" * 300)


class _WatchedBody(io.BytesIO):
    """A request body that notes, at every read, the largest temporary upload file in
    `folder`: the most the server ever kept of the file while reading it."""

    def __init__(self, data: bytes, *, folder):
        super().__init__(data)
        self.folder, self.kept_bytes = folder, 0

    def read(self, size=-1):
        sizes = [path.stat().st_size for path in self.folder.iterdir() if path.is_file()]
        self.kept_bytes = max([self.kept_bytes, *sizes])
        return super().read(size)


@pytest.mark.django_db
def test_an_oversized_upload_is_stopped_while_it_streams_in(user, settings, tmp_path, media_root):
    settings.A2D_MAX_UPLOAD_BYTES = 256 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every file streams to a temporary file
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    payload = encode_multipart(BOUNDARY, {"upload": SimpleUploadedFile("big.wav", b"\0" * (4 * 1024 * 1024)),
                                          "track": "spectral"})
    body = _WatchedBody(payload, folder=tmp_path)
    request = WSGIRequest({
        "REQUEST_METHOD": "POST", "PATH_INFO": reverse("song-upload"), "SERVER_NAME": "testserver",
        "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": body,
        "CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(payload)),
    })
    request.user = user
    request.htmx = HtmxDetails(request)

    response = views.song_upload(request)

    assert "larger than 0 MB" in response.content.decode()
    assert body.tell() == len(payload), "the rest was read and dropped, so the browser gets the page"
    assert 0 < body.kept_bytes <= settings.A2D_MAX_UPLOAD_BYTES, "no more than the limit ever reached the disk"
    assert Song.objects.count() == 0 and stored_files(media_root) == []
