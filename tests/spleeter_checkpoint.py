"""Write a randomly initialised Spleeter 4-stem checkpoint, laid out like the real download.

The real weights come from GitHub, which tests and benchmarks cannot reach. A random
checkpoint goes through exactly the same loading and separation code: small for tests
(about 2.5 MB, runs in seconds), full size for benchmarks (150 MB, the same compute and
memory as the released model).

    python -m tests.spleeter_checkpoint MODEL_DIR [--full-size]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from processing.separation import MODEL_NAME, model_folder

SMALL_CONV_N_FILTERS = (4, 8, 8, 8, 8, 8)
SEED = 2024


def _random_value(*, name: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """A plausible random value for one of Spleeter's variables.

    Spleeter seeds every kernel initialiser with the same seed, so its own initialisation
    would give the four U-Nets identical weights and every stem would be a quarter of the
    mix. Drawing each variable independently makes the stems differ, as real ones do.
    """
    if name.endswith("/kernel"):
        fan_in = int(np.prod(shape[:-1]))  # he_uniform, as Spleeter initialises kernels
        limit = np.sqrt(6.0 / fan_in)
        return rng.uniform(-limit, limit, shape)
    if name.endswith("/gamma") or name.endswith("/moving_variance"):
        return rng.uniform(0.5, 1.5, shape)
    return rng.uniform(-0.1, 0.1, shape)  # biases, beta, moving_mean


def write_random_checkpoint(
    *,
    model_dir: Path,
    conv_n_filters: tuple[int, ...] = SMALL_CONV_N_FILTERS,
    full_size: bool = False,
    seed: int = SEED,
) -> Path:
    """Write checkpoint, model.index, model.data-00000-of-00001, model.meta and .probe.

    model_dir: the app's model folder; files go to model_dir/spleeter/4stems.
    conv_n_filters: the six encoder widths (ignored when full_size).
    full_size: use the released model's widths (16, 32, 64, 128, 256, 512).
    Returns the checkpoint folder.
    """
    import tensorflow as tf
    from spleeter.model import EstimatorSpecBuilder
    from spleeter.model.provider import ModelProvider
    from spleeter.utils.configuration import load_configuration

    folder = model_folder(model_dir=model_dir)
    folder.mkdir(parents=True, exist_ok=True)
    params = load_configuration(f"spleeter:{MODEL_NAME}")
    if not full_size:
        params["model"]["params"]["conv_n_filters"] = list(conv_n_filters)
    rng = np.random.default_rng(seed)
    graph = tf.Graph()
    with graph.as_default():
        waveform = tf.compat.v1.placeholder(tf.float32, shape=(None, params["n_channels"]), name="waveform")
        EstimatorSpecBuilder({"waveform": waveform}, params).build_predict_model()  # creates the variables
        # Spleeter's own Estimator-based Separator restores a global step as well.
        tf.compat.v1.train.get_or_create_global_step()
        values = {
            variable: _random_value(name=variable.op.name, shape=tuple(variable.shape.as_list()), rng=rng)
            for variable in tf.compat.v1.global_variables()
            if variable.op.name != "global_step"
        }
        # One assignment op per variable, all fed in a single run.
        feeds = {variable: tf.compat.v1.placeholder(tf.float32, shape=variable.shape) for variable in values}
        assign = [variable.assign(feed) for variable, feed in feeds.items()]
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(assign, {feeds[variable]: value for variable, value in values.items()})
            # Relative paths in `checkpoint`, so the folder can be moved or copied.
            saver = tf.compat.v1.train.Saver(save_relative_paths=True)
            saver.save(session, str(folder.resolve() / "model"))
    ModelProvider.writeProbe(str(folder))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--full-size", action="store_true", help="the released model's size (150 MB)")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    print(write_random_checkpoint(model_dir=args.model_dir, full_size=args.full_size))


if __name__ == "__main__":
    main()
