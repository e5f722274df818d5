"""The chart JSON behind the preview holds exactly what each .dtx holds, with each note's
confidence, under the chart page's access rules; the package's audio is served, nothing else
of it."""

import zipfile
from collections import Counter

import pytest
from django.urls import reverse

from charts.models import ChartVersion
from processing.chart_view import UNCERTAIN_BELOW
from processing.dtx.reader import decode_dtx_bytes, parse_dtx
from processing.package import CONFIDENCE_FILE, package_chart_files, package_confidences
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
        assert Counter(chip for _, _, chip, _ in data["notes"]) == Counter(lane.value for _, lane in dtx.notes())
        assert data["level"] == dtx.level
        assert data["bars"] and data["bars"] == sorted(data["bars"])
    assert logged_in_client.get(url, {"difficulty": "NOPE"}).status_code == 404


def test_every_note_carries_its_stored_confidence(logged_in_client, finished):
    with finished.package.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        stored = package_confidences(archive)
    assert list(stored) == ["BASIC", "ADVANCED", "EXTREME", "MASTER"]
    url = reverse("chart-version-chart-json", args=[finished.pk])
    for label, confidences in stored.items():
        data = logged_in_client.get(url, {"difficulty": label}).json()
        by_lane: dict[str, list[float]] = {}
        for _, _, chip, confidence in data["notes"]:  # sorted by time: each lane's notes in tick order
            by_lane.setdefault(chip, []).append(confidence)
        assert by_lane == confidences
        assert all(0.0 <= confidence <= 1.0 and confidence == round(confidence, 2)
                   for values in by_lane.values() for confidence in values)
        assert data["uncertain_below"] == UNCERTAIN_BELOW

    page = logged_in_client.get(reverse("chart-version-detail", args=[finished.pk])).content.decode()
    assert 'data-role="uncertain"' in page and 'data-role="uncertainty"' in page
    for lane, values in stored["MASTER"].items():
        uncertain = sum(value < UNCERTAIN_BELOW for value in values)
        assert f'data-lane="{lane}"' in page and f"{uncertain} of {len(values)}" in page


def test_a_chart_stored_without_confidences_still_previews(logged_in_client, finished):
    path = finished.package.path
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist() if not name.endswith(CONFIDENCE_FILE)}
    with zipfile.ZipFile(path, "w") as archive:  # the package as it was made before this change
        for name, data in members.items():
            archive.writestr(name, data)

    data = logged_in_client.get(reverse("chart-version-chart-json", args=[finished.pk])).json()
    assert data["notes"] and {confidence for *_, confidence in data["notes"]} == {None}
    page = logged_in_client.get(reverse("chart-version-detail", args=[finished.pk])).content.decode()
    assert 'data-role="no-confidence"' in page
    assert 'data-role="uncertain"' not in page and 'data-role="uncertainty"' not in page


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
