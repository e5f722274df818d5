"""Spleeter 4-stem separation in bounded memory.

Spleeter separates a whole song in one TensorFlow run: it cuts the song's spectrogram into
blocks of 512 frames (11.9 s), runs every block through four U-Nets as one batch and
turns the masked spectrogram back into audio, so memory grows with the song (about 7.4 GB
for four minutes). Here the song goes through a few blocks at a time. The U-Net sees each
block on its own anyway, so cutting the song on Spleeter's own block boundaries changes
nothing the model computes: each segment gets exactly the spectrogram frames the
whole-song run would have computed for its blocks, and the segments' audio is joined by
the same overlap-add that joins spectrogram frames inside a run (neighbouring segments
share three frames' worth of samples, 70 ms, where their windowed frames add up). The
result equals Spleeter's whole-song output to float rounding, with no seams to hide and
no audio computed twice.

Only the four U-Nets run in TensorFlow. The spectrogram, the masks and the way back to audio
are Spleeter's arithmetic done here in NumPy, for two reasons: TensorFlow's inverse FFT took
half of a segment's time (four 75 ms transforms against 0.2 s of U-Nets on this machine's
two cores), and a mix of stems (the drum-less backing track) needs one inverse transform of
its summed masks, not one per stem, since the transform is linear.

The TensorFlow graph and session are built once per process (per model folder) and reused
for every segment and every call: building them and restoring 150 MB of weights costs
seconds, which a worker should pay once, not per song.

Model files live in `<model_dir>/spleeter/4stems/` (Spleeter's own layout below its
`MODEL_PATH`): `checkpoint`, `model.index`, `model.data-*`, `model.meta` and the `.probe`
file that Spleeter writes once a download is complete.
"""

from __future__ import annotations

import functools
import logging
import os
import time
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.fft
import scipy.signal

from processing import inference
from processing.audio import SAMPLE_RATE  # Spleeter's models work at the pipeline's rate
from processing.errors import PipelineError
from processing.inference import SegmentGeometry, StemGroup
from processing.weights import with_download_retries

MODEL_NAME = "4stems"
STEMS = ("drums", "bass", "vocals", "other")
BACKING_STEMS = ("bass", "vocals", "other")
STEM_MIXES = {stem: (stem,) for stem in STEMS}  # each stem on its own
REQUIRED_FILES = ("checkpoint", "model.index", "model.meta", ".probe")
DATA_SHARD = re.compile(r"^model\.data-\d{5}-of-(\d{5})$")
FETCH_HINT = "run `python manage.py fetch_models` on a machine that can reach GitHub"

# Spleeter's own constants (spleeter.model.EstimatorSpecBuilder): what keeps a mask finite where
# every stem is silent, and the gain that makes its Hann windows, applied on the way in and on
# the way out, overlap-add to one at a hop of a quarter frame.
MASK_EPSILON = 1e-10
WINDOW_COMPENSATION_FACTOR = 2.0 / 3.0

# Blocks of 512 spectrogram frames (11.9 s) per segment. With the full-size model one
# block's activations take about 0.35 GB above the 0.8 GB that TensorFlow and the weights
# hold, and each further block adds as much again; on CPU two blocks per run were no
# faster than one (4-minute song: 25 s either way), so one block it is.
SEGMENT_BLOCKS = 1

ProgressCallback = Callable[[float], None]

logger = logging.getLogger(__name__)


class ModelMissingError(PipelineError):
    """The Spleeter model folder is absent, empty or incomplete (an operator's problem)."""


@dataclass(frozen=True)
class _Model:
    """A restored Spleeter model: its U-Nets in a TensorFlow session, the rest in NumPy.

    `run` takes samples (L, 2) float32 with L = (block_frames * k + pad_frames) * frame_step:
    the audio under k consecutive blocks of spectrogram frames.
    """

    session: Any  # tf.compat.v1.Session
    spectrogram: Any  # placeholder, shape (blocks, block_frames, bins, 2): the mix's magnitudes
    estimates: dict[str, Any]  # stem -> tensor of the spectrogram's shape: the U-Net's magnitudes
    geometry: SegmentGeometry
    frame_length: int  # samples per STFT frame (4096)
    bins: int  # the frequency bins the U-Nets see (1024, up to 11 kHz); the masks are 0 above

    def run(self, *, samples: np.ndarray, groups: tuple[StemGroup, ...]) -> dict[StemGroup, np.ndarray]:
        """{group: (L, 2) float32} for one segment's `samples` (L, 2): the sum of the group's
        stems, as Spleeter computes each stem (soft masks of the U-Nets' squared magnitudes on the
        mix's STFT), its frames overlap-added but not yet summed with those of neighbouring segments."""
        step, block_frames = self.geometry.frame_step, self.geometry.block_frames
        spectrum = stft(samples=samples, frame_length=self.frame_length, frame_step=step)
        n_frames = spectrum.shape[0]
        n_blocks = -(-n_frames // block_frames)
        # Spleeter pads the last block with silent frames (pad_and_partition).
        magnitude = np.zeros((n_blocks * block_frames, self.bins, samples.shape[1]), dtype=np.float32)
        magnitude[:n_frames] = np.abs(spectrum[:, : self.bins])
        estimated = self.session.run(self.estimates, {
            self.spectrogram: magnitude.reshape(n_blocks, block_frames, self.bins, -1)})
        power = {stem: np.square(estimate.reshape(magnitude.shape)[:n_frames]) for stem, estimate in estimated.items()}
        total = sum(power.values()) + MASK_EPSILON
        separated = {}
        for group in groups:
            mask = (sum(power[stem] for stem in group) + MASK_EPSILON * len(group) / len(power)) / total
            masked = np.zeros_like(spectrum)
            masked[:, : self.bins] = spectrum[:, : self.bins] * mask
            separated[group] = inverse_stft(spectrum=masked, frame_length=self.frame_length, frame_step=step)
        return separated


def stft(*, samples: np.ndarray, frame_length: int, frame_step: int) -> np.ndarray:
    """The short-time Fourier transform of (L, channels) float32 `samples` as Spleeter takes it
    (tf.signal.stft: periodic Hann window, no padding), in Spleeter's layout: (frames,
    frame_length // 2 + 1, channels) complex64, frames = 1 + (L - frame_length) // frame_step.

    librosa.stft(center=False) gives the same to float rounding, but in a worker's drum-less
    job it raised the peak by 0.12 GB and took 0.3 s longer (bench/job_speed.py)."""
    frames = np.lib.stride_tricks.sliding_window_view(samples, frame_length, axis=0)[::frame_step]
    spectrum = scipy.fft.rfft(frames * _hann_window(frame_length), axis=-1)  # (frames, channels, bins)
    return spectrum.transpose(0, 2, 1)


def inverse_stft(*, spectrum: np.ndarray, frame_length: int, frame_step: int) -> np.ndarray:
    """(frames, frame_length // 2 + 1, channels) complex `spectrum` back to (L, channels)
    float32 samples, L = (frames - 1) * frame_step + frame_length, as Spleeter does it
    (tf.signal.inverse_stft with the analysis window, times WINDOW_COMPENSATION_FACTOR):
    every frame's windowed inverse transform overlap-added. frame_length must be a
    multiple of frame_step."""
    n_frames, _, channels = spectrum.shape
    hops = frame_length // frame_step
    frames = scipy.fft.irfft(spectrum, n=frame_length, axis=1).astype(np.float32, copy=False)
    # librosa.istft would divide by the windows' summed squares, which are not 1.5 at the
    # segment's edges: Spleeter's fixed factor lets neighbouring segments add up exactly.
    frames *= (_hann_window(frame_length) * WINDOW_COMPENSATION_FACTOR)[:, None]
    # Frame j's k-th hop of samples lands on output hop j + k.
    pieces = frames.reshape(n_frames, hops, frame_step, channels)
    joined = np.zeros((n_frames - 1 + hops, frame_step, channels), dtype=np.float32)
    for k in range(hops):
        joined[k : k + n_frames] += pieces[:, k]
    return joined.reshape(-1, channels)


def _hann_window(length: int) -> np.ndarray:
    """The periodic Hann window of `length` samples (Spleeter's tf.signal.hann_window(periodic=True)), float32."""
    return scipy.signal.get_window("hann", length).astype(np.float32)


def model_folder(*, model_dir: Path) -> Path:
    """The folder that holds the 4-stem checkpoint: `<model_dir>/spleeter/4stems`."""
    return Path(model_dir) / "spleeter" / MODEL_NAME


def _missing_files(*, folder: Path) -> list[str]:
    """Names of the checkpoint files absent (or empty) in `folder`."""

    def present(name: str) -> bool:
        path = folder / name
        # `.probe` is a marker whose content does not matter; the others must hold data.
        return path.is_file() and (name == ".probe" or path.stat().st_size > 0)

    missing = [name for name in REQUIRED_FILES if not present(name)]
    shards = sorted(p.name for p in folder.glob("model.data-*")) if folder.is_dir() else []
    matches = [m for m in (DATA_SHARD.match(name) for name in shards) if m]
    if not matches:
        missing.append("model.data-00000-of-00001")
    else:
        total = int(matches[0].group(1))
        expected = [f"model.data-{i:05d}-of-{total:05d}" for i in range(total)]
        missing.extend(name for name in expected if not present(name))
    return missing


def check_model_folder(*, model_dir: Path) -> None:
    """Refuse an absent, empty or partial 4-stem model folder before anything separates.

    Spleeter itself would happily restore nothing from an empty folder (what a failed
    download leaves behind) and separate with random weights, so this runs first.

    Raises:
        ModelMissingError: naming the folder, the missing files and the fix.
    """
    folder = model_folder(model_dir=model_dir)
    missing = _missing_files(folder=folder)
    if missing:
        state = "does not exist" if not folder.exists() else "is incomplete"
        raise ModelMissingError(
            f"Spleeter's {MODEL_NAME} model folder {folder} {state}: missing "
            f"{', '.join(missing)}. To install the model, {FETCH_HINT}, or copy the "
            f"unpacked {MODEL_NAME} release there."
        )


def ensure_model(*, model_dir: Path) -> None:
    """Make sure the 4-stem model is in place, downloading it on first use.

    The download goes through Spleeter's own GitHub provider (its URL and checksum check,
    overridable with GITHUB_HOST / GITHUB_REPOSITORY / GITHUB_RELEASE) into a temporary
    sibling folder that is renamed into place only once complete, so a failed or
    interrupted download never leaves a folder that looks installed.

    Raises:
        ModelMissingError: when the model is missing and cannot be downloaded.
    """
    if inference.service_url() is not None:
        return  # the model service holds the model; it says so itself if it cannot load it
    try:
        check_model_folder(model_dir=model_dir)
        return
    except ModelMissingError as missing:
        reason = missing
    folder = model_folder(model_dir=model_dir)
    created_parent = not folder.parent.exists()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{MODEL_NAME}-download-", dir=folder.parent))
    try:
        from spleeter.model.provider import ModelProvider
        from spleeter.model.provider.github import GithubModelProvider

        with_download_retries(lambda: GithubModelProvider.from_environ().download(MODEL_NAME, str(staging)),
                              what=f"Spleeter's {MODEL_NAME} model")
        ModelProvider.writeProbe(str(staging))
        lacking = _missing_files(folder=staging)
        if lacking:
            raise ModelMissingError(f"the downloaded archive lacks {', '.join(lacking)}")
        # An empty or partial folder from an earlier attempt is in the way of the rename.
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    except Exception as error:
        raise ModelMissingError(f"{reason} Downloading it failed: {error}") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created_parent and not folder.exists():
            folder.parent.rmdir()  # a failed first download leaves the model folder as it was


def _conv_n_filters(*, checkpoint_prefix: str) -> list[int]:
    """Widths of the six encoder convolutions, read from the checkpoint's variable shapes.

    The released model uses Spleeter's defaults [16, 32, 64, 128, 256, 512]; test
    checkpoints are narrower. Reading the widths lets both load through the same code.
    """
    import tensorflow as tf

    shapes = dict(tf.train.list_variables(checkpoint_prefix))
    names = ["conv2d"] + [f"conv2d_{i}" for i in range(1, 6)]
    return [int(shapes[f"{name}/kernel"][-1]) for name in names]


def _build_model(*, folder: str) -> _Model:
    """Build Spleeter's four U-Nets on a placeholder for the mix's magnitudes and restore the checkpoint.

    Spleeter's EstimatorSpecBuilder applies the same model function to its spectrogram, so
    the variables have the checkpoint's names; the STFT, the masks and the inverse STFT around
    it are `_Model.run`'s, written for the 4-stem configuration of the pinned Spleeter
    (masks of squared magnitudes, zeros above the model's bins).
    """
    # Spleeter reads MODEL_PATH once, when it is first imported. Paths are passed absolute
    # below, so this only keeps any other Spleeter use in the process on the same folder.
    os.environ.setdefault("MODEL_PATH", str(Path(folder).parent))
    import tensorflow as tf
    from spleeter.model import get_model_function
    from spleeter.utils.configuration import load_configuration

    checkpoint_prefix = tf.train.latest_checkpoint(folder)
    if checkpoint_prefix is None:
        raise ModelMissingError(f"No checkpoint named in {Path(folder) / 'checkpoint'}; {FETCH_HINT}.")
    params = load_configuration(f"spleeter:{MODEL_NAME}")
    params["model"]["params"]["conv_n_filters"] = _conv_n_filters(checkpoint_prefix=checkpoint_prefix)
    frame_length, frame_step = params["frame_length"], params["frame_step"]
    graph = tf.Graph()
    with graph.as_default():
        spectrogram = tf.compat.v1.placeholder(
            tf.float32, shape=(None, params["T"], params["F"], params["n_channels"]), name="spectrogram")
        apply_model = get_model_function(params["model"]["type"])
        estimates = apply_model(spectrogram, params["instrument_list"], params["model"]["params"])
        session = tf.compat.v1.Session(graph=graph)
        tf.compat.v1.train.Saver().restore(session, checkpoint_prefix)
    # Nothing may add ops later: a growing graph would be a memory leak across songs.
    graph.finalize()
    return _Model(
        session=session,
        spectrogram=spectrogram,
        estimates={stem: estimates[f"{stem}_spectrogram"] for stem in STEMS},
        geometry=SegmentGeometry(frame_step=frame_step, pad_frames=frame_length // frame_step - 1,
                                 block_frames=params["T"]),
        frame_length=frame_length,
        bins=params["F"],
    )


@functools.lru_cache(maxsize=1)
def load_model(*, folder: str) -> _Model:
    """The process's one restored model (an RQ worker runs one job at a time).

    maxsize=1: a different folder replaces the model instead of holding two in memory.
    """
    started = time.perf_counter()
    model = _build_model(folder=folder)
    logger.info("Built Spleeter's %s graph from %s in %.1f s", MODEL_NAME, folder, time.perf_counter() - started)
    return model


def segment_frames(
    *, n_samples: int, frame_step: int, pad_frames: int, block_frames: int, blocks: int
) -> list[tuple[int, int]]:
    """[first, last) spectrogram frame ranges of `blocks` blocks each, covering the song.

    Frame numbering is Spleeter's whole-song numbering: frame j covers samples
    [(j - pad_frames - 1) * frame_step, j * frame_step), because Spleeter pads the
    song with one frame of zeros in front. Ranges start on block boundaries, so each
    segment's blocks are the whole-song run's blocks; the last range may be shorter.
    """
    n_frames = -(-(n_samples + (pad_frames + 1) * frame_step) // frame_step)
    n_blocks = -(-n_frames // block_frames)
    return [
        (first * block_frames, min(first + blocks, n_blocks) * block_frames) for first in range(0, n_blocks, blocks)
    ]


class Separator:
    """Separates songs into drums, bass, vocals and other with Spleeter's 4-stem model.

    Construction checks the model folder (cheap); the graph is built on the first
    `separate` call and shared by every Separator of the process. Inside
    `inference.model_service(url=...)` the segments are separated by the model service
    instead, and this process neither reads the model folder nor builds the graph.
    """

    def __init__(self, *, model_dir: Path, segment_blocks: int = SEGMENT_BLOCKS) -> None:
        """model_dir: the app's model folder (holds spleeter/4stems).
        segment_blocks: U-Net blocks of 11.9 s per segment; peak memory grows with it."""
        if segment_blocks < 1:
            raise ValueError(f"segment_blocks must be at least 1, got {segment_blocks}")
        if inference.service_url() is None:
            check_model_folder(model_dir=model_dir)
        self._folder = str(model_folder(model_dir=model_dir).resolve())
        self._segment_blocks = segment_blocks

    def separate(
        self,
        *,
        audio: np.ndarray,
        sample_rate: int,
        mixes: Mapping[str, tuple[str, ...]] = STEM_MIXES,
        on_progress: ProgressCallback | None = None,
    ) -> dict[str, np.ndarray]:
        """Split `audio` into stems, or into sums of stems.

        audio: (channels, n) float, channels 1 or 2, at `sample_rate` = 44 100 Hz.
        mixes: output name -> the stems summed into it; by default the four stems as they
            are. Summing segment by segment (e.g. {"drums": ("drums",), "backing":
            BACKING_STEMS}) never holds the stems that are not wanted on their own: a
            10-minute stereo stem is 210 MB.
        on_progress: called after each segment with the fraction of the song done (0..1].

        Returns one (channels, n) float32 array per mix, the same shape and sample rate as
        `audio`. Like Spleeter's 4-stem model, the stems hold nothing above 11 kHz (the
        model's 1024 frequency bins stop there).
        """
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"Spleeter's model works at {SAMPLE_RATE} Hz; resample first (got {sample_rate} Hz)")
        if audio.ndim != 2 or audio.shape[0] not in (1, 2) or audio.shape[1] == 0:
            raise ValueError(f"audio must be (channels, n) with 1 or 2 channels and n > 0, got {audio.shape}")
        unknown = {stem for stems in mixes.values() for stem in stems} - set(STEMS)
        if unknown:
            raise ValueError(f"unknown stems {sorted(unknown)}; the model gives {', '.join(STEMS)}")
        if not all(mixes.values()):
            raise ValueError(f"every mix needs at least one stem, got {dict(mixes)}")
        if inference.service_url() is None:
            model = load_model(folder=self._folder)
            geometry, run = model.geometry, model.run
        else:
            geometry, run = inference.remote_separation_geometry(), inference.remote_separate_segment
        channels, n_samples = audio.shape
        step, pad = geometry.frame_step, geometry.pad_frames
        ranges = segment_frames(
            n_samples=n_samples,
            frame_step=step,
            pad_frames=pad,
            block_frames=geometry.block_frames,
            blocks=self._segment_blocks,
        )
        groups = tuple(dict.fromkeys(tuple(stems) for stems in mixes.values()))
        outputs = {name: np.zeros((channels, n_samples), dtype=np.float32) for name in mixes}
        for first, last in ranges:
            # The samples under frames [first, last): they start before the song for the
            # first segment and run past its end for the last, where they are silence.
            start, end = (first - pad - 1) * step, (last - 1) * step
            piece = np.zeros((end - start, 2), dtype=np.float32)
            inside = slice(max(start, 0), min(end, n_samples))
            piece[inside.start - start : inside.stop - start] = audio[:, inside].T  # mono fills both
            separated = run(samples=piece, groups=groups)
            for name, stems in mixes.items():
                estimate = separated[tuple(stems)][inside.start - start : inside.stop - start].T
                # Mono input went in as two identical channels; average them back.
                outputs[name][:, inside] += estimate if channels == 2 else estimate.mean(axis=0, keepdims=True)
            if on_progress is not None:
                on_progress(min(end, n_samples) / n_samples)
        return outputs
