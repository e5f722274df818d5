"""Model weights: where they live, how they are checked, and fetching them on first use.

Weights live in a model folder (A2D_MODEL_DIR; default var/models) laid out as
`<model>/<file>`. A file is accepted only when its digest is one of the pinned ones; missing
or damaged files are downloaded from the pinned upstream URLs (or a mirror named by
A2D_MODEL_MIRROR) and checked before they are stored. Offline, the error names every file
that is missing, the folder, and the command that fetches them.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, TypeVar

from processing.errors import PipelineError

logger = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = 60
# Waits before each new attempt at a download cut off, timed out or refused by a busy server.
DOWNLOAD_RETRY_DELAYS_S = (1.0, 4.0, 15.0)
# Errors of a connection that worked and then failed: worth another try. A host that cannot be
# found or refuses connections (offline) is not: the user is told at once.
TRANSIENT_NETWORK_ERRORS = (http.client.IncompleteRead, http.client.RemoteDisconnected, ConnectionResetError,
                            ConnectionAbortedError, TimeoutError)
CHUNK = 1024 * 1024
MIRROR_VARIABLE = "A2D_MODEL_MIRROR"
MODEL_DIR_VARIABLE = "A2D_MODEL_DIR"


@dataclass(frozen=True)
class Digest:
    """A pinned digest: `kind` is "sha256" or "git-blob" (sha1 of b"blob <size>\\0" + content)."""

    kind: str
    hexdigest: str


@dataclass(frozen=True)
class WeightFile:
    name: str
    url: str
    accepted: tuple[Digest, ...]


@dataclass(frozen=True)
class ModelSpec:
    """A model's files, as a folder inside the model folder."""

    folder: str
    files: tuple[WeightFile, ...]
    licence: str


ADTOF_BASE_URL = "https://raw.githubusercontent.com/MZehren/ADTOF/b3968fb332f69b65ee07c089fc62f436503755db/adtof/models/"
# Upstream's files, and the rebuild of them whose model tensors are bit-identical (only the
# optimizer's training slots differ) that some installations carry.
ADTOF_FRAME_RNN = ModelSpec(
    folder="adtof-frame-rnn",
    files=(
        WeightFile(
            name="Frame_RNN_adtofAll_0.index",
            url=ADTOF_BASE_URL + "Frame_RNN_adtofAll_0.index",
            accepted=(
                Digest("sha256", "3fe35e421c448c395984168cd3aa1f979def902df784b6766291e55bb9aa069f"),
                Digest("sha256", "05a46db2c5c2f2d37171d52c8fa4bf1a7866997ac676e4899edae423169b921f"),
            ),
        ),
        WeightFile(
            name="Frame_RNN_adtofAll_0.data-00000-of-00001",
            url=ADTOF_BASE_URL + "Frame_RNN_adtofAll_0.data-00000-of-00001",
            accepted=(
                Digest("git-blob", "38df829b7590315306cc3ad3923cb9b085a9f400"),
                Digest("sha256", "76f5b850c38042a15688072a90e5dd5c037c6cb3d93e9aea93cc8019c6724c16"),
            ),
        ),
    ),
    licence="CC BY-NC-SA 4.0 (ADTOF, Zehren et al.): non-commercial use only",
)
ADTOF_CRNN_BASE_URL = (
    "https://raw.githubusercontent.com/MZehren/ADTOF/d718bfdc3e03f461f1ea30d005374a48ccd32922/adtof/models/"
)
# The three folds of upstream's CRNN (crnn-ADTOF), which the `ensemble` track averages.
ADTOF_CRNN = ModelSpec(
    folder="adtof-crnn",
    files=tuple(
        WeightFile(name=name, url=ADTOF_CRNN_BASE_URL + name, accepted=(Digest("sha256", sha256),))
        for name, sha256 in (
            ("crnn-ADTOF_Fold0.index", "f0dd6bfe902822889dbdd9a8d468f7873ba98105bb84145530f9c2803a7223b4"),
            ("crnn-ADTOF_Fold0.data-00000-of-00001",
             "037745494fa92f7495ed602c6c39b83f34aaec43ab004872ea4bfb75bd354b71"),
            ("crnn-ADTOF_Fold1.index", "a5671e123cfb71920eddcf87304385868399d697d6a1b7fad4e123fef458863c"),
            ("crnn-ADTOF_Fold1.data-00000-of-00001",
             "0d0c65b611167f5660e03855de071948d2388c40f9b9c1ea000e4649f8270872"),
            ("crnn-ADTOF_Fold2.index", "6b97e23e7648d52adf247c2f0ac945eb2098a51a45b7fadf584fa6c950f16f7a"),
            ("crnn-ADTOF_Fold2.data-00000-of-00001",
             "a9958f0340282db2e4403e2c89524f768564e91435c7aedc654a7460dc4ba534"),
        )
    ),
    licence="CC BY-NC-SA 4.0 (ADTOF, Zehren et al.): non-commercial use only",
)
MODELS = {spec.folder: spec for spec in (ADTOF_FRAME_RNN, ADTOF_CRNN)}


T = TypeVar("T")


class MissingWeightsError(PipelineError):
    """The model's weights are not in the model folder and could not be fetched."""


def file_digests(path: Path) -> frozenset[Digest]:
    """The sha256 and git-blob digests of a file, computed once per version of the file:
    forms, the tempo map and the track all ask whether the same weights are valid."""
    stat = path.stat()
    return _digests(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=32)
def _digests(path: str, size: int, mtime_ns: int) -> frozenset[Digest]:
    sha256 = hashlib.sha256()
    blob = hashlib.sha1(f"blob {size}\0".encode())
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            sha256.update(chunk)
            blob.update(chunk)
    return frozenset({Digest("sha256", sha256.hexdigest()), Digest("git-blob", blob.hexdigest())})


def is_valid(path: Path, weight: WeightFile) -> bool:
    return path.is_file() and bool(file_digests(path) & set(weight.accepted))


def model_status(*, spec: ModelSpec, model_dir: Path) -> dict[str, str]:
    """{file name: "ok" | "missing" | "damaged"} for the model's files in `model_dir`."""
    status = {}
    for weight in spec.files:
        path = model_dir / spec.folder / weight.name
        status[weight.name] = "missing" if not path.exists() else ("ok" if is_valid(path, weight) else "damaged")
    return status


def ensure_model(*, spec: ModelSpec, model_dir: Path, download: bool = True) -> Path:
    """The folder holding the model's checked files, fetching what is missing or damaged.

    Raises MissingWeightsError naming the files, the folder and the way to fetch them.
    """
    folder = model_dir / spec.folder
    status = model_status(spec=spec, model_dir=model_dir)
    problems = []
    for weight in spec.files:
        path, state = folder / weight.name, status[weight.name]
        if state == "ok":
            continue
        if not download:
            problems.append(f"{weight.name} ({state})")
            continue
        try:
            with_download_retries(lambda: _download(weight=weight, destination=path), what=weight.name)
        except (OSError, urllib.error.URLError, ValueError) as error:
            problems.append(f"{weight.name} ({state}; download failed: {_reason(error)})")
    if problems:
        raise MissingWeightsError(
            f"The {spec.folder} model weights are not usable: {', '.join(problems)}. They belong in "
            f"{folder} (the folder named by {MODEL_DIR_VARIABLE}); run `python manage.py fetch_models` "
            f"where the internet is reachable, or copy the files there."
        )
    return folder


def is_transient_download_error(error: BaseException) -> bool:
    """Whether a download that raised `error` may work if tried again (urllib's or httpx's errors)."""
    if isinstance(error, urllib.error.HTTPError):
        return error.code == 429 or error.code >= 500
    if isinstance(error, urllib.error.URLError):
        return isinstance(error.reason, TRANSIENT_NETWORK_ERRORS)
    if isinstance(error, TRANSIENT_NETWORK_ERRORS):
        return True
    try:
        import httpx  # Spleeter's downloads
    except ImportError:
        return False
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code == 429 or error.response.status_code >= 500
    return isinstance(error, (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError))


def with_download_retries(download: Callable[[], T], *, what: str) -> T:
    """`download()`, tried again after each of DOWNLOAD_RETRY_DELAYS_S while it fails in a way
    that may pass (is_transient_download_error); any other error, or the last, goes on."""
    for delay_s in DOWNLOAD_RETRY_DELAYS_S:
        try:
            return download()
        except Exception as error:
            if not is_transient_download_error(error):
                raise
            logger.warning("Downloading %s failed (%s); trying again in %g s", what, error, delay_s)
            time.sleep(delay_s)
    return download()


def _download(*, weight: WeightFile, destination: Path) -> None:
    url = weight.url
    mirror = os.environ.get(MIRROR_VARIABLE)
    if mirror:
        url = mirror.rstrip("/") + "/" + weight.name
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=destination.parent, prefix=f".{weight.name}.", delete=False) as partial:
        partial_path = Path(partial.name)
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                shutil.copyfileobj(response, partial, CHUNK)
                # A connection dropped midway ends the body early without an error of its own.
                announced = response.headers.get("Content-Length")
                if announced is not None and partial.tell() < int(announced):
                    raise http.client.IncompleteRead(b"", int(announced) - partial.tell())
        except BaseException:
            partial_path.unlink(missing_ok=True)
            raise
    if not is_valid(partial_path, weight):
        partial_path.unlink(missing_ok=True)
        raise ValueError("the downloaded file does not match its pinned checksum")
    partial_path.replace(destination)  # only a checked file ever carries the final name


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        return "no connection"
    return str(error) or error.__class__.__name__
