"""The `ensemble` track: the CRNN folds load from the model folder and hear the kicks of a song
rendered from CC0 one-shots, a missing fold file is named, and its command-line flag converts."""

import mir_eval
import numpy as np
import pytest

from processing.audio import DecodedAudio
from processing.lanes import Lane
from processing.transcription.adtof import crnn, ensemble, features, peaks
from processing.weights import MissingWeightsError
from tests.cli import convert_master_chart
from tests.conftest import SHARED_MODELS

TOLERANCE_S = 0.030
CRNN_THRESHOLD = 0.23  # upstream's peak-picking threshold for the crnn-ADTOF models


def test_crnn_folds_load_and_hear_the_kicks(groove_file):
    _, groove = groove_file
    folds = ensemble.load_crnn(str(SHARED_MODELS / "adtof-crnn"))
    assert [model.count_params() for model in folds.models] == [326_953] * 3
    spectrogram = features.log_filterbank_spectrogram(samples=groove.samples.T)
    inputs = crnn.input_features(spectrogram=spectrogram)
    activations = folds.fold_activations(features=inputs)
    assert activations.shape == (3, len(spectrogram), 5)
    # the compiled path gives what Keras' own layers give, one frame later (row i is frame i + 1)
    keras = folds.models[0](inputs[None, :500, :, None], training=False).numpy()[0]
    np.testing.assert_allclose(folds.fold_activations(features=inputs[:500])[0, 1:1 + len(keras)], keras, atol=1e-5)
    kicks = peaks.pick_onsets(activations=folds.activations(features=inputs), thresholds=(CRNN_THRESHOLD,) * 5)[0]
    matched = mir_eval.util.match_events(groove.hits[Lane.BASS_DRUM], kicks, TOLERANCE_S)
    assert len(matched) >= 0.9 * len(groove.hits[Lane.BASS_DRUM]) and len(matched) >= 0.9 * len(kicks)


def test_a_missing_crnn_file_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("A2D_MODEL_MIRROR", "http://127.0.0.1:9/models")
    (tmp_path / "adtof-frame-rnn").symlink_to(SHARED_MODELS / "adtof-frame-rnn")
    (tmp_path / "adtof-crnn").mkdir()
    for path in (SHARED_MODELS / "adtof-crnn").glob("crnn-*"):
        if path.name != "crnn-ADTOF_Fold1.index":
            (tmp_path / "adtof-crnn" / path.name).symlink_to(path)
    audio = DecodedAudio(samples=np.zeros((1, 44_100), dtype=np.float32), sample_rate=44_100)
    with pytest.raises(MissingWeightsError, match=r"crnn-ADTOF_Fold1.index \(missing") as error:
        ensemble.transcribe(audio=audio, model_dir=tmp_path)
    assert "crnn-ADTOF_Fold0" not in error.value.user_message, "only what is missing is named"


def test_use_ensemble_converts_the_test_song(groove_file, tmp_path):
    path, groove = groove_file
    chart = convert_master_chart(path, "--use-ensemble", title="Flag", out=tmp_path)
    assert "ensemble" in chart.headers["COMMENT"]
    kicks = np.array(chart.note_times(Lane.BASS_DRUM))
    assert len(kicks) and np.abs(kicks[:, None] - groove.hits[Lane.BASS_DRUM][None, :]).min(axis=1).max() < 0.03
