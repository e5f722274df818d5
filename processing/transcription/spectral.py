"""The `spectral` track: onsets on the mix, each classified by the energy it adds per band.

No model weights: it works anywhere FFmpeg and librosa do. The processors are small
functions: a band-energy spectrogram, per-band energy rises, onset picking on their sum,
and a rule per lane on the rises at each onset. A hit's confidence is how clearly its band's
rise clears the lane's threshold: 0 at the threshold, 1 at SURE_RISE_RATIO times it.
"""

from __future__ import annotations

import librosa
import numpy as np

from processing.audio import DecodedAudio
from processing.lanes import Lane
from processing.transcription.base import Hit

POWER = 2.0  # energies: the held bass note then cannot mask a kick that beats against it
FRAME_LENGTH = 2048  # 46 ms: resolves kick from bass below 120 Hz
HOP_LENGTH = 441  # 10 ms at 44.1 kHz
# Bands (Hz): kick body, snare body, snare wires and hi-hat/cymbal sizzle.
BANDS_HZ = {"low": (30.0, 120.0), "mid": (150.0, 1000.0), "high": (5000.0, 16000.0)}
# Rises are measured against the loudest of these earlier frames (20-60 ms back), so the
# beating of a decaying drum against a held bass note is not taken for a new hit.
RISE_LOOKBACK_FRAMES = (2, 6)
MIN_ONSET_GAP_S = 0.04
# A lane is struck when its band rises by this fraction of the song's loud rises.
RISE_THRESHOLD = {"low": 0.35, "mid": 0.35, "high": 0.15}
# A snare also hisses in the high band; a hi-hat on the same onset must add clearly more.
HIGH_OVER_MID_FOR_HIHAT = 1.4
# A crash still rings 30-100 ms after its attack, where a closed hi-hat has died away; the
# window ends before the next sixteenth note at fast tempos.
CRASH_SUSTAIN_WINDOW_FRAMES = (3, 10)
CRASH_SUSTAIN_RATIO = 0.5
REFERENCE_PERCENTILE = 95
# A band rising this many times its lane's threshold is surely struck (confidence 1).
SURE_RISE_RATIO = 2.0


def transcribe(*, audio: DecodedAudio, sensitivity: float = 1.0) -> list[Hit]:
    """Bass drum, snare, hi-hat and crash hits of `audio`.

    sensitivity: scales every threshold down (> 1 finds more hits, < 1 fewer).
    """
    mono = audio.mono()
    band_energy = band_energies(mono=mono, sample_rate=audio.sample_rate)
    rises = band_rises(band_energy=band_energy)
    onset_frames = pick_onsets(rises=rises, sample_rate=audio.sample_rate)
    return classify_onsets(
        band_energy=band_energy, rises=rises, onset_frames=onset_frames,
        sample_rate=audio.sample_rate, sensitivity=sensitivity,
    )


def band_energies(*, mono: np.ndarray, sample_rate: int) -> dict[str, np.ndarray]:
    """Summed STFT magnitude per band, each (frames,), 100 frames per second at 44.1 kHz.

    Magnitudes rather than energies: a soft hit keeps a rise in proportion to a loud one,
    without the log's habit of turning faint wobbles into large rises.
    """
    spectrum = np.abs(librosa.stft(mono, n_fft=FRAME_LENGTH, hop_length=HOP_LENGTH)) ** POWER
    frequencies = librosa.fft_frequencies(sr=sample_rate, n_fft=FRAME_LENGTH)
    return {
        name: spectrum[(frequencies >= low) & (frequencies < high)].sum(axis=0)
        for name, (low, high) in BANDS_HZ.items()
    }


def band_rises(*, band_energy: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Positive change per band against the loudest of the RISE_LOOKBACK_FRAMES before,
    scaled so that the song's loud rises (REFERENCE_PERCENTILE of the non-zero ones) are 1."""
    nearest, farthest = RISE_LOOKBACK_FRAMES
    rises = {}
    for name, energy in band_energy.items():
        padded = np.concatenate([np.full(farthest, energy[0]), energy])
        earlier = np.max(
            [padded[farthest - lag : padded.size - lag] for lag in range(nearest, farthest + 1)], axis=0
        )
        rise = np.maximum(energy - earlier, 0.0)
        positive = rise[rise > 0]
        reference = np.percentile(positive, REFERENCE_PERCENTILE) if positive.size else 1.0
        rises[name] = rise / max(float(reference), 1e-9)
    return rises


def pick_onsets(*, rises: dict[str, np.ndarray], sample_rate: int) -> np.ndarray:
    """Frame indices of onsets: peaks of the summed band rises."""
    envelope = np.sum(list(rises.values()), axis=0)
    wait = max(1, int(MIN_ONSET_GAP_S * sample_rate / HOP_LENGTH))
    return librosa.onset.onset_detect(
        onset_envelope=envelope, sr=sample_rate, hop_length=HOP_LENGTH, backtrack=False, wait=wait, units="frames"
    )


def classify_onsets(
    *, band_energy: dict[str, np.ndarray], rises: dict[str, np.ndarray], onset_frames: np.ndarray,
    sample_rate: int, sensitivity: float = 1.0,
) -> list[Hit]:
    """Lanes struck at each onset frame, from the band rises around it."""
    frame_s = HOP_LENGTH / sample_rate
    sustain_start, sustain_end = CRASH_SUSTAIN_WINDOW_FRAMES
    hits = []
    for frame in onset_frames:
        window = slice(max(frame - 1, 0), frame + 2)
        rise = {name: float(values[window].max()) for name, values in rises.items()}
        threshold = {name: value / sensitivity for name, value in RISE_THRESHOLD.items()}
        time = float(frame * frame_s)
        confidence = {name: rise_confidence(rise=rise[name], threshold=threshold[name]) for name in rise}
        if rise["low"] >= threshold["low"]:
            hits.append(Hit(time, Lane.BASS_DRUM, min(1.0, rise["low"]), confidence["low"]))
        snare = rise["mid"] >= threshold["mid"]
        if snare:
            hits.append(Hit(time, Lane.SNARE, min(1.0, rise["mid"]), confidence["mid"]))
        if rise["high"] >= threshold["high"] and (not snare or rise["high"] >= HIGH_OVER_MID_FOR_HIHAT * rise["mid"]):
            high = band_energy["high"]
            peak = high[frame : frame + sustain_start].max()
            sustain = high[frame + sustain_start : frame + sustain_end]
            ringing = sustain.size > 0 and sustain.min() >= CRASH_SUSTAIN_RATIO * peak
            lane = Lane.CRASH if ringing else Lane.HIHAT_CLOSED
            hits.append(Hit(time, lane, min(1.0, rise["high"]), confidence["high"]))
    return hits


def rise_confidence(*, rise: float, threshold: float) -> float:
    """Confidence in [0, 1] of a hit whose band rose by `rise` against its lane's `threshold`:
    0 at the threshold, 1 at SURE_RISE_RATIO times it, linear between."""
    return float(np.clip((rise / threshold - 1.0) / (SURE_RISE_RATIO - 1.0), 0.0, 1.0))
