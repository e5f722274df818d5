"""The hostile corpus (tests/hostile_corpus.py) through the upload form, the worker and
`manage.py convert`: every file is refused with a clear message or converted (or, for a
silent song, failed with one); nothing half-stored, no worker crash, bounded memory."""

from __future__ import annotations

import hashlib
import io
import re
import resource
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from charts import jobs
from charts.models import ChartVersion, Song
from tests.conftest import stored_files
from tests.hostile_corpus import CONVERTED, CONVERTED_OR_FAILED, FAILED, REFUSED, HostileFile, build_corpus

# The bound on any one job's memory; getrusage gives the largest child process in KiB.
MAX_JOB_RSS_KIB = int(2.5 * 1024 * 1024)
OUTCOMES = {
    CONVERTED: {ChartVersion.Status.DONE},
    FAILED: {ChartVersion.Status.FAILED},
    CONVERTED_OR_FAILED: {ChartVersion.Status.DONE, ChartVersion.Status.FAILED},
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[HostileFile]:
    files = build_corpus(tmp_path_factory.mktemp("hostile"))
    assert len(files) >= 50
    return files


def _multipart(file: HostileFile) -> tuple[bytes, str]:
    """The form as a browser posts it, with the file name exactly as given (Django's test
    client would reduce it to its last path component first). A browser writes a quote and
    line breaks in a name as %22, %0D and %0A."""
    boundary = uuid.uuid4().hex
    name = file.name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; filename="{name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode() + file.path.read_bytes() + b"\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="track"\r\n\r\nspectral\r\n'.encode(),
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _form_errors(page: str) -> str:
    """The messages the upload page shows (templates/includes/form_fields.html)."""
    return " ".join(re.findall(r'<(?:div|p) class="error" role="alert">(.*?)</(?:div|p)>', page, re.S)).strip()


@pytest.mark.django_db(transaction=True)
def test_every_hostile_file_is_refused_at_upload_or_converted(logged_in_client, corpus, media_root, run_worker,
                                                              settings):
    settings.A2D_MAX_ACTIVE_JOBS_PER_USER = settings.A2D_MAX_SONGS_PER_USER = len(corpus)
    settings.A2D_RATE_LIMITS = settings.A2D_RATE_LIMITS | {"upload": f"{len(corpus)}/h"}
    accepted: dict[int, HostileFile] = {}
    for file in corpus:
        songs_before, files_before = Song.objects.count(), len(stored_files(media_root))
        body, content_type = _multipart(file)
        response = logged_in_client.generic("POST", reverse("song-upload"), body, content_type=content_type)
        if file.expect == REFUSED:
            errors = _form_errors(response.content.decode())
            assert response.status_code == 200 and errors, f"{file.name!r} ({file.what}) was not refused"
            assert "Traceback" not in errors and "/tmp" not in errors
            assert (Song.objects.count(), len(stored_files(media_root))) == (songs_before, files_before), \
                f"{file.name!r} left something behind"
        else:
            assert response.status_code == 302, f"{file.name!r} ({file.what}) was refused: " \
                                                f"{_form_errors(response.content.decode())}"
            stored = Song.objects.latest("id")
            assert Path(stored.upload.path).resolve().parent.parent == media_root.resolve() / "songs", \
                f"{file.name!r} was stored at {stored.upload.name!r}: a name never chooses the folder"
            accepted[stored.versions.get().pk] = file

    worker = run_worker()
    assert worker.returncode == 0, worker.stderr[-2000:]
    for version in ChartVersion.objects.filter(pk__in=accepted):
        file = accepted[version.pk]
        assert version.status in OUTCOMES[file.expect], f"{file.name!r} ({file.what}): {version.error_message}"
        if version.status == ChartVersion.Status.FAILED:
            assert version.error_message and version.error_message != jobs.UNEXPECTED_ERROR, file.what
        else:
            assert version.package and Path(version.package.path).stat().st_size > 0
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < MAX_JOB_RSS_KIB, "a job outgrew 2.5 GB"


def test_every_hostile_file_is_refused_or_converted_by_the_convert_command(corpus, tmp_path):
    # A hostile name is the upload's problem (the command reads a path on disk): each content once.
    distinct = {hashlib.sha256(file.path.read_bytes()).digest(): file for file in reversed(corpus)}
    for number, file in enumerate(distinct.values()):
        out = tmp_path / f"out-{number}"
        try:
            call_command("convert", str(file.path), "--track", "spectral", "--bgm", "original", "--out", str(out),
                         stdout=io.StringIO())
        except CommandError as error:
            assert file.expect in (REFUSED, FAILED, CONVERTED_OR_FAILED), f"{file.name!r} ({file.what}): {error}"
            assert "Traceback" not in str(error)
            assert not out.exists() or list(out.iterdir()) == [], "nothing half-written"
        else:
            assert file.expect in (CONVERTED, CONVERTED_OR_FAILED), f"{file.name!r} ({file.what}) was converted"
            assert len(list(out.glob("*.zip"))) == 1
