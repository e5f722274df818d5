"""ADTOF's CRNN drum transcriber, the crnn-ADTOF folds (Keras, TensorFlow 2.12).

The Keras Sequential reproduces upstream's (`Model._getCRNN`, ADTOF d718bfd) so that
``model.load_weights`` maps every tensor of a fold's checkpoint by its object path
(``layer_with_weights-0/kernel`` ... ``layer_with_weights-11/bias``): four valid 3x3
convolutions each followed by batch norm, a (1, 3) max pool after the second and fourth,
three bidirectional GRUs of 50 units and a dense sigmoid output.

Input: ``input_features`` (frames, 168) at 100 frames per second: the Frame_RNN's log-filterbank
spectrogram (``features.log_filterbank_spectrogram``, the same madmom pipeline) stacked with its
positive first-order difference. Output: activations (frames, 5) in [0, 1], frame ``i`` at
``i / 100`` s, classes ``network.CLASSES``.
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter is not for users
import tensorflow as tf  # noqa: E402

from processing.transcription.adtof import features as spectrogram_features  # noqa: E402
from processing.transcription.adtof.network import CLASSES, gru_recurrence, restore_checkpoint  # noqa: E402

FOLDS = ("crnn-ADTOF_Fold0", "crnn-ADTOF_Fold1", "crnn-ADTOF_Fold2")  # checkpoint prefixes in the model folder
N_INPUTS = 2 * spectrogram_features.N_BANDS  # spectrogram and its positive difference: 168
# madmom's SpectrogramDifference(diff_ratio=0.5) compares each frame with the one whose window
# starts where this one's first exceeds half its maximum: the 2048-sample Hann window does at
# sample 512, 512 samples (1.16 hops of 441) before its centre, which madmom rounds to 1 frame.
DIFF_FRAMES = 1
GRU_UNITS = 50
N_CNN_FEATURES = 16 * 32  # 168 bins -> 166 -> 164 -> 54 -> 52 -> 50 -> 16, times 32 filters
N_MODEL_TENSORS = 44  # weights in a fold's checkpoint that inference reads
# Four valid 3x3 convolutions eat 4 frames at each end: the network gives frames - 8 rows.
LOST_FRAMES = 8
# Row i belongs to input frame i + 1, not i + 4 as the geometry would say: upstream trained
# with labels shifted by one frame (`labelOffset: 1`), and on renders with known hits i + 1
# puts them within 3 ms, i + 4 27 ms late (../shared/models/adtof-crnn/FACTS.md).
OUTPUT_OFFSET = 1
# The convolutions run on blocks of this many output rows (with their 8 frames of context),
# so that no (frames, 166, 64) map of a whole song is ever held (2.5 GB for 4 minutes).
CNN_BLOCK_ROWS = 2000
# The compiled recurrent part sees inputs padded to a multiple of this many rows (41 s), so a
# process compiles it once per length bucket rather than once per song.
PAD_ROWS = 4096


def input_features(*, spectrogram: np.ndarray) -> np.ndarray:
    """The CRNN's input: the spectrogram stacked with its positive first-order difference.

    Parameters
    ----------
    spectrogram : np.ndarray [shape=(frames, 84)], float32
        ``features.log_filterbank_spectrogram`` output, 100 frames per second.

    Returns
    -------
    np.ndarray [shape=(frames, 168)], float32: columns 0-83 the spectrogram, 84-167 its rise
    over the frame ``DIFF_FRAMES`` before (0 for the first frame, and where it falls).
    """
    spectrogram = np.asarray(spectrogram, dtype=np.float32)
    rise = np.zeros_like(spectrogram)
    np.maximum(spectrogram[DIFF_FRAMES:] - spectrogram[:-DIFF_FRAMES], 0.0, out=rise[DIFF_FRAMES:])
    return np.hstack([spectrogram, rise])


def build_model() -> tf.keras.Sequential:
    """The CRNN as upstream builds it: (batch, frames, 168, 1) -> (batch, frames - 8, 5), with
    freshly initialised weights; ``load_model`` restores a fold into it."""
    layers = tf.keras.layers

    def conv(filters, name):
        return layers.Conv2D(filters, (3, 3), padding="valid", activation="relu", name=name)

    def pool():
        return layers.MaxPool2D(pool_size=(1, 3), strides=(1, 3), padding="valid")

    model = tf.keras.Sequential([
        tf.keras.Input(shape=(None, N_INPUTS, 1)),
        conv(64, "conv11"), layers.BatchNormalization(),
        conv(64, "conv12"), layers.BatchNormalization(), pool(), layers.Dropout(0.3),
        conv(32, "conv21"), layers.BatchNormalization(),
        conv(32, "conv22"), layers.BatchNormalization(), pool(), layers.Dropout(0.3),
        # (rows, 16, 32) -> (rows, 512): frequency outer, filter inner
        layers.Reshape((-1, N_CNN_FEATURES)),
        *(layers.Bidirectional(layers.GRU(GRU_UNITS, return_sequences=True)) for _ in range(3)),
        layers.Dense(len(CLASSES), activation="sigmoid", name="denseOutput"),
    ], name="crnn")
    return model


def load_model(*, weights_prefix: str) -> tf.keras.Sequential:
    """Build the CRNN and restore the fold at ``weights_prefix`` (the path without
    ``.index``/``.data-*``). Raises if any model variable is left unrestored; the checkpoint's
    optimizer slots are the only thing allowed to go unused."""
    return restore_checkpoint(model=build_model(), weights_prefix=weights_prefix, n_tensors=N_MODEL_TENSORS)


def _bidirectional_grus(xs, n_valid, layers):
    """One bidirectional GRU layer of every fold (Keras GRUCell, reset_after=True), over the
    first ``n_valid`` rows of each of ``xs`` (one (padded_rows, features) tensor per fold).

    Every fold's input projections are one matrix product each; only the recurrent part
    loops, all folds and both directions in one ``tf.scan`` (a step costs what one fold's
    would). The backward direction reads the valid rows reversed and the padding after them,
    so padding never reaches a valid row.
    """
    index = tf.range(tf.shape(xs[0])[0])
    reverse = tf.where(index < n_valid, n_valid - 1 - index, index)  # an involution
    cells = [cell for layer in layers for cell in (layer.forward_layer.cell, layer.backward_layer.cell)]
    projected = []
    for x, layer in zip(xs, layers):
        for cell, rows in ((layer.forward_layer.cell, x), (layer.backward_layer.cell, tf.gather(x, reverse))):
            projected.append(tf.matmul(rows, cell.kernel) + cell.bias[0])
    inputs = tf.stack(projected, axis=1)[:, :, None, :]  # (rows, 2 * folds, 1, 3 * units)
    recurrent_kernel = tf.stack([cell.recurrent_kernel for cell in cells])
    recurrent_bias = tf.stack([cell.bias[1] for cell in cells])[:, None, :]

    states = gru_recurrence(inputs=inputs, recurrent_kernel=recurrent_kernel, recurrent_bias=recurrent_bias)
    return [tf.concat([states[:, 2 * m, 0], tf.gather(states[:, 2 * m + 1, 0], reverse)], axis=-1)
            for m in range(len(layers))]


class Crnn:
    """Loaded CRNN folds with compiled inference functions; their activations are averaged.

    Build once and reuse. Each fold's convolutions run in graph mode on blocks; the recurrent
    part of all folds runs as one XLA-compiled function per padded length (multiples of
    ``PAD_ROWS``), compiled at its first use, with the same result as Keras' layers (to ~1e-6).
    """

    def __init__(self, *, weights_prefixes: tuple[str, ...]):
        self.models = [load_model(weights_prefix=prefix) for prefix in weights_prefixes]
        cnns = [tf.keras.Sequential(model.layers[:-4]) for model in self.models]
        grus = [[layer for layer in model.layers if isinstance(layer, tf.keras.layers.Bidirectional)]
                for model in self.models]
        denses = [model.get_layer("denseOutput") for model in self.models]

        def cnn_function(cnn):
            @tf.function(input_signature=[tf.TensorSpec([1, None, N_INPUTS, 1], tf.float32)])
            def cnn_features(x):
                return cnn(x, training=False)[0]
            return cnn_features

        @tf.function(input_signature=[tf.TensorSpec([len(self.models), None, N_CNN_FEATURES], tf.float32),
                                      tf.TensorSpec([], tf.int32)], jit_compile=True)
        def recurrent_heads(x, n_valid):
            xs = tf.unstack(x)
            for depth in range(3):
                xs = _bidirectional_grus(xs, n_valid, [layers[depth] for layers in grus])
            return tf.stack([dense(h) for dense, h in zip(denses, xs)])

        self._cnn_features = [cnn_function(cnn) for cnn in cnns]
        self._recurrent_heads = recurrent_heads

    def fold_activations(self, *, features: np.ndarray) -> np.ndarray:
        """Each fold's frame-wise class activations.

        Parameters
        ----------
        features : np.ndarray [shape=(frames, 168)], float32
            ``input_features`` output, 100 frames per second.

        Returns
        -------
        np.ndarray [shape=(folds, frames, 5)], float32 in [0, 1], columns ``CLASSES``; frame i at
        i / 100 s. The first frame and the last 7, which the network gives no row for, are 0.
        """
        features = np.ascontiguousarray(features, dtype=np.float32)
        total = len(features)
        out = np.zeros((len(self.models), total, len(CLASSES)), dtype=np.float32)
        rows = total - LOST_FRAMES
        if rows <= 0:
            return out
        hidden = np.zeros((len(self.models), -(-rows // PAD_ROWS) * PAD_ROWS, N_CNN_FEATURES), dtype=np.float32)
        for start in range(0, rows, CNN_BLOCK_ROWS):
            stop = min(start + CNN_BLOCK_ROWS, rows)
            block = features[None, start:stop + LOST_FRAMES, :, None]
            for m, cnn_features in enumerate(self._cnn_features):
                hidden[m, start:stop] = cnn_features(block).numpy().reshape(stop - start, N_CNN_FEATURES)
        heads = self._recurrent_heads(hidden, np.int32(rows)).numpy()
        out[:, OUTPUT_OFFSET:OUTPUT_OFFSET + rows] = heads[:, :rows]
        return out

    def activations(self, *, features: np.ndarray) -> np.ndarray:
        """The folds' mean activations [shape=(frames, 5)], float32 in [0, 1], aligned as
        ``fold_activations``'."""
        return self.fold_activations(features=features).mean(axis=0)
