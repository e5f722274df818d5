"""The chart JSON behind the preview holds exactly what each .dtx holds, under the chart
page's access rules; the package's audio is served, nothing else of it."""

import zipfile
from collections import Counter

import pytest
from django.urls import reverse

from charts.models import ChartVersion
from processing.dtx.reader import decode_dtx_bytes, parse_dtx
from processing.package import package_chart_files
from tests.uploads import upload


@pytest.fixture
def finished(logged_in_client, groove_file, run_worker, transactional_db) -> ChartVersion:
    version = upload(logged_in_client, groove_file[0])
    assert run_worker().returncode == 0
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.DONE
    return version


def test_json_note_counts_equal_the_dtx_for_every_difficulty(logged_in_client, finished):
    with finished.package.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        charts = {label: parse_dtx(text=decode_dtx_bytes(archive.read(member)))
                  for label, member in package_chart_files(archive).items()}
    assert list(charts) == ["BASIC", "ADVANCED", "EXTREME", "MASTER"]
    url = reverse("chart-version-chart-json", args=[finished.pk])
    for label, dtx in charts.items():
        data = logged_in_client.get(url, {"difficulty": label}).json()
        assert Counter(chip for _, _, chip in data["notes"]) == Counter(lane.value for _, lane in dtx.notes())
        assert data["level"] == int(dtx.headers["DLEVEL"])
        assert data["bars"] and data["bars"] == sorted(data["bars"])
    assert logged_in_client.get(url, {"difficulty": "NOPE"}).status_code == 404


def test_another_users_json_and_audio_are_404(client, other_user, finished):
    client.force_login(other_user)
    assert client.get(reverse("chart-version-chart-json", args=[finished.pk])).status_code == 404
    assert client.get(reverse("chart-version-file", args=[finished.pk, "bgm.ogg"])).status_code == 404


def test_only_audio_files_of_the_package_are_served(logged_in_client, finished):
    bgm = logged_in_client.get(reverse("chart-version-file", args=[finished.pk, "bgm.ogg"]))
    assert bgm.status_code == 200 and bgm["Content-Type"] == "audio/ogg" and bgm.content[:4] == b"OggS"
    chip = logged_in_client.get(reverse("chart-version-file", args=[finished.pk, "chips/SD.wav"]))
    assert chip.status_code == 200 and chip.content[:4] == b"RIFF"
    for name in ("set.def", "master.dtx", "../bgm.ogg", "chips/../set.def"):
        assert logged_in_client.get(reverse("chart-version-file", args=[finished.pk, name])).status_code == 404
