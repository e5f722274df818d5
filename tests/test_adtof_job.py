"""The default track end to end: the web upload offers it first (`advanced-features`, ADTOF's network
with fitted lanes), a real worker runs it."""

import zipfile

import mir_eval
import numpy as np
import pytest

from charts.models import ChartVersion
from processing.dtx.reader import decode_dtx_bytes, parse_dtx
from processing.lanes import Lane
from processing.transcription import PREFERRED_TRACK
from tests.uploads import upload


@pytest.mark.django_db(transaction=True)
def test_default_track_chart_from_the_worker(logged_in_client, groove_file, run_worker):
    path, groove = groove_file
    version = upload(logged_in_client, path, track=PREFERRED_TRACK)
    worker = run_worker()
    assert worker.returncode == 0, worker.stderr[-2000:]
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.DONE, version.error_message
    with version.package.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        chart = parse_dtx(text=decode_dtx_bytes(archive.read("groove/master.dtx")))
    for lane in (Lane.BASS_DRUM, Lane.SNARE):
        f_measure, _, _ = mir_eval.onset.f_measure(groove.hits[lane], np.array(chart.note_times(lane)), window=0.03)
        assert f_measure >= 0.9, (lane, f_measure)
