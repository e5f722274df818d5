"""Refine ADTOF's five classes into DTXMania lanes from the audio around each hit.

Frame_RNN gives bass drum, snare, toms, hi-hat and cymbals. A DTXMania chart
wants finer lanes (``LANES``). Each function here decides one split from
simple measurements of the song at the hit's time:

- hi-hat closed (HH) or open (HHO): how far the 5-16 kHz energy decays within
  the next 30-100 ms (the `advanced-features` track replaces this rule with a
  fitted model that also reads the ring up to 250 ms and the sound's tilt, from
  ``HihatSignals``);
- crash (CY) or ride (RD): how far the 6-16 kHz energy has decayed 100 ms after
  the hit (a crash swells and rings, a ride pings and fades);
- toms: the lowest frequency that rises nearly as much as any at the hit
  (50-500 Hz), clustered per song into up to three lanes, high (HT), low (LT)
  and floor (FT);
- left (LC) or right (CY) crash: the crash's stereo side compared with the
  hi-hat's (the left crash hangs over the hi-hat, whichever way the mix is
  panned).

Each split also says how clear it was: a lane confidence in [0, 1] per hit,
0 on the rule's boundary (a coin flip between the two lanes) rising linearly
to 1 a ``*_SURE_*`` distance away from it. A hit whose class no rule splits
(BD, SD, or a class whose rule is off) has lane confidence 1.

LP (hi-hat pedal) is a lane of the chart but no rule fills it: Frame_RNN
folds pedal strokes into its hi-hat class. The hi-hat, cymbal and stereo
thresholds were tuned on synthetic renders of the Groove MIDI validation split
(40 drums-only and 40 with accompaniment, rendered with fluidsynth by a one-off
script that is not kept in the repository); the tom constants were fitted by
bench/fit_tom_lanes.py on the train renders of bench/groove_renders.py; none on
the evaluation songs.

Onsets are in seconds, audio at 44.1 kHz as (n,) or (n, 2) float arrays.
"""

from typing import NamedTuple

import numpy as np
import scipy.fft

LANES = ("HH", "HHO", "SD", "BD", "HT", "LT", "FT", "CY", "RD", "LC", "LP")
RULES = ("hihat_open", "ride", "toms", "left_crash")

FRAME_RATE = 100  # envelope frames per second
N_FFT = 1024  # samples per envelope frame (23 ms)
BLOCK_FRAMES = 2000  # frames analysed at a time, to bound memory on long songs
HIHAT_BAND = (5000.0, 16000.0)  # Hz
CYMBAL_BAND = (6000.0, 16000.0)  # Hz
# A hit's peak level is the maximum over frames [-1, +2] around its onset
# frame: the network's onset frame may be a frame early or late.
PEAK_FRAMES = (-1, 3)

# --- hi-hat open/closed
# Decay is read from frame +3 (past the attack) up to the frame before the
# next onset of any class (which would mask it), at most +10 (100 ms).
HIHAT_DECAY_FRAMES = (3, 11)
HIHAT_OPEN_DECAY_DB = -6.0  # shallower than this: open
HIHAT_SURE_DB = 4.0  # a decay this far from the boundary leaves no doubt (closed ones reach -10)
# The hi-hat's lower and upper register: an open hi-hat's wash is darker than a closed chick.
HIHAT_TILT_BANDS = ((3000.0, 6000.0), (10000.0, 16000.0))  # Hz
# Frames after the onset over which the tilt is read (past the stick's click).
HIHAT_TILT_FRAMES = (2, 6)
# Frames before the onset whose median level is what the hit rises from.
HIHAT_FLOOR_FRAMES = (-6, -1)

# --- crash/ride
# (a "ride keeps time" condition, >= N cymbal hits within +-1 s, was tried
# and lowered the synthetic validation score for every N: not used)
RIDE_LEVEL_FRAME = 10  # 100 ms after the onset
RIDE_DECAY_DB = -2.0  # level at +100 ms more than this below the peak: a ride
RIDE_SURE_DB = 3.0  # a crash holds within 1 dB, a ride has fallen 5 dB or more

# --- toms
TOM_WINDOW_S = 0.08  # analysis windows before and after the hit
TOM_GAP_S = 0.005  # skip the first 5 ms after the onset
TOM_N_FFT = 8192  # zero-padded FFT: 5.4 Hz bins
TOM_BAND = (50.0, 500.0)  # Hz
# A tom's pitch is the lowest peak of its gain at least this share of the highest: a tom's
# fundamental, where an overtone or another instrument rising with it gains more (the
# highest peak alone heard Beatles' one floor tom at 100 Hz and at 260-380 Hz).
TOM_PEAK_SHARE = 0.5
TOM_MIN_SEPARATION = 4.0  # semitones between the medians of two toms
TOM_MIN_SHARE = 0.1  # a tom has at least this share of the song's tom hits
TOM_HIGH_HZ = 100.0  # a song's only tom is a rack tom above this pitch
TOM_LANES = ("HT", "LT", "FT")  # high to low
TOM_SURE_SEMITONES = 2.0  # from midway between two toms' median pitches (or from TOM_HIGH_HZ for one tom)

# --- left/right crash
PAN_FRAMES = (0, 6)  # frames after the onset over which the stereo side is read
PAN_MARGIN = 0.1  # |pan| below this is the centre: no side
PAN_SURE = 0.2  # a crash this far past PAN_MARGIN is plainly on its side


def _stft_band_energy(*, channels, sample_rate, bands, with_mix=False):
    """Energy per frame in each band, per channel, and (``with_mix``) of the channels' average.

    channels: (n_channels, n) float32; returns (n_channels, n_bands, frames) float32, or with
    ``with_mix`` (n_channels + 1, n_bands, frames) whose last row is the average's, taken from
    the channels' spectra (the transform is linear): one STFT of the song serves both. Frame i
    is centred on sample ``i * sample_rate / FRAME_RATE``.
    """
    hop = int(round(sample_rate / FRAME_RATE))
    n_frames = int(np.ceil(channels.shape[1] / hop))
    half = N_FFT // 2
    padded = np.zeros((channels.shape[0], half + n_frames * hop + half), dtype=np.float32)
    padded[:, half:half + channels.shape[1]] = channels
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT, axis=1)[:, ::hop][:, :n_frames]
    window = np.hanning(N_FFT).astype(np.float32)
    frequencies = np.fft.rfftfreq(N_FFT, 1.0 / sample_rate)
    masks = np.stack([(frequencies >= lo) & (frequencies < hi) for lo, hi in bands]).astype(np.float32)
    energy = np.empty((channels.shape[0] + int(with_mix), len(bands), n_frames), dtype=np.float32)
    for start in range(0, n_frames, BLOCK_FRAMES):
        spectrum = scipy.fft.rfft(frames[:, start:start + BLOCK_FRAMES] * window, axis=-1)
        if with_mix:
            spectrum = np.concatenate([spectrum, spectrum.mean(axis=0, keepdims=True)])
        power = spectrum.real ** 2 + spectrum.imag ** 2
        energy[:, :, start:start + BLOCK_FRAMES] = np.swapaxes(power @ masks.T, 1, 2)
    return energy


def _to_db(energy):
    return (10.0 * np.log10(energy + 1e-10)).astype(np.float32)


def band_envelopes_db(*, samples, sample_rate, bands):
    """Level of ``samples`` in each frequency band, 100 frames per second.

    Parameters
    ----------
    samples : np.ndarray, shape (n,) or (n, channels), float
    sample_rate : int, Hz
    bands : sequence of (low, high) in Hz

    Returns
    -------
    np.ndarray, shape (n_bands, frames), float32, dB (10 log10 of the
    energy of the channels' average); frame i is at i / 100 s.
    """
    samples = np.asarray(samples, dtype=np.float32)
    mono = samples if samples.ndim == 1 else samples.mean(axis=1)
    return _to_db(_stft_band_energy(channels=mono[None], sample_rate=sample_rate, bands=bands)[0])


class HihatSignals(NamedTuple):
    """What a hi-hat split reads, at 100 frames per second: the hi-hat band's level
    (frames,) dB, the tilt of its sound (HIHAT_TILT_BANDS' lower minus upper level,
    (frames,) dB), every class's onsets (s) and the cymbals' (s), whose ring masks a
    hi-hat's as much as the next hi-hat hit does from three frames after the hi-hat on (a
    cymbal struck with the hi-hat rings over it from the start, and the hi-hat then sounds
    open: a known failure, rare in the renders the model learnt from)."""

    envelope_db: np.ndarray
    tilt_db: np.ndarray
    all_onsets: np.ndarray
    cymbal_onsets: np.ndarray


class LaneOnsets(NamedTuple):
    """One lane's hits: onset times (s), ascending, and how clear each lane choice was, [0, 1]."""

    times: np.ndarray
    confidence: np.ndarray


def _clearness(distance, sure):
    # 0 on a rule's boundary, 1 at `sure` from it (either side): see the module's docstring
    return np.clip(np.abs(np.asarray(distance, dtype=float)) / sure, 0.0, 1.0)


def _onset_frames(onsets, n_frames):
    return np.clip(np.round(np.asarray(onsets) * FRAME_RATE).astype(int), 0, n_frames - 1)


def _peak_levels(envelope_db, frames):
    lo, hi = PEAK_FRAMES
    return np.array([envelope_db[max(f + lo, 0):f + hi].max() for f in frames])


def hihat_decay_db(*, envelope_db, onsets, all_onsets):
    """Deepest level after each hi-hat hit relative to its peak (dB, <= ~0).

    Parameters
    ----------
    envelope_db : np.ndarray, shape (frames,), hi-hat band level (dB), 100 fps
    onsets : np.ndarray, shape (n,), hi-hat onset times (s)
    all_onsets : np.ndarray, onset times (s) of every class: the decay is read
        only up to the frame before the next hit, which would mask it.

    Returns
    -------
    np.ndarray, shape (n,), dB; near 0 for an open hi-hat, -10 or below for a
    closed one.
    """
    rings = _rings(envelope_db=envelope_db, onsets=onsets, masking_onsets=all_onsets,
                   last_frame=HIHAT_DECAY_FRAMES[1], attack_lead=0)
    return np.array([segment.min() - peak for segment, peak in rings])


def _rings(*, envelope_db, onsets, masking_onsets, last_frame, attack_lead):
    """(segment, peak) of each hit: the band's level from frame HIHAT_DECAY_FRAMES[0] after the
    hit up to frame ``last_frame`` - 1, cut short ``attack_lead`` frames before the next of
    ``masking_onsets`` (s) later than frame +2, and at least one frame long (the song's last
    frame past its end); and the hit's peak level (dB)."""
    frames = _onset_frames(onsets, len(envelope_db))
    masking = np.sort(_onset_frames(masking_onsets, len(envelope_db)))
    first = HIHAT_DECAY_FRAMES[0]
    for f, peak in zip(frames, _peak_levels(envelope_db, frames)):
        later = masking[masking > f + 2]
        stop = min(f + last_frame, later[0] + attack_lead if len(later) else f + last_frame, len(envelope_db))
        yield envelope_db[min(f + first, len(envelope_db) - 1):max(stop, f + first + 1)], peak


def hihat_signals(*, envelope_db, low_db, high_db, onsets):
    """HihatSignals of a song from its band levels (dB, 100 fps): HIHAT_BAND's and
    HIHAT_TILT_BANDS' lower and upper ones; onsets: the five classes' onset times (s)."""
    *_, cymbals = onsets
    return HihatSignals(envelope_db=envelope_db, tilt_db=low_db - high_db, all_onsets=np.concatenate(onsets),
                        cymbal_onsets=np.asarray(cymbals, dtype=float))


def hihat_ring_db(*, envelope_db, onsets, masking_onsets, last_frame):
    """How each hi-hat hit rings on, read over frames +3 to ``last_frame`` - 1 after it
    (100 fps), cut short before the next of ``masking_onsets`` (s) wherever its attack may
    start (a frame before its onset: see PEAK_FRAMES).

    An open hi-hat keeps ringing for hundreds of milliseconds; a closed one, even a loose
    one whose first 100 ms ring like an open hi-hat, has fallen away by 200 ms.

    Returns
    -------
    (depth, fall), each np.ndarray of shape (n,): the deepest level relative to the hit's
    peak (dB), and the mean change from one frame to the next over the window (dB per frame).
    """
    rings = list(_rings(envelope_db=envelope_db, onsets=onsets, masking_onsets=masking_onsets,
                        last_frame=last_frame, attack_lead=PEAK_FRAMES[0]))
    depth = np.array([segment.min() - peak for segment, peak in rings])
    fall = np.array([(segment[-1] - segment[0]) / max(len(segment) - 1, 1) for segment, _ in rings])
    return depth, fall


def hihat_rise_db(*, envelope_db, onsets):
    """How far each hi-hat hit's peak rises above the level just before it (dB): a hit
    that barely clears a loud mix cannot show how it decays. Shape (n,)."""
    frames = _onset_frames(onsets, len(envelope_db))
    lo, hi = HIHAT_FLOOR_FRAMES
    floors = np.array([np.median(envelope_db[max(f + lo, 0):max(f + hi, 1)]) for f in frames])
    return _peak_levels(envelope_db, frames) - floors


def hihat_tilt_db(*, tilt_db, onsets):
    """The tilt of each hi-hat hit's sound (see ``HihatSignals``), its mean over
    HIHAT_TILT_FRAMES after the onset (dB). Shape (n,)."""
    frames = _onset_frames(onsets, len(tilt_db))
    lo, hi = HIHAT_TILT_FRAMES
    return np.array([tilt_db[min(f + lo, len(tilt_db) - 1):min(f + hi, len(tilt_db))].mean() for f in frames])


def hihat_by_decay(*, signals, onsets):
    """The hand-set open/closed split: (is_open, confidence) of each hi-hat hit from
    ``hihat_decay_db`` (see ``hihat_is_open`` and ``hihat_confidence``)."""
    decay = hihat_decay_db(envelope_db=signals.envelope_db, onsets=onsets, all_onsets=signals.all_onsets)
    return hihat_is_open(decay_db=decay), hihat_confidence(decay_db=decay)


def hihat_is_open(*, decay_db):
    """Whether each hi-hat hit is open: its decay (see ``hihat_decay_db``) stays
    above ``HIHAT_OPEN_DECAY_DB``."""
    return np.asarray(decay_db) > HIHAT_OPEN_DECAY_DB


def hihat_confidence(*, decay_db):
    """How clear each open/closed choice was, [0, 1]: the decay's distance from
    ``HIHAT_OPEN_DECAY_DB`` over ``HIHAT_SURE_DB``."""
    return _clearness(np.asarray(decay_db) - HIHAT_OPEN_DECAY_DB, HIHAT_SURE_DB)


def cymbal_decay_db(*, envelope_db, onsets):
    """Level of each cymbal hit ``RIDE_LEVEL_FRAME`` frames (100 ms) after it,
    relative to its peak (dB, <= ~0).

    Parameters
    ----------
    envelope_db : np.ndarray, shape (frames,), cymbal band level (dB), 100 fps
    onsets : np.ndarray, shape (n,), cymbal onset times (s)

    Returns
    -------
    np.ndarray, shape (n,), dB
    """
    frames = _onset_frames(onsets, len(envelope_db))
    peaks = _peak_levels(envelope_db, frames)
    later = envelope_db[np.minimum(frames + RIDE_LEVEL_FRAME, len(envelope_db) - 1)]
    return later - peaks


def cymbal_is_ride(*, decay_db):
    """Whether each cymbal hit is a ride rather than a crash.

    A crash swells and keeps ringing near its peak level; a ride pings and
    fades. A hit is a ride when its level 100 ms later (``cymbal_decay_db``)
    is more than ``RIDE_DECAY_DB`` below its peak.

    Returns
    -------
    np.ndarray, shape (n,), bool
    """
    return np.asarray(decay_db) < RIDE_DECAY_DB


def ride_confidence(*, decay_db):
    """How clear each crash/ride choice was, [0, 1]: the decay's distance from
    ``RIDE_DECAY_DB`` over ``RIDE_SURE_DB``."""
    return _clearness(np.asarray(decay_db) - RIDE_DECAY_DB, RIDE_SURE_DB)


def ride_by_decay(*, envelope_db, onsets):
    """The hand-set crash/ride split: (is_ride, confidence) of each cymbal hit from
    ``cymbal_decay_db`` (see ``cymbal_is_ride`` and ``ride_confidence``)."""
    decay = cymbal_decay_db(envelope_db=envelope_db, onsets=onsets)
    return cymbal_is_ride(decay_db=decay), ride_confidence(decay_db=decay)


def tom_pitches(*, samples, sample_rate, onsets, peak_share=TOM_PEAK_SHARE):
    """The pitch (Hz) of each tom hit: its fundamental, as the energy it gains shows it.

    Compares the power spectrum of the 80 ms after the hit with the 80 ms
    before it, so that a sustained bass note does not pass for the tom, and
    takes the lowest peak of the increase in 50-500 Hz that reaches
    `peak_share` of the largest (1.0: the largest). A hit that gains nowhere
    in the band keeps the frequency that loses least.

    Parameters
    ----------
    samples : np.ndarray, shape (n,) or (n, channels), float
    sample_rate : int, Hz
    onsets : np.ndarray, shape (k,), tom onset times (s)

    Returns
    -------
    np.ndarray, shape (k,), Hz.
    """
    onsets = np.asarray(onsets, dtype=float)
    if len(onsets) == 0:
        return np.zeros(0)
    samples = np.asarray(samples, dtype=np.float32)
    mono = samples if samples.ndim == 1 else samples.mean(axis=1)
    length = int(TOM_WINDOW_S * sample_rate)
    gap = int(TOM_GAP_S * sample_rate)
    padding = np.zeros(length + gap, np.float32)
    padded = np.concatenate([padding, mono, padding])
    centres = np.round(onsets * sample_rate).astype(int) + length + gap
    after = np.stack([padded[c + gap:c + gap + length] for c in centres])
    before = np.stack([padded[c - gap - length:c - gap] for c in centres])
    window = np.hanning(length).astype(np.float32)
    gain = (np.abs(np.fft.rfft(after * window, TOM_N_FFT)) ** 2
            - np.abs(np.fft.rfft(before * window, TOM_N_FFT)) ** 2)
    frequencies = np.fft.rfftfreq(TOM_N_FFT, 1.0 / sample_rate)
    band = (frequencies >= TOM_BAND[0]) & (frequencies < TOM_BAND[1])
    gain = gain[:, band]
    inner = gain[:, 1:-1]
    is_peak = ((inner >= gain[:, :-2]) & (inner >= gain[:, 2:])
               & (inner >= peak_share * gain.max(axis=1, keepdims=True)) & (inner > 0))
    # a hit whose gain peaks only at the band's edge (or nowhere) keeps the largest gain
    lowest = np.where(is_peak.any(axis=1), np.argmax(is_peak, axis=1) + 1, np.argmax(gain, axis=1))
    return frequencies[band][lowest]


def _best_split(values):
    # 1-D two-means: the cut of the sorted values with the least squared error
    order = np.sort(values)
    n = len(order)
    cumsum, cumsq = np.cumsum(order), np.cumsum(order ** 2)
    k = np.arange(1, n)
    left = cumsq[:-1] - cumsum[:-1] ** 2 / k
    right = (cumsq[-1] - cumsq[:-1]) - (cumsum[-1] - cumsum[:-1]) ** 2 / (n - k)
    cut = int(np.argmin(left + right)) + 1
    return order[cut - 1], order[cut]


def tom_lanes(*, pitches):
    """Tom lane ("HT", "LT" or "FT") of each hit from its pitch (Hz).

    The song's tom pitches (in semitones) are split in two at the least-error
    cut while both sides hold at least ``TOM_MIN_SHARE`` of the hits and
    their medians lie ``TOM_MIN_SEPARATION`` semitones apart, then each side
    again, giving at most three toms. Three map to HT, LT, FT; two to HT and
    FT (most grooves use a rack and a floor tom); a single tom is HT above
    ``TOM_HIGH_HZ`` and FT below.

    Returns
    -------
    np.ndarray, shape (k,), str lane names.
    """
    pitches = np.asarray(pitches, dtype=float)
    lanes = np.empty(len(pitches), dtype="<U2")
    if len(pitches) == 0:
        return lanes
    semitones = 12 * np.log2(pitches)
    minimum = max(2, TOM_MIN_SHARE * len(pitches))

    def split(members):
        values = semitones[members]
        if len(values) < 2 * minimum:
            return [members]
        low_end, high_start = _best_split(values)
        low, high = members[values <= low_end], members[values >= high_start]
        separated = np.median(semitones[high]) - np.median(semitones[low]) >= TOM_MIN_SEPARATION
        if len(low) < minimum or len(high) < minimum or not separated:
            return [members]
        return [low, high]

    clusters = split(np.arange(len(pitches)))
    if len(clusters) == 2:
        # a third tom hides in the wider of the two if it splits cleanly
        wider = int(np.argmax([np.ptp(semitones[c]) for c in clusters]))
        parts = split(clusters[wider])
        clusters = clusters[:wider] + parts + clusters[wider + 1:]
    if len(clusters) == 1:
        names = ("HT",) if np.median(pitches) > TOM_HIGH_HZ else ("FT",)
    else:
        names = {2: ("FT", "HT"), 3: ("FT", "LT", "HT")}[len(clusters)]  # low to high
    for cluster, name in zip(clusters, names):
        lanes[cluster] = name
    return lanes


def tom_confidence(*, pitches, lanes):
    """How clear each tom's lane was, [0, 1], given ``tom_lanes``' choice.

    With two or three toms: half of how much nearer (semitones) the hit is to
    its tom's median pitch than to the nearest other tom's (0 for a hit midway
    or nearer the other); with one: the distance of the song's median tom
    pitch from ``TOM_HIGH_HZ``, which chose HT or FT. Over
    ``TOM_SURE_SEMITONES``.

    Returns
    -------
    np.ndarray, shape (k,), float
    """
    pitches = np.asarray(pitches, dtype=float)
    if len(pitches) == 0:
        return np.zeros(0)
    semitones = 12 * np.log2(pitches)
    names = sorted(set(lanes.tolist()))
    if len(names) == 1:
        return _clearness(np.full(len(pitches), 12 * np.log2(np.median(pitches) / TOM_HIGH_HZ)), TOM_SURE_SEMITONES)
    medians = np.array([np.median(semitones[lanes == name]) for name in names])
    distances = np.abs(semitones[:, None] - medians[None, :])  # (k, toms)
    is_own = np.array([[name == tom for tom in names] for name in lanes])
    own = distances[is_own]
    others = np.where(is_own, np.inf, distances).min(axis=1)
    return _clearness(np.maximum(others - own, 0.0) / 2, TOM_SURE_SEMITONES)


def stereo_pans(*, energy, onsets_list):
    """Stereo side of hits in the cymbal band: (R - L) / (R + L) energy.

    Parameters
    ----------
    energy : np.ndarray, shape (2, frames), the cymbal band's energy of the left and right
        channels, 100 frames per second (``_stft_band_energy``)
    onsets_list : sequence of np.ndarray, onset times (s); one stereo
        analysis of the song serves them all

    Returns
    -------
    list of np.ndarray, one per entry of ``onsets_list``, values in [-1, 1],
    negative is left; energy summed over frames ``PAN_FRAMES`` after the hit.
    """
    lo, hi = PAN_FRAMES
    pans = []
    for onsets in onsets_list:
        frames = _onset_frames(onsets, energy.shape[1])
        left = np.array([energy[0, f + lo:f + hi].sum() for f in frames])
        right = np.array([energy[1, f + lo:f + hi].sum() for f in frames])
        pans.append((right - left) / np.maximum(right + left, 1e-10))
    return pans


def is_left_crash(*, crash_pans, hihat_pans):
    """Whether each crash sits on the hi-hat's side of the stereo image.

    The hi-hat's side is the sign of the median of ``hihat_pans``; a crash
    is a left crash (LC) when its pan is beyond ``PAN_MARGIN`` on that side.
    No side (a centred or mono mix, or no hi-hat) gives all False.
    """
    crash_pans = np.asarray(crash_pans)
    side = _hihat_side(hihat_pans)
    if side == 0:
        return np.zeros(len(crash_pans), dtype=bool)
    return crash_pans * side > PAN_MARGIN


def left_crash_confidence(*, crash_pans, hihat_pans):
    """How clear each left/right crash choice was, [0, 1]: the crash's pan on
    the hi-hat's side from ``PAN_MARGIN``, over ``PAN_SURE``. Without a side
    no crash is a left one, whatever its pan: 1 for all."""
    crash_pans = np.asarray(crash_pans)
    side = _hihat_side(hihat_pans)
    if side == 0:
        return np.ones(len(crash_pans))
    return _clearness(crash_pans * side - PAN_MARGIN, PAN_SURE)


def _hihat_side(hihat_pans):
    # +1 or -1, the hi-hat's side of the stereo image; 0 for none (centred, mono, no hi-hat)
    if len(hihat_pans) == 0:
        return 0.0
    side = np.median(hihat_pans)
    return 0.0 if abs(side) < PAN_MARGIN else float(np.sign(side))


def refine_lanes(*, samples, sample_rate, onsets, rules=RULES, split_cymbals=ride_by_decay,
                 split_hihat=hihat_by_decay):
    """Lane onsets of a song from Frame_RNN's class onsets.

    Parameters
    ----------
    samples : np.ndarray, shape (n,) or (n, 2), float, the song's audio
    sample_rate : int, Hz
    onsets : sequence of 5 np.ndarray, onset times (s) per class
        (BD, SD, TT, HH, CY), as from ``peaks.pick_onsets``
    rules : collection of names from ``RULES`` to apply. Without its rule a
        class keeps one lane: hi-hat HH, toms FT, cymbals CY (BD and SD
        always map to BD and SD).
    split_cymbals : the "ride" rule: (envelope_db=cymbal band level, onsets=)
        -> (is_ride, confidence) per cymbal hit; ``ride_by_decay`` by default.
    split_hihat : the "hihat_open" rule: (signals=HihatSignals, onsets=) ->
        (is_open, confidence) per hi-hat hit; ``hihat_by_decay`` by default.

    Returns
    -------
    dict lane -> LaneOnsets for every lane in ``LANES``: onset times (s),
    ascending, each one of its class's, and the lane confidence of each.
    """
    samples = np.asarray(samples, dtype=np.float32)
    onsets = [np.asarray(o, dtype=float) for o in onsets]
    bd, sd, toms, hihat, cymbal = onsets
    out = {lane: [] for lane in LANES}

    def assign(lane, times, confidence=None):
        out[lane].append((times, np.ones(len(times)) if confidence is None else confidence))

    assign("BD", bd)
    assign("SD", sd)
    stereo = "left_crash" in rules and samples.ndim == 2 and samples.shape[1] == 2
    bands = [HIHAT_BAND, CYMBAL_BAND, *HIHAT_TILT_BANDS]
    if stereo:  # one STFT of both channels gives the mix's envelopes and the cymbals' sides
        energy = _stft_band_energy(channels=samples.T, sample_rate=sample_rate, bands=bands, with_mix=True)
        hihat_env, cymbal_env, low_env, high_env = _to_db(energy[-1])
        cymbal_sides = energy[:2, 1]
    else:
        hihat_env, cymbal_env, low_env, high_env = band_envelopes_db(samples=samples, sample_rate=sample_rate,
                                                                     bands=bands)

    if "hihat_open" in rules:
        signals = hihat_signals(envelope_db=hihat_env, low_db=low_env, high_db=high_env, onsets=onsets)
        is_open, confidence = split_hihat(signals=signals, onsets=hihat)
        assign("HH", hihat[~is_open], confidence[~is_open])
        assign("HHO", hihat[is_open], confidence[is_open])
    else:
        assign("HH", hihat)

    if "toms" in rules:
        pitches = tom_pitches(samples=samples, sample_rate=sample_rate, onsets=toms)
        lanes = tom_lanes(pitches=pitches)
        confidence = tom_confidence(pitches=pitches, lanes=lanes)
        for lane in TOM_LANES:
            assign(lane, toms[lanes == lane], confidence[lanes == lane])
    else:
        assign("FT", toms)

    if "ride" in rules:
        ride, cymbal_confidence = split_cymbals(envelope_db=cymbal_env, onsets=cymbal)
    else:
        ride, cymbal_confidence = np.zeros(len(cymbal), dtype=bool), np.ones(len(cymbal))
    assign("RD", cymbal[ride], cymbal_confidence[ride])
    crashes, crash_confidence = cymbal[~ride], cymbal_confidence[~ride]
    if stereo:
        crash_pans, hihat_pans = stereo_pans(energy=cymbal_sides, onsets_list=[crashes, hihat])
        left = is_left_crash(crash_pans=crash_pans, hihat_pans=hihat_pans)
        # both choices were made for a left crash: the less clear one bounds the lane's confidence
        crash_confidence = np.minimum(crash_confidence,
                                      left_crash_confidence(crash_pans=crash_pans, hihat_pans=hihat_pans))
        assign("LC", crashes[left], crash_confidence[left])
        assign("CY", crashes[~left], crash_confidence[~left])
    else:
        assign("CY", crashes, crash_confidence)
    return {lane: _merged(parts) for lane, parts in out.items()}


def _merged(parts):
    # one lane's (times, confidence) pieces as one LaneOnsets, in time order
    if not parts:
        return LaneOnsets(times=np.zeros(0), confidence=np.zeros(0))
    times = np.concatenate([times for times, _ in parts])
    confidence = np.concatenate([confidence for _, confidence in parts])
    order = np.argsort(times, kind="stable")
    return LaneOnsets(times=times[order], confidence=confidence[order])
