"""ADTOF Frame_RNN drum transcriber (Keras, TensorFlow 2.12).

The layer structure reproduces upstream's so that ``model.load_weights`` maps
every tensor of the checkpoint ``Frame_RNN_adtofAll_0`` by its object path
(``layer_with_weights-0/layer_with_weights-3/gamma`` ...): a nested
Sequential CNN block, three bidirectional GRUs and a dense output.

Input: log-filterbank spectrogram (frames, 84) at 100 frames per second
(see ``features.log_filterbank_spectrogram``). Output: activations
(frames, 5) in [0, 1], frame ``i`` at ``i / 100`` s, classes ``CLASSES``.
"""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter is not for users
import tensorflow as tf  # noqa: E402

N_BANDS = 84
CLASSES = ("BD", "SD", "TT", "HH", "CY")  # bass drum, snare, toms, hi-hat, cymbals+ride
N_MODEL_TENSORS = 44  # weights in the checkpoint that inference reads
GRU_UNITS = 60
# Upstream feeds at most this many frames per call and splits longer inputs
# into windows that overlap by WINDOW_OVERLAP frames, keeping the middle of
# each overlap from either side, so that no output frame lacks context.
MAX_WINDOW_FRAMES = 60000
WINDOW_OVERLAP = 412
# The CNN sees 4 frames either side of a frame (four 3x3 convolutions), so it
# can run on blocks with that margin and give the same result as on the whole
# input, at a fraction of the memory (one (T, 84, 32) float32 map is 258 MB
# for 4 minutes). The recurrent part always sees the whole window.
CNN_CONTEXT = 4
CNN_BLOCK_FRAMES = 4000
# The compiled recurrent part sees inputs padded to a multiple of this many
# frames (41 s), so that a process compiles it once per length bucket rather
# than once per song.
PAD_FRAMES = 4096


def build_model():
    """Frame_RNN Keras model: (batch, frames, 84, 1) -> (batch, frames, 5).

    Returns a ``tf.keras.Model`` with freshly initialised weights (450,125
    parameters); ``load_model`` restores the checkpoint into it.
    """
    layers = tf.keras.layers

    def conv(filters, name):
        return layers.Conv2D(filters, (3, 3), padding="same", activation="relu", name=name)

    cnn = tf.keras.Sequential(
        [
            conv(32, "conv10"),
            layers.BatchNormalization(),
            conv(32, "conv20"),
            layers.BatchNormalization(),
            layers.MaxPool2D(pool_size=(1, 3), strides=(1, 3), padding="same"),
            layers.Dropout(0.3),
            conv(64, "conv11"),
            layers.BatchNormalization(),
            conv(64, "conv21"),
            layers.BatchNormalization(),
            layers.MaxPool2D(pool_size=(1, 3), strides=(1, 3), padding="same"),
            layers.Dropout(0.3),
        ],
        name="cnn",
    )
    # Functional, like upstream's: its layer-0 is the InputLayer, which the
    # checkpoint's object graph counts (a Sequential would not).
    inputs = tf.keras.Input(shape=(None, N_BANDS, 1))
    x = cnn(inputs)
    # (frames, 10, 64) -> (frames, 640): frequency outer, channel inner
    x = layers.Reshape((-1, 10 * 64))(x)
    for _ in range(3):
        x = layers.Bidirectional(layers.GRU(GRU_UNITS, return_sequences=True))(x)
    outputs = layers.Dense(len(CLASSES), activation="sigmoid", name="denseOutput")(x)
    return tf.keras.Model(inputs, outputs, name="frame_rnn")


def load_model(*, weights_prefix):
    """Build the Frame_RNN and restore the checkpoint at ``weights_prefix``.

    ``weights_prefix`` is the path without ``.index``/``.data-*``. Raises if
    any model variable is left unrestored; the checkpoint's optimizer slots
    are the only thing allowed to go unused.
    """
    return restore_checkpoint(model=build_model(), weights_prefix=weights_prefix, n_tensors=N_MODEL_TENSORS)


def restore_checkpoint(*, model, weights_prefix, n_tensors):
    """``model`` with the checkpoint at ``weights_prefix`` restored into it. Raises if any of
    its variables is left unrestored or it does not hold ``n_tensors`` weights; the
    checkpoint's optimizer slots are the only thing allowed to go unused."""
    status = model.load_weights(weights_prefix)
    status.expect_partial()  # optimizer slots are not part of an inference model
    status.assert_existing_objects_matched()
    if len(model.weights) != n_tensors:
        raise ValueError(f"expected {n_tensors} tensors, model has {len(model.weights)}")
    return model


def _bidirectional_gru(x, n_valid, forward, backward):
    """One bidirectional GRU layer (Keras GRUCell, reset_after=True) over the
    first ``n_valid`` rows of ``x`` (padded_frames, features).

    The input projections of all frames are one matrix product; only the
    recurrent part loops, both directions in one ``tf.scan``. The backward
    direction reads the valid frames reversed and the padding after them, so
    padding never reaches a valid frame in either direction.
    """
    index = tf.range(tf.shape(x)[0])
    reverse = tf.where(index < n_valid, n_valid - 1 - index, index)  # an involution
    projected = []
    for cell, rows in ((forward, x), (backward, tf.gather(x, reverse))):
        projected.append(tf.matmul(rows, cell.kernel) + cell.bias[0])
    inputs = tf.stack(projected, axis=1)[:, :, None, :]  # (frames, 2, 1, 3 * units)
    recurrent_kernel = tf.stack([forward.recurrent_kernel, backward.recurrent_kernel])
    recurrent_bias = tf.stack([forward.bias[1], backward.bias[1]])[:, None, :]

    states = gru_recurrence(inputs=inputs, recurrent_kernel=recurrent_kernel, recurrent_bias=recurrent_bias)
    return tf.concat([states[:, 0, 0], tf.gather(states[:, 1, 0], reverse)], axis=-1)


def gru_recurrence(*, inputs, recurrent_kernel, recurrent_bias):
    """The recurrent part of Keras GRU cells (reset_after), several cells stepped together.

    inputs: (frames, cells, 1, 3 * units), each cell's input already projected (x @ kernel +
    input bias); recurrent_kernel: (cells, units, 3 * units); recurrent_bias: (cells, 1,
    3 * units). Returns the states, (frames, cells, 1, units).
    """
    def step(state, inputs_t):
        # Keras gate order: update (z), reset (r), candidate (h)
        x_z, x_r, x_h = tf.split(inputs_t, 3, axis=-1)
        h_z, h_r, h_h = tf.split(tf.matmul(state, recurrent_kernel) + recurrent_bias, 3, axis=-1)
        z = tf.sigmoid(x_z + h_z)
        r = tf.sigmoid(x_r + h_r)
        candidate = tf.tanh(x_h + r * h_h)
        return z * state + (1.0 - z) * candidate

    n_cells, units = recurrent_kernel.shape[0], recurrent_kernel.shape[1]
    return tf.scan(step, inputs, initializer=tf.zeros([n_cells, 1, units]))


def _padded_length(n_frames):
    return -(-n_frames // PAD_FRAMES) * PAD_FRAMES


class Transcriber:
    """A loaded Frame_RNN with compiled inference functions.

    Build once and reuse. The CNN runs in graph mode on fixed-size blocks; the
    recurrent part runs as one XLA-compiled function per padded length
    (multiples of ``PAD_FRAMES``), compiled at its first use (~1 s), about
    8x faster than Keras' GRU on CPU with the same result (to ~1e-6).
    """

    def __init__(self, *, weights_prefix):
        model = load_model(weights_prefix=weights_prefix)
        cnn = model.get_layer("cnn")
        reshape = model.layers[2]
        grus = [layer for layer in model.layers if isinstance(layer, tf.keras.layers.Bidirectional)]
        dense = model.get_layer("denseOutput")

        @tf.function(input_signature=[tf.TensorSpec([1, None, N_BANDS, 1], tf.float32)])
        def cnn_features(x):
            return reshape(cnn(x, training=False))[0]

        @tf.function(input_signature=[tf.TensorSpec([None, 10 * 64], tf.float32),
                                      tf.TensorSpec([], tf.int32)], jit_compile=True)
        def recurrent_head(x, n_valid):
            for gru in grus:
                x = _bidirectional_gru(x, n_valid, gru.forward_layer.cell, gru.backward_layer.cell)
            return dense(x)

        self.model = model
        self._cnn_features = cnn_features
        self._recurrent_head = recurrent_head

    def _window(self, features):
        total = len(features)
        hidden = np.zeros((_padded_length(total), 10 * 64), dtype=np.float32)
        for start in range(0, total, CNN_BLOCK_FRAMES):
            lo = max(start - CNN_CONTEXT, 0)
            hi = min(start + CNN_BLOCK_FRAMES + CNN_CONTEXT, total)
            block = self._cnn_features(features[None, lo:hi, :, None]).numpy()
            stop = min(start + CNN_BLOCK_FRAMES, total)
            hidden[start:stop] = block[start - lo:stop - lo]
        return self._recurrent_head(hidden, np.int32(total)).numpy()[:total]

    def activations(self, *, features):
        """Frame-wise class activations.

        Parameters
        ----------
        features : np.ndarray, shape (frames, 84), float32
            ``features.log_filterbank_spectrogram`` output, 100 frames/s.

        Returns
        -------
        np.ndarray, shape (frames, 5), float32 in [0, 1], columns ``CLASSES``.
        """
        features = np.ascontiguousarray(features, dtype=np.float32)
        total = len(features)
        if total <= MAX_WINDOW_FRAMES:
            return self._window(features)
        step = MAX_WINDOW_FRAMES - WINDOW_OVERLAP
        half = WINDOW_OVERLAP // 2
        out = np.empty((total, len(CLASSES)), dtype=np.float32)
        for start in range(0, total - WINDOW_OVERLAP, step):
            stop = min(start + MAX_WINDOW_FRAMES, total)
            window = self._window(features[start:stop])
            keep_from = 0 if start == 0 else half
            keep_to = len(window) if stop == total else len(window) - half
            out[start + keep_from:start + keep_to] = window[keep_from:keep_to]
        return out
