"""The model service: what it answers, that its answers are the local models' answers, and how a
conversion fails when the service is down, slow or lacks a model."""

from __future__ import annotations

import io
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from processing import inference
from processing.audio import SAMPLE_RATE, decode
from processing.inference import ModelServiceError, encode_array, model_service
from processing.model_service import folder_digest
from processing.separation import Separator, model_folder
from processing.transcription.adtof import features
from processing.transcription.adtof.track import WEIGHTS_PREFIX, load_transcriber
from tests.conftest import _free_port
from tests.model_service_process import (
    SHARED_MODELS, model_folder_for_service, start_model_service, wait_for_health,
)

FAST_RETRIES_S = (0.05, 0.05)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """A running model service: (url, model folder)."""
    folder = model_folder_for_service(tmp_path_factory.mktemp("service-models") / "models")
    port = _free_port()
    process = start_model_service(model_dir=folder, port=port, log_path=folder.parent / "service.log")
    try:
        wait_for_health(port=port, process=process)
        yield f"http://127.0.0.1:{port}", folder
    finally:
        process.terminate()
        process.wait(timeout=30)


def tones(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    left = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * (np.sin(2 * np.pi * 2 * t) > 0.99)
    return np.stack([left, 0.3 * np.sin(2 * np.pi * 330 * t)]).astype(np.float32)


def post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/x-npy"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_health_reports_each_model_loaded_with_the_digest_of_its_files(service):
    url, folder = service
    with urllib.request.urlopen(url + "/health", timeout=10) as response:
        health = json.loads(response.read())
    assert health["ready"] is True
    assert health["models"]["adtof-frame-rnn"]["digest"] == folder_digest(folder=SHARED_MODELS / "adtof-frame-rnn")
    spleeter = health["models"]["spleeter-4stems"]
    assert spleeter["digest"] == folder_digest(folder=model_folder(model_dir=folder).resolve())
    assert spleeter["geometry"] == {"frame_step": 1024, "pad_frames": 3, "block_frames": 512}
    digests = [health["models"][name]["digest"] for name in ("adtof-frame-rnn", "spleeter-4stems")]
    assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", digest) for digest in digests)
    assert digests[0] != digests[1]  # each model's own files, not one folder or a constant


def test_activations_from_the_service_are_the_local_networks(service, groove_file):
    url, _ = service
    audio = decode(path=groove_file[0])
    spectrogram = features.log_filterbank_spectrogram(samples=audio.mono(), sample_rate=audio.sample_rate)
    local = load_transcriber(str(SHARED_MODELS / "adtof-frame-rnn" / WEIGHTS_PREFIX)).activations(features=spectrogram)
    with model_service(url=url):
        remote = inference.remote_drum_activations(features=spectrogram)
    assert remote.shape == local.shape == (len(spectrogram), 5)
    np.testing.assert_allclose(remote, local, atol=1e-5)
    assert local.max() > 0.5  # the groove has hits: the comparison is not of two silences


def test_separation_through_the_service_equals_separation_here(service):
    url, folder = service
    audio = tones(30.0)  # three segments of 11.9 s
    mixes = {"drums": ("drums",), "backing": ("bass", "vocals", "other")}
    local = Separator(model_dir=folder).separate(audio=audio, sample_rate=SAMPLE_RATE, mixes=mixes)
    progress: list[float] = []
    with model_service(url=url):
        remote = Separator(model_dir=folder).separate(audio=audio, sample_rate=SAMPLE_RATE, mixes=mixes,
                                                      on_progress=progress.append)
    assert set(remote) == {"drums", "backing"}
    for name in mixes:
        assert remote[name].shape == audio.shape
        np.testing.assert_allclose(remote[name], local[name], atol=1e-5)
    assert np.abs(local["drums"]).max() > 0.01
    assert len(progress) == 3 and progress[-1] == 1.0


def test_the_service_refuses_what_is_not_a_plain_array(service):
    url, _ = service
    status, body = post(url + "/v1/drum-activations", b"not an array")
    assert status == 400 and b"not a NumPy array" in body
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    status, body = post(url + "/v1/drum-activations", pickled.getvalue())
    assert status == 400  # object arrays need pickle, which the service never reads
    status, body = post(url + "/v1/drum-activations", encode_array(np.zeros((10, 12), np.float32)))
    assert status == 400 and b"(frames, 84)" in body
    status, body = post(url + "/v1/separation?mix=drums,piano", encode_array(np.zeros((4096, 2), np.float32)))
    assert status == 400 and b"piano" in body
    status, body = post(url + "/v1/separation?stems=drums", encode_array(np.zeros((4096, 2), np.float32)))
    assert status == 400 and b"at least one mix" in body
    status, body = post(url + "/v1/separation?mix=drums", encode_array(np.zeros((100, 2), np.float32)))
    assert status == 400 and b"a multiple of 1024" in body


def test_a_service_that_is_down_fails_the_request_naming_it_after_retries(monkeypatch):
    monkeypatch.setattr(inference, "RETRY_DELAYS_S", FAST_RETRIES_S)
    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    started = time.monotonic()
    with model_service(url=url), pytest.raises(ModelServiceError) as raised:
        inference.remote_drum_activations(features=np.zeros((100, 84), np.float32))
    assert url in raised.value.user_message and "after 3 tries" in raised.value.user_message
    assert time.monotonic() - started < 5


def test_a_service_that_never_answers_times_out_instead_of_hanging(monkeypatch):
    monkeypatch.setattr(inference, "RETRY_DELAYS_S", FAST_RETRIES_S)
    monkeypatch.setattr(inference, "REQUEST_TIMEOUT_S", 0.5)
    listener = socket.create_server(("127.0.0.1", 0))  # accepts connections, never answers
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: [accepted.append(listener.accept()[0]) for _ in range(3)], daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    started = time.monotonic()
    try:
        with model_service(url=url), pytest.raises(ModelServiceError) as raised:
            inference.remote_drum_activations(features=np.zeros((100, 84), np.float32))
    finally:
        listener.close()
        for connection in accepted:
            connection.close()
    assert url in raised.value.user_message and "timed out" in raised.value.user_message
    assert time.monotonic() - started < 5


def test_a_service_without_spleeter_says_what_is_missing(tmp_path, monkeypatch):
    folder = model_folder_for_service(tmp_path / "models", with_spleeter=False)
    port = _free_port()
    process = start_model_service(model_dir=folder, port=port, log_path=tmp_path / "service.log")
    try:
        report = wait_for_health(port=port, process=process, ready=False)
        assert report["ready"] is False
        assert report["models"]["adtof-frame-rnn"]["loaded"] is True
        assert "model.index" in report["models"]["spleeter-4stems"]["error"]
        monkeypatch.setattr(inference, "RETRY_DELAYS_S", FAST_RETRIES_S)
        with model_service(url=f"http://127.0.0.1:{port}"), pytest.raises(ModelServiceError) as raised:
            Separator(model_dir=tmp_path / "elsewhere").separate(audio=tones(1.0), sample_rate=SAMPLE_RATE)
        assert "spleeter-4stems is not loaded" in raised.value.user_message
        assert "model.index" in raised.value.user_message
    finally:
        process.terminate()
        process.wait(timeout=30)
