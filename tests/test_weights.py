"""Model weights: checked against pinned digests, fetched when missing, a clear error offline."""

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from processing.weights import ADTOF_FRAME_RNN, MissingWeightsError, ensure_model, model_status
from tests.conftest import SHARED_MODELS

UNREACHABLE = "http://127.0.0.1:9/models"


@pytest.fixture
def mirror(tmp_path):
    """A local HTTP server serving a copy of the model files (loopback only)."""
    served = tmp_path / "served"
    shutil.copytree(SHARED_MODELS / ADTOF_FRAME_RNN.folder, served)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_shared_weights_are_accepted_as_they_are(monkeypatch):
    monkeypatch.setenv("A2D_MODEL_MIRROR", UNREACHABLE)
    assert ensure_model(spec=ADTOF_FRAME_RNN, model_dir=SHARED_MODELS) == SHARED_MODELS / "adtof-frame-rnn"


def test_offline_error_names_the_files_the_folder_and_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("A2D_MODEL_MIRROR", UNREACHABLE)
    with pytest.raises(MissingWeightsError) as error:
        ensure_model(spec=ADTOF_FRAME_RNN, model_dir=tmp_path)
    message = error.value.user_message
    for expected in ("Frame_RNN_adtofAll_0.index (missing", "Frame_RNN_adtofAll_0.data-00000-of-00001 (missing",
                     str(tmp_path / "adtof-frame-rnn"), "A2D_MODEL_DIR", "manage.py fetch_models"):
        assert expected in message


def test_damaged_file_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("A2D_MODEL_MIRROR", UNREACHABLE)
    folder = tmp_path / "adtof-frame-rnn"
    shutil.copytree(SHARED_MODELS / "adtof-frame-rnn", folder)
    data = folder / "Frame_RNN_adtofAll_0.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:1000])
    assert model_status(spec=ADTOF_FRAME_RNN, model_dir=tmp_path)[data.name] == "damaged"
    with pytest.raises(MissingWeightsError, match="data-00000-of-00001 \\(damaged"):
        ensure_model(spec=ADTOF_FRAME_RNN, model_dir=tmp_path)


def test_missing_files_are_downloaded_and_checked(tmp_path, monkeypatch, mirror):
    _, url = mirror
    monkeypatch.setenv("A2D_MODEL_MIRROR", url)
    folder = ensure_model(spec=ADTOF_FRAME_RNN, model_dir=tmp_path / "models")
    assert set(model_status(spec=ADTOF_FRAME_RNN, model_dir=tmp_path / "models").values()) == {"ok"}
    assert sorted(p.name for p in folder.iterdir()) == sorted(f.name for f in ADTOF_FRAME_RNN.files)


def test_a_download_that_fails_its_checksum_is_not_stored(tmp_path, monkeypatch, mirror):
    served, url = mirror
    (served / "Frame_RNN_adtofAll_0.index").write_bytes(b"tampered")
    monkeypatch.setenv("A2D_MODEL_MIRROR", url)
    with pytest.raises(MissingWeightsError, match="does not match its pinned checksum"):
        ensure_model(spec=ADTOF_FRAME_RNN, model_dir=tmp_path / "models")
    assert not (tmp_path / "models" / "adtof-frame-rnn" / "Frame_RNN_adtofAll_0.index").exists()
    assert list((tmp_path / "models" / "adtof-frame-rnn").glob(".*")) == []


class _CutOffOnceHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the model files, but the first answer for each file stops halfway (a dropped connection)."""

    cut_off: set[str] = set()

    def do_GET(self):
        if self.path in self.cut_off:
            return super().do_GET()
        self.cut_off.add(self.path)
        data = Path(self.directory, self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.close_connection = True


def test_a_download_cut_off_midway_is_tried_again(tmp_path, monkeypatch):
    served = tmp_path / "served"
    shutil.copytree(SHARED_MODELS / ADTOF_FRAME_RNN.folder, served)
    handler = functools.partial(type("Handler", (_CutOffOnceHandler,), {"cut_off": set()}), directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("A2D_MODEL_MIRROR", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        ensure_model(spec=ADTOF_FRAME_RNN, model_dir=tmp_path / "models")
    finally:
        server.shutdown()
    assert set(model_status(spec=ADTOF_FRAME_RNN, model_dir=tmp_path / "models").values()) == {"ok"}
