"""The `adtof` track: the Frame_RNN loads from the model folder and hears the kicks and snares
of a song rendered from CC0 one-shots."""

import shutil

import mir_eval
import numpy as np
import pytest

from processing.audio import DecodedAudio
from processing.lanes import Lane
from processing.transcription import get_track
from processing.transcription.adtof import features, peaks
from processing.transcription.adtof.track import WEIGHTS_PREFIX, load_transcriber
from processing.weights import MissingWeightsError
from tests.audio_fixtures import render_groove
from tests.conftest import SHARED_MODELS

TOLERANCE_S = 0.030


def test_model_restores_every_tensor_from_the_folder():
    transcriber = load_transcriber(str(SHARED_MODELS / "adtof-frame-rnn" / WEIGHTS_PREFIX))
    assert transcriber.model.count_params() == 450_125


@pytest.mark.parametrize("bpm", [96.0, 128.0])
def test_finds_kicks_and_snares_of_a_rendered_groove(bpm):
    groove = render_groove(seconds=20.0, bpm_start=bpm)
    hits = get_track("adtof").run(audio=DecodedAudio(samples=groove.samples, sample_rate=groove.sample_rate),
                                  model_dir=SHARED_MODELS)
    for lane in (Lane.BASS_DRUM, Lane.SNARE):
        found = np.array([hit.time_s for hit in hits if hit.lane == lane])
        matched = mir_eval.util.match_events(groove.hits[lane], found, TOLERANCE_S)
        assert len(matched) >= 0.9 * len(groove.hits[lane]), (lane, len(matched), len(groove.hits[lane]))


def test_a_corrupt_weight_file_gives_the_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("A2D_MODEL_MIRROR", "http://127.0.0.1:9/models")
    shutil.copytree(SHARED_MODELS / "adtof-frame-rnn", tmp_path / "adtof-frame-rnn")
    (tmp_path / "adtof-frame-rnn" / f"{WEIGHTS_PREFIX}.index").write_bytes(b"garbage")
    audio = DecodedAudio(samples=np.zeros((1, 44_100), dtype=np.float32), sample_rate=44_100)
    with pytest.raises(MissingWeightsError, match=r"Frame_RNN_adtofAll_0.index \(damaged"):
        get_track("adtof").run(audio=audio, model_dir=tmp_path)


def test_features_follow_the_documented_frame_grid():
    samples = np.zeros(44_100 * 2 + 1, dtype=np.float32)
    samples[44_100] = 1.0  # an impulse at 1 s
    spectrogram = features.log_filterbank_spectrogram(samples=samples)
    assert spectrogram.shape == (201, 84)
    assert int(np.argmax(spectrogram.sum(axis=1))) == 100, "frame i is centred on sample 441 * i"


def test_peak_picking_keeps_maxima_above_the_moving_average():
    activation = np.zeros(300, dtype=np.float32)
    activation[[50, 51, 120, 200]] = [0.9, 0.5, 0.1, 0.6]
    frames = peaks.pick_frames(activation=activation, threshold=0.22)
    assert list(frames) == [50, 200], "the weak peak is under the threshold; 51 is not a maximum"
