"""Where the networks run: in this process, or in the model service (`processing.model_service`).

A conversion runs inside `with model_service(url=...)`: with a URL, the Frame_RNN's
activations and Spleeter's segments are computed by the service over HTTP, so that every
worker of a host shares the service's one copy of the weights (and the service may run on a
machine with an accelerator); without one (the default), this process loads the models
itself. The choice is a context variable rather than a parameter because the networks sit
deep inside the tracks and the separator, which take the same arguments either way.

The wire format is NumPy's `.npy` (a single array) and `.npz` (named arrays), read with
`allow_pickle=False`: nothing the other side sends can run code.
"""

from __future__ import annotations

import io
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np

from processing.errors import PipelineError

ACTIVATIONS_PATH = "/v1/drum-activations"
SEPARATION_PATH = "/v1/separation"
HEALTH_PATH = "/health"
NPY_TYPE = "application/x-npy"
NPZ_TYPE = "application/x-npz"
# A song's activations take 2-4 s, a separation segment about 1 s; a service slower than this
# is stuck or swamped, and the job is better failed than left hanging.
REQUEST_TIMEOUT_S = 120.0
# Waits before each new attempt when the service is unreachable, overloaded (503) or behind a
# proxy that lost it (502, 504): a restarting service is back within these 21 s.
RETRY_DELAYS_S = (1.0, 4.0, 16.0)
RETRIED_STATUSES = frozenset({502, 503, 504})
# Enough of the service's own words to name what is missing, not a whole error page.
MAX_DETAIL_CHARS = 600

logger = logging.getLogger(__name__)

_service_url: ContextVar[str | None] = ContextVar("model_service_url", default=None)


class ModelServiceError(PipelineError):
    """The model service could not be reached or could not answer; the message names it."""


@contextmanager
def model_service(*, url: str | None) -> Iterator[None]:
    """Run the networks of the code inside the block in the service at `url` (None: here)."""
    token = _service_url.set(url.rstrip("/") if url else None)
    try:
        yield
    finally:
        _service_url.reset(token)


def service_url() -> str | None:
    """The model service the current conversion uses, or None when it loads the models itself."""
    return _service_url.get()


def encode_array(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def decode_array(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


def encode_arrays(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def decode_arrays(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def _request(*, path: str, data: bytes | None = None, content_type: str = NPY_TYPE) -> bytes:
    """The body of the current model service's answer to a GET (no data) or POST of `path`,
    retried with backoff while the service is unreachable or overloaded. Raises
    ModelServiceError naming the service."""
    service = service_url()
    if service is None:
        raise RuntimeError("no model service: call inside `model_service(url=...)`")
    url = service + path
    for attempt, delay_s in enumerate((*RETRY_DELAYS_S, None), start=1):
        request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type} if data else {})
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:MAX_DETAIL_CHARS]
            if error.code not in RETRIED_STATUSES or delay_s is None:
                raise ModelServiceError(
                    f"The model service at {service} refused the request (HTTP {error.code}: {detail}). "
                    "Try again later; if it keeps failing, the service's log says why."
                ) from error
            reason = f"HTTP {error.code}: {detail}"
        except (urllib.error.URLError, OSError) as error:  # refused, reset, timed out
            reason = str(getattr(error, "reason", error))
            if delay_s is None:
                raise ModelServiceError(
                    f"The model service at {service} did not answer after {attempt} tries ({reason}). "
                    "Try again later; an operator should check that the service runs (`make health`)."
                ) from error
        logger.warning("The model service at %s failed (%s); trying again in %.0f s", service, reason, delay_s)
        time.sleep(delay_s)
    raise AssertionError("unreachable: the last attempt returns or raises")


def remote_drum_activations(*, features: np.ndarray) -> np.ndarray:
    """The service's Frame_RNN activations (frames, 5) for `features` (frames, 84), 100 frames/s."""
    activations = decode_array(_request(path=ACTIVATIONS_PATH, data=encode_array(features.astype(np.float32))))
    if activations.shape != (len(features), 5):
        raise ModelServiceError(f"The model service at {service_url()} answered activations of shape {activations.shape} "
                                f"for {len(features)} frames.")
    return activations


# Stems whose sum is wanted as one waveform, e.g. ("bass", "vocals", "other") for the backing track.
StemGroup = tuple[str, ...]


@dataclass(frozen=True)
class SegmentGeometry:
    """How Spleeter's graph cuts samples into spectrogram frames (see `processing.separation`).

    frame_step: samples between frames (1024); pad_frames: the frames' reach past their hop (3);
    block_frames: frames per U-Net block (512).
    """

    frame_step: int
    pad_frames: int
    block_frames: int


def remote_separation_geometry() -> SegmentGeometry:
    """The segment geometry of the service's Spleeter model."""
    return SegmentGeometry(**json.loads(_request(path=SEPARATION_PATH)))


def remote_separate_segment(*, samples: np.ndarray, groups: tuple[StemGroup, ...]) -> dict[StemGroup, np.ndarray]:
    """Spleeter's overlap-added output per group of stems (their sum), each (L, 2) float32, for
    one segment's samples (L, 2); see `processing.separation._Model.run`."""
    query = urlencode([("mix", separation_group_key(group)) for group in groups])
    separated = decode_arrays(_request(path=f"{SEPARATION_PATH}?{query}",
                                       data=encode_array(samples.astype(np.float32))))
    wanted = {separation_group_key(group): group for group in groups}
    if set(separated) != set(wanted) or any(array.shape != samples.shape for array in separated.values()):
        raise ModelServiceError(f"The model service at {service_url()} answered mixes {sorted(separated)} "
                                f"that do not match the request for {sorted(wanted)}.")
    return {wanted[key]: array for key, array in separated.items()}


def separation_group_key(group: StemGroup) -> str:
    """A group of stems as the separation endpoint names it: "bass,vocals,other"."""
    return ",".join(group)


def separation_group(key: str) -> StemGroup:
    """The group of stems that `separation_group_key` named `key`."""
    return tuple(key.split(","))
