"""Upload through the web views, a real worker converts, the page reports done, the package
downloads, and its chart holds the generated kicks and snares."""

import zipfile

import mir_eval
import numpy as np
import pytest
from django.urls import reverse

from charts.models import ChartVersion
from processing.dtx.reader import decode_dtx_bytes, parse_dtx
from processing.dtx.validator import validate_package
from processing.lanes import Lane

TOLERANCE_S = 0.030
MIN_F_MEASURE = 0.9


@pytest.mark.django_db(transaction=True)
def test_upload_convert_download(logged_in_client, groove_file, run_worker, tmp_path):
    path, groove = groove_file
    with open(path, "rb") as handle:
        response = logged_in_client.post(
            reverse("song-upload"),
            {"upload": handle, "title": "Test Groove", "artist": "The Synths", "track": "spectral"},
        )
    assert response.status_code == 302
    version = ChartVersion.objects.get()
    assert response.url == reverse("song-detail", args=[version.song_id])

    page = logged_in_client.get(response.url).content.decode()
    assert "Queued" in page and 'hx-trigger="every 1s"' in page

    worker = run_worker()
    assert worker.returncode == 0, worker.stderr

    fragment = logged_in_client.get(reverse("chart-version-detail", args=[version.pk]), HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert 'data-status="done"' in html
    assert "hx-trigger" not in html, "polling must stop once the job has ended"
    assert "120.0 BPM" in html and "MASTER" in html
    on_chart_page = logged_in_client.get(
        reverse("chart-version-detail", args=[version.pk]), HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver" + reverse("chart-version-detail", args=[version.pk]),
    )
    assert on_chart_page["HX-Refresh"] == "true", "the chart page reloads to show its preview"
    assert "HX-Refresh" not in fragment, "the song page just swaps the finished status in"

    download = logged_in_client.get(reverse("chart-version-download", args=[version.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="Test Groove.zip"')
    package = tmp_path / "package.zip"
    package.write_bytes(b"".join(download.streaming_content))
    assert validate_package(path=package) == []
    archive = zipfile.ZipFile(package)
    names = set(archive.namelist())
    assert {"Test Groove/set.def", "Test Groove/master.dtx", "Test Groove/bgm.ogg", "Test Groove/preview.ogg"} <= names
    chart = parse_dtx(text=decode_dtx_bytes(archive.read("Test Groove/master.dtx")))
    assert chart.headers["TITLE"] == "Test Groove" and chart.headers["ARTIST"] == "The Synths"
    for lane in (Lane.BASS_DRUM, Lane.SNARE):
        f_measure, _, _ = mir_eval.onset.f_measure(
            groove.hits[lane], np.array(chart.note_times(lane)), window=TOLERANCE_S
        )
        assert f_measure >= MIN_F_MEASURE, (lane, f_measure)
