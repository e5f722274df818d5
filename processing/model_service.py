"""The model service: the networks loaded once, answering the workers' inference requests.

Run under gunicorn with one process (`gunicorn processing.model_service:application --workers 1
--threads 4`): every worker of a host then shares this process's one copy of the weights, and
the heavy inference can move to a machine with an accelerator. Workers use it when
A2D_MODEL_SERVICE_URL names it (`processing.inference`); the wire format is `.npy`/`.npz`,
read without pickle.

Endpoints:
- GET /health: 200 once every model is loaded, 503 while loading or when a model could not be
  loaded; JSON {"ready": bool, "models": {name: {"loaded", "digest", "error", ...}}}.
- POST /v1/drum-activations: body (frames, 84) float32 .npy, the log-filterbank features;
  answers (frames, 5) float32 .npy, the Frame_RNN's activations.
- GET /v1/separation: the segment geometry, {"frame_step", "pad_frames", "block_frames"}.
- POST /v1/separation?mix=drums&mix=bass,vocals,other: body (L, 2) float32 .npy, one segment's
  samples cut as `processing.separation` cuts them (GET /v1/separation); answers an .npz with
  one (L, 2) float32 array per mix, the sum of its stems, named as asked.

A small WSGI app rather than a model server (TF Serving, Triton): both networks need code
around them (the Frame_RNN's compiled recurrent part, Spleeter's segment graph) that a
SavedModel export would have to reproduce, and neither server installs from this machine's
package registries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import numpy as np

from processing import separation
from processing.errors import PipelineError
from processing.inference import (ACTIVATIONS_PATH, HEALTH_PATH, SEPARATION_PATH, decode_array, encode_array,
                                  encode_arrays, separation_group)
from processing.transcription.adtof.track import WEIGHTS_PREFIX, load_transcriber
from processing.weights import ADTOF_FRAME_RNN, MODEL_DIR_VARIABLE, ensure_model

ADTOF_MODEL = "adtof-frame-rnn"
SPLEETER_MODEL = "spleeter-4stems"
N_FEATURE_BANDS = 84
# The largest request body: a 15-minute song's features are 30 MB, a separation segment 4 MB.
MAX_BODY_BYTES = 64 * 1024 * 1024
DIGEST_CHUNK = 1024 * 1024

logger = logging.getLogger(__name__)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class BadRequest(Exception):
    """A request the service cannot answer as asked (HTTP 400)."""


def folder_digest(*, folder: Path) -> str:
    """sha256 over the folder's files (names and contents, sorted by name): the loaded weights' identity."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(DIGEST_CHUNK):
                digest.update(chunk)
    return "sha256:" + digest.hexdigest()


class ModelService:
    """The WSGI app. Models load in a background thread, so /health answers while they do;
    each model answers one request at a time (its lock), which bounds the memory that
    concurrent requests take without slowing a CPU that one inference already keeps busy."""

    def __init__(self, *, model_dir: Path) -> None:
        self._model_dir = Path(model_dir)
        self._status: dict[str, dict[str, Any]] = {SPLEETER_MODEL: {"loaded": False}, ADTOF_MODEL: {"loaded": False}}
        self._transcriber = None
        self._spleeter = None
        self._locks = {ADTOF_MODEL: threading.Lock(), SPLEETER_MODEL: threading.Lock()}
        self._loading = threading.Thread(target=self._load_models, name="model-loader", daemon=True)
        self._loading.start()

    def wait_until_loaded(self, *, timeout_s: float | None = None) -> None:
        self._loading.join(timeout_s)

    def _load_models(self) -> None:
        # Spleeter first: building its v1 graph after the Frame_RNN leaves the Frame_RNN's Keras
        # layers unusable from any other thread (ValueError "_assert_built_as_v1"), and the
        # requests come on gunicorn's threads.
        for name, load in ((SPLEETER_MODEL, self._load_spleeter), (ADTOF_MODEL, self._load_transcriber)):
            started = time.perf_counter()
            try:
                self._status[name] = {"loaded": True, **load()}
                logger.info("Loaded %s in %.1f s", name, time.perf_counter() - started)
            except (PipelineError, OSError) as error:  # missing weights, offline: said on /health
                message = getattr(error, "user_message", str(error))
                self._status[name] = {"loaded": False, "error": message}
                logger.error("Could not load %s: %s", name, message)

    def _load_transcriber(self) -> dict[str, Any]:
        folder = ensure_model(spec=ADTOF_FRAME_RNN, model_dir=self._model_dir)
        self._transcriber = load_transcriber(str(folder / WEIGHTS_PREFIX))
        return {"digest": folder_digest(folder=folder)}

    def _load_spleeter(self) -> dict[str, Any]:
        separation.ensure_model(model_dir=self._model_dir)
        folder = separation.model_folder(model_dir=self._model_dir).resolve()
        self._spleeter = separation.load_model(folder=str(folder))
        geometry = self._spleeter.geometry
        return {"digest": folder_digest(folder=folder),
                "geometry": {"frame_step": geometry.frame_step, "pad_frames": geometry.pad_frames,
                             "block_frames": geometry.block_frames}}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        try:
            if path == HEALTH_PATH and method == "GET":
                return self._health(start_response)
            if path == ACTIVATIONS_PATH and method == "POST":
                return self._drum_activations(environ, start_response)
            if path == SEPARATION_PATH and method == "GET":
                return self._separation_geometry(start_response)
            if path == SEPARATION_PATH and method == "POST":
                return self._separation(environ, start_response)
            return _text(start_response, "404 Not Found", f"No {method} {path} here.")
        except BadRequest as error:
            return _text(start_response, "400 Bad Request", str(error))

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        ready = all(status["loaded"] for status in self._status.values())
        return _json(start_response, "200 OK" if ready else "503 Service Unavailable",
                     {"ready": ready, "models": self._status})

    def _unavailable(self, name: str, start_response: StartResponse) -> Iterable[bytes]:
        reason = self._status[name].get("error", "it is still loading")
        return _text(start_response, "503 Service Unavailable", f"{name} is not loaded: {reason}")

    def _drum_activations(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self._transcriber is None:
            return self._unavailable(ADTOF_MODEL, start_response)
        features = _read_array(environ)
        if features.ndim != 2 or features.shape[1] != N_FEATURE_BANDS or not len(features):
            raise BadRequest(f"features must be (frames, {N_FEATURE_BANDS}) with frames > 0, got {features.shape}")
        with self._locks[ADTOF_MODEL]:
            activations = self._transcriber.activations(features=features.astype(np.float32))
        return _npy(start_response, encode_array(activations))

    def _separation_geometry(self, start_response: StartResponse) -> Iterable[bytes]:
        if self._spleeter is None:
            return self._unavailable(SPLEETER_MODEL, start_response)
        return _json(start_response, "200 OK", self._status[SPLEETER_MODEL]["geometry"])

    def _separation(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self._spleeter is None:
            return self._unavailable(SPLEETER_MODEL, start_response)
        keys = parse_qs(environ.get("QUERY_STRING", "")).get("mix", [])
        if not keys:
            raise BadRequest("ask for at least one mix of stems, e.g. ?mix=drums&mix=bass,vocals,other")
        groups = {key: separation_group(key) for key in keys}
        unknown = {stem for group in groups.values() for stem in group} - set(separation.STEMS)
        if unknown:
            raise BadRequest(f"unknown stems {sorted(unknown)}; the model gives {', '.join(separation.STEMS)}")
        samples = _read_array(environ)
        frame_step, frame_length = self._spleeter.geometry.frame_step, self._spleeter.frame_length
        if samples.ndim != 2 or samples.shape[1] != 2 or len(samples) < frame_length or len(samples) % frame_step:
            raise BadRequest(f"samples must be (L, 2) with L a multiple of {frame_step} and at least "
                             f"{frame_length} (GET {SEPARATION_PATH}), got {samples.shape}")
        with self._locks[SPLEETER_MODEL]:
            separated = self._spleeter.run(samples=samples.astype(np.float32), groups=tuple(groups.values()))
        return _npy(start_response, encode_arrays({key: separated[group] for key, group in groups.items()}))


def _read_array(environ: dict[str, Any]) -> np.ndarray:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadRequest("Content-Length is not a number") from None
    if not 0 < length <= MAX_BODY_BYTES:
        raise BadRequest(f"the body must hold 1 to {MAX_BODY_BYTES} bytes, not {length}")
    try:
        return decode_array(environ["wsgi.input"].read(length))
    except ValueError as error:  # not an .npy, or one that needs pickle
        raise BadRequest(f"the body is not a NumPy array: {error}") from None


def _npy(start_response: StartResponse, body: bytes) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
    return [body]


def _json(start_response: StartResponse, status: str, content: Any) -> Iterable[bytes]:
    body = json.dumps(content).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _text(start_response: StartResponse, status: str, message: str) -> Iterable[bytes]:
    body = message.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]


def create_application() -> ModelService:
    """The service on the model folder named by A2D_MODEL_DIR (default var/models, as the app's)."""
    logging.basicConfig(level=os.environ.get("A2D_LOG_LEVEL", "INFO"))
    default = Path(__file__).resolve().parent.parent / "var" / "models"
    return ModelService(model_dir=Path(os.environ.get(MODEL_DIR_VARIABLE, default)))


def __getattr__(name: str) -> ModelService:
    """`application`, built on first access (gunicorn's), not on import (a test's)."""
    if name != "application":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()["application"] = create_application()
    return globals()["application"]
