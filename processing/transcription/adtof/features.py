"""Log-filterbank spectrogram as fed to ADTOF's Frame_RNN.

A numpy re-implementation of the madmom pipeline that ADTOF uses
(``SignalProcessor(num_channels=1) -> FramedSignalProcessor(2048, fps=100)
-> ShortTimeFourierTransformProcessor() -> LogarithmicFilteredSpectrogram
(LogarithmicFilterbank, 12 bands/octave, 20 Hz - 20 kHz, norm_filters=True)``),
because madmom does not install on Python 3.11.
"""

import numpy as np

SAMPLE_RATE = 44100
FRAME_RATE = 100  # frames per second of the network's input and output
HOP_LENGTH = SAMPLE_RATE // FRAME_RATE  # 441 samples
FRAME_LENGTH = 2048  # samples, also the FFT size
BANDS_PER_OCTAVE = 12
FMIN = 20.0  # Hz
FMAX = 20000.0  # Hz
FREF = 440.0  # Hz, reference the band grid is aligned to
N_BANDS = 84
# madmom reads 16-bit audio as integers and divides the window by the
# integer maximum (32767), not 32768; float input in [-1, 1) is int16 / 32768.
INT16_SCALE = 32768.0 / 32767.0
# Frames are processed in blocks so that the (block, 2048) frame matrix
# stays small (~33 MB) whatever the song's length.
BLOCK_FRAMES = 2000


def log_frequencies(*, bands_per_octave=BANDS_PER_OCTAVE, fmin=FMIN, fmax=FMAX, fref=FREF):
    """Logarithmically spaced frequencies (madmom ``log_frequencies``).

    Returns
    -------
    np.ndarray, shape (n,), float64, Hz, from the first grid point >= ``fmin``
    to the last <= ``fmax``, on a grid of ``fref * 2 ** (k / bands_per_octave)``.
    """
    left = np.floor(np.log2(fmin / fref) * bands_per_octave)
    right = np.ceil(np.log2(fmax / fref) * bands_per_octave)
    frequencies = fref * 2.0 ** (np.arange(left, right) / bands_per_octave)
    frequencies = frequencies[np.searchsorted(frequencies, fmin):]
    return frequencies[:np.searchsorted(frequencies, fmax, "right")]


def log_filterbank(*, sample_rate=SAMPLE_RATE, n_fft=FRAME_LENGTH,
                   bands_per_octave=BANDS_PER_OCTAVE, fmin=FMIN, fmax=FMAX, fref=FREF):
    """Triangular log-frequency filterbank (madmom ``LogarithmicFilterbank``).

    Band edges are snapped to the nearest FFT bin, duplicate bins are dropped,
    consecutive triples of bins give overlapping triangles, each normalised
    to unit area.

    Returns
    -------
    np.ndarray, shape (n_fft // 2, n_bands), float32 (84 bands with defaults).
    """
    n_bins = n_fft // 2
    bin_frequencies = np.fft.fftfreq(n_fft, 1.0 / sample_rate)[:n_bins]
    frequencies = log_frequencies(bands_per_octave=bands_per_octave, fmin=fmin,
                                  fmax=fmax, fref=fref)
    # madmom frequencies2bins: nearest bin, ties to the upper one
    indices = np.clip(bin_frequencies.searchsorted(frequencies), 1, n_bins - 1)
    left = bin_frequencies[indices - 1]
    right = bin_frequencies[indices]
    indices -= frequencies - left < right - frequencies
    bins = np.unique(indices)

    filterbank = np.zeros((n_bins, len(bins) - 2), dtype=np.float32)
    for band, (start, center, stop) in enumerate(zip(bins[:-2], bins[1:-1], bins[2:])):
        # a triangle spanning fewer than 2 bins degenerates to one bin
        if stop - start < 2:
            center, stop = start, start + 1
        height = 2.0 / (stop - start)
        # rising edge excludes the centre, falling edge includes it and
        # excludes the stop bin, exactly as madmom's TriangularFilter
        filterbank[start:center, band] = np.linspace(0, height, center - start, endpoint=False)
        filterbank[center:stop, band] = np.linspace(height, 0, stop - center, endpoint=False)
    return filterbank


_FILTERBANK = log_filterbank()
# Symmetric Hann (np.hanning), as madmom uses, folded with the int16 scale;
# float64 like madmom's FFT (and numpy's FFT is far slower on float32 input).
_WINDOW = np.hanning(FRAME_LENGTH) * INT16_SCALE


def n_frames(*, n_samples, hop_length=HOP_LENGTH):
    """Number of frames madmom produces for ``n_samples`` (``ceil(n / hop)``)."""
    return int(np.ceil(n_samples / hop_length))


def log_filterbank_spectrogram(*, samples, sample_rate=SAMPLE_RATE):
    """Log-magnitude log-filterbank spectrogram, the Frame_RNN's input.

    Parameters
    ----------
    samples : np.ndarray, shape (n,) or (n, channels), float, in [-1, 1]
        Audio at ``sample_rate``; channels are averaged to mono.
    sample_rate : int, Hz
        Must be 44100: the filterbank and hop are fixed for it.

    Returns
    -------
    np.ndarray, shape (ceil(n / 441), 84), float32
        ``log10(1 + filterbank(|STFT|))``; frame ``i`` is centred on sample
        ``441 * i``, i.e. time ``i / 100`` s.
    """
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"sample_rate must be {SAMPLE_RATE}, got {sample_rate}")
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=1, dtype=np.float32)
    total = n_frames(n_samples=len(samples))
    half = FRAME_LENGTH // 2
    # zero padding so that every frame (centred on 441 * i) is a plain slice
    padded = np.zeros(half + total * HOP_LENGTH + half, dtype=np.float32)
    padded[half:half + len(samples)] = samples
    frames = np.lib.stride_tricks.sliding_window_view(padded, FRAME_LENGTH)[::HOP_LENGTH][:total]

    out = np.empty((total, _FILTERBANK.shape[1]), dtype=np.float32)
    for start in range(0, total, BLOCK_FRAMES):
        spectrum = np.fft.rfft(frames[start:start + BLOCK_FRAMES] * _WINDOW, axis=1)
        magnitude = np.abs(spectrum[:, :FRAME_LENGTH // 2]).astype(np.float32)
        np.log10(1.0 + magnitude @ _FILTERBANK, out=out[start:start + BLOCK_FRAMES])
    return out
