"""A song whose tempo ramps from 100 to 130 BPM: the MASTER chart follows it."""

import zipfile

import numpy as np

from processing.dtx.reader import decode_dtx_bytes, parse_dtx
from processing.dtx.validator import validate_package
from processing.lanes import Lane
from processing.pipeline import convert
from tests.audio_fixtures import render_groove, write_groove
from tests.conftest import SHARED_MODELS

TOLERANCE_S = 0.020


def test_every_kick_of_a_ramp_lands_within_20_ms(tmp_path):
    groove = render_groove(seconds=30.0, bpm_start=100.0, bpm_end=130.0)
    song = write_groove(groove, tmp_path / "ramp.flac")
    convert(source=song, out_path=tmp_path / "ramp.zip", track_name="adtof", model_dir=SHARED_MODELS,
            title="ramp", parameters={"bgm": "original"})
    assert validate_package(path=tmp_path / "ramp.zip") == []
    with zipfile.ZipFile(tmp_path / "ramp.zip") as archive:
        chart = parse_dtx(text=decode_dtx_bytes(archive.read("ramp/master.dtx")))
    kicks = np.array(chart.note_times(Lane.BASS_DRUM))
    misses = [t for t in groove.hits[Lane.BASS_DRUM] if np.min(np.abs(kicks - t)) > TOLERANCE_S]
    assert misses == [], f"{len(misses)} of {len(groove.hits[Lane.BASS_DRUM])} kicks off by more than 20 ms"
    assert len(chart.tempo_changes) > 2, "the chart changes tempo as the song speeds up"
