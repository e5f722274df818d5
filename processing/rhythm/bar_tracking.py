"""Downbeats and bar lengths from tracked beats: an HMM over the position of each beat in
its bar, scored by drum patterns (kick, snare, ... per sixteenth of the beat) and by cues
that mark the first beat of a bar: harmonic change (chords), a change of bass note (both
weighed by the music's level, so that a chord dying away marks nothing), a crash, and a tom
fill in the beat before. The cues' weights are fitted on Groove MIDI performances
rendered under generated accompaniment (bench/fit_downbeats.py).
"""

from typing import NamedTuple

import numpy as np

FRAME_RATE = 100.0  # frames per second of the drum activations and spectrogram
# Drum classes of the activations' columns (ADTOF Frame_RNN order).
DRUM_CLASSES = ("BD", "SD", "TT", "HH", "CY")
SLOTS_PER_BEAT = 4  # sixteenth notes
# Frames either side of a sixteenth slot searched for the activation's maximum: the
# window used when the patterns below were counted (35 ms).
SLOT_RADIUS_FRAMES = 3
# P(hit | meter, position in bar, class, sixteenth slot) counted on the Groove MIDI
# Dataset (Gillick et al. 2019, CC BY 4.0), split "train", 'beat' performances, with
# add-one smoothing (counted once by a script that is not kept in the repository): 70,125
# beats in 4/4, 1,315 in 3/4. Per meter, shape (beat in bar, classes in DRUM_CLASSES
# order, slots).
DRUM_PATTERNS = {
    4: np.array([
        [[0.583, 0.023, 0.123, 0.195], [0.158, 0.192, 0.184, 0.191], [0.075, 0.025, 0.053, 0.030],
         [0.425, 0.100, 0.370, 0.130], [0.317, 0.033, 0.163, 0.039]],
        [[0.225, 0.052, 0.185, 0.090], [0.483, 0.206, 0.198, 0.266], [0.053, 0.032, 0.055, 0.043],
         [0.462, 0.106, 0.402, 0.107], [0.261, 0.043, 0.194, 0.058]],
        [[0.404, 0.067, 0.181, 0.122], [0.206, 0.263, 0.206, 0.201], [0.077, 0.048, 0.065, 0.046],
         [0.416, 0.116, 0.374, 0.103], [0.269, 0.046, 0.168, 0.039]],
        [[0.222, 0.062, 0.162, 0.066], [0.441, 0.207, 0.226, 0.251], [0.096, 0.057, 0.106, 0.056],
         [0.468, 0.090, 0.333, 0.088], [0.250, 0.031, 0.171, 0.038]]]),
    3: np.array([
        [[0.631, 0.054, 0.068, 0.199], [0.174, 0.378, 0.262, 0.305], [0.023, 0.018, 0.018, 0.005],
         [0.339, 0.052, 0.339, 0.197], [0.654, 0.007, 0.226, 0.113]],
        [[0.011, 0.018, 0.214, 0.120], [0.200, 0.491, 0.177, 0.318], [0.023, 0.025, 0.025, 0.020],
         [0.500, 0.036, 0.341, 0.127], [0.618, 0.005, 0.345, 0.186]],
        [[0.210, 0.050, 0.200, 0.100], [0.351, 0.390, 0.312, 0.308], [0.077, 0.059, 0.073, 0.036],
         [0.497, 0.046, 0.383, 0.050], [0.592, 0.005, 0.166, 0.075]]]),
}
# Compound 6/8 is tracked at the eighth note (its dotted-quarter pulse, 40 to 70 BPM, is
# below the beat tracker's range), so its bar has six beats; its drum pattern is the 3/4 one
# twice over (Groove holds too few 6/8 performances to count one), and the kick on its first
# eighth against the snare on its fourth tells the two halves apart (BACKBONE_WEIGHT).
DRUM_PATTERNS[6] = np.concatenate([DRUM_PATTERNS[3], DRUM_PATTERNS[3]])
COMPOUND_METER = 6
METERS = (4, 3, 6)
# A meter other than the first of METERS is chosen only when the drums repeat with its
# period clearly more than with the meter chosen so far, in METERS' order (see
# estimate_meter). On the synthetic Groove excerpts 4/4 scores at most 0.02 and 3/4 at
# least 0.2.
METER_MARGIN = 0.1
# Nats per unit of (kick - snare) activation on the first sixteenth of a 6/8 bar's first
# eighth, and the opposite on its fourth: set, not fitted (see COMPOUND_METER).
BACKBONE_WEIGHT = 1.0
# Weights of the downbeat evidence, fitted by bench/fit_downbeats.py (coordinate search
# for the best mean downbeat F) on the 'train' split of bench/groove_renders.py's renders;
# the development songs were not used (their leave-one-song-out figures are in
# bench/RESULTS.md). DRUM_WEIGHT scales the drum patterns' summed Bernoulli
# log-likelihood, which overstates the evidence because neighbouring sixteenths and classes
# are far from independent; CUE_WEIGHTS weigh the columns of downbeat_cues, in nats per unit.
# Fitted on 45 train renders (popular styles), from DRUM_WEIGHT 0.5 and the harmonic cue
# alone at 1.0: mean downbeat F 0.702 -> 0.734 there, 0.828 -> 0.861 on the 31 test renders
# (with drum_tempo.BEAT_WEIGHTS' later hi-hat and cymbal weights, the same fit gives these
# weights again and 0.763 / 0.900, as it does with the cues gated by CUE_LEVEL_SHARE). A tom
# fill before the bar line earned no weight; the cue stays so that a refit can weigh it.
DRUM_WEIGHT = 0.3
CUES = ("harmonic", "bass", "crash", "fill")
CUE_WEIGHTS = np.array([1.0, 0.25, 3.0, 0.0])
# Harmonic change is measured in units of HARMONIC_SCALE above the song's median. The scale
# is fixed rather than per song so that songs without harmony (drums only) or with flat
# chroma (distorted guitars) get a weak cue, not a noisy one: chord changes measure 0.02 to
# 0.06, drum-only and noise 0.01 or less.
HARMONIC_SCALE = 0.02
# Bands of the ADTOF log-filterbank below 431 Hz: the bass line's register (and the kick's).
BASS_BANDS = slice(0, 18)
# Cues are clipped to this many units so that one loud event cannot outvote a song's bars.
MAX_CUE = 4.0
# The harmonic and bass cues of a beat count in proportion to its level (the mean magnitude
# of the bands they read) up to this share of the song's median beat level (-12 dB), in
# full above it: a chord dying away after the band stops, or the hiss of a silent passage,
# changes its chroma from beat to beat without any bar line there. Set, not fitted: well
# below a soft verse or intro (a drumless intro's bar lines come from these cues).
CUE_LEVEL_SHARE = 0.25
# Log probability of a bar cut short (e.g. a 2/4 bar in a 4/4 song).
LOG_SHORT_BAR = -8.0
# Bands of the ADTOF log-filterbank spectrogram whose centres are at least a semitone
# apart (431 Hz to 4.2 kHz with a 2048-point FFT at 44.1 kHz): folded into a chroma.
CHROMA_BANDS = slice(18, 59)
EPSILON = 1e-9


def beat_slot_features(*, beat_times, activations, frame_rate=FRAME_RATE):
    """Drum activation around each sixteenth of each beat.

    Parameters
    ----------
    beat_times : np.ndarray, shape (n_beats,), seconds, increasing, n_beats >= 2.
    activations : np.ndarray, shape (n_frames, 5), in [0, 1], columns DRUM_CLASSES.

    Returns
    -------
    np.ndarray, shape (n_beats, 5, SLOTS_PER_BEAT): the maximum activation within
    SLOT_RADIUS_FRAMES of each slot; slots divide each beat interval evenly (the last beat
    uses the previous interval).
    """
    beat_times = np.asarray(beat_times, dtype=float)
    periods = np.diff(beat_times, append=2 * beat_times[-1] - beat_times[-2])
    slot_times = beat_times[:, None] + periods[:, None] * np.arange(SLOTS_PER_BEAT) / SLOTS_PER_BEAT
    centres = np.round(slot_times * frame_rate).astype(int)
    offsets = np.arange(-SLOT_RADIUS_FRAMES, SLOT_RADIUS_FRAMES + 1)
    frames = np.clip(centres[..., None] + offsets, 0, len(activations) - 1)  # (K, S, W)
    return activations[frames].max(axis=2).transpose(0, 2, 1)


def _per_beat_means(*, beat_times, values, frame_rate):
    """Mean of `values` ((n_frames, n), non-negative) over each beat interval: (n_beats, n);
    the last beat uses the previous interval."""
    edges = np.clip(np.round(np.asarray(beat_times) * frame_rate).astype(int), 0, len(values))
    edges = np.append(edges, min(len(values), 2 * edges[-1] - edges[-2]))
    cumulative = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    lengths = np.maximum(np.diff(edges), 1)[:, None]
    return (cumulative[edges[1:]] - cumulative[edges[:-1]]) / lengths


def _change_at_beats(per_beat):
    """Cosine distance between each beat's vector ((n_beats, n)) and the previous beat's,
    after log compression so that one loud component does not dominate: (n_beats,), 0 at
    the first beat."""
    per_beat = np.log1p(per_beat / (per_beat.mean() + EPSILON))
    norms = np.linalg.norm(per_beat, axis=1) + EPSILON
    cosine = np.sum(per_beat[1:] * per_beat[:-1], axis=1) / (norms[1:] * norms[:-1])
    return np.concatenate([[0.0], 1.0 - cosine])


def harmonic_change(*, beat_times, spectrogram, frame_rate=FRAME_RATE):
    """Chroma change at each beat: cosine distance between the mean chroma of the beat
    before and of the beat starting there.

    Parameters
    ----------
    beat_times : np.ndarray, shape (n_beats,), seconds.
    spectrogram : np.ndarray, shape (n_frames, 84), log10(1 + magnitude) of the ADTOF
        log-filterbank (12 bands per octave).

    Returns
    -------
    np.ndarray, shape (n_beats,), in units of HARMONIC_SCALE above the song's median
    change; 0 at the first beat.
    """
    magnitude = 10.0 ** spectrogram[:, CHROMA_BANDS] - 1.0
    n_bands = magnitude.shape[1]
    fold = np.zeros((n_bands, 12))
    fold[np.arange(n_bands), np.arange(n_bands) % 12] = 1.0
    change = _change_at_beats(_per_beat_means(beat_times=beat_times, values=magnitude @ fold,
                                              frame_rate=frame_rate))
    change[1:] = (change[1:] - np.median(change[1:])) / HARMONIC_SCALE
    return change


def bass_change(*, beat_times, spectrogram, frame_rate=FRAME_RATE):
    """Change of the low register (BASS_BANDS) at each beat, as harmonic_change measures
    chroma: a new bass note. In units of the song's median absolute deviation above its
    median, (n_beats,), 0 at the first beat."""
    magnitude = 10.0 ** spectrogram[:, BASS_BANDS] - 1.0
    change = _change_at_beats(_per_beat_means(beat_times=beat_times, values=magnitude, frame_rate=frame_rate))
    change[1:] = _robust_units(change[1:])
    return change


def cue_level_gate(*, beat_times, spectrogram, frame_rate=FRAME_RATE):
    """Weight of each beat's harmonic and bass cues by its level: (n_beats,), in [0, 1].

    The level is the beat's mean magnitude over BASS_BANDS and CHROMA_BANDS; the weight
    rises linearly from 0 (silence) to 1 at CUE_LEVEL_SHARE of the song's median level.
    """
    magnitude = 10.0 ** spectrogram[:, :CHROMA_BANDS.stop] - 1.0
    level = _per_beat_means(beat_times=beat_times, values=magnitude.mean(axis=1, keepdims=True),
                            frame_rate=frame_rate)[:, 0]
    return np.clip(level / (CUE_LEVEL_SHARE * np.median(level) + EPSILON), 0.0, 1.0)


def _robust_units(values):
    """`values` minus their median, in units of their median absolute deviation."""
    centred = values - np.median(values)
    return centred / (np.median(np.abs(centred)) + EPSILON)


def downbeat_cues(*, beat_times, slot_features, spectrogram=None, frame_rate=FRAME_RATE):
    """Evidence that each beat starts a bar, beyond the drum patterns: columns CUES.

    harmonic: harmonic_change; bass: bass_change (both weighed by cue_level_gate, and 0
    without a spectrogram);
    crash: the cymbal activation on the beat minus the song's median, in [-1, 1];
    fill: the highest tom activation in the beat before, minus the song's median, in [-1, 1]
    (a fill leads into the bar line).

    Parameters
    ----------
    beat_times : np.ndarray, shape (n_beats,), seconds.
    slot_features : np.ndarray, shape (n_beats, 5, SLOTS_PER_BEAT), from beat_slot_features.
    spectrogram : np.ndarray, shape (n_frames, 84), or None.

    Returns
    -------
    np.ndarray, shape (n_beats, len(CUES)), clipped to [-MAX_CUE, MAX_CUE] (the harmonic
    and bass cues before their level gate).
    """
    cues = np.zeros((len(slot_features), len(CUES)))
    if spectrogram is not None:
        cues[:, 0] = harmonic_change(beat_times=beat_times, spectrogram=spectrogram, frame_rate=frame_rate)
        cues[:, 1] = bass_change(beat_times=beat_times, spectrogram=spectrogram, frame_rate=frame_rate)
    crash = slot_features[:, DRUM_CLASSES.index("CY"), 0]
    cues[:, 2] = crash - np.median(crash)
    toms = np.concatenate([[0.0], slot_features[:-1, DRUM_CLASSES.index("TT"), :].max(axis=1)])
    cues[:, 3] = toms - np.median(toms)
    cues = np.clip(cues, -MAX_CUE, MAX_CUE)
    if spectrogram is not None:
        cues[:, :2] *= cue_level_gate(beat_times=beat_times, spectrogram=spectrogram, frame_rate=frame_rate)[:, None]
    return cues


def estimate_meter(*, slot_features, meters=METERS):
    """Beats per bar from how the drum pattern repeats.

    For each candidate meter m, the mean cosine similarity between the (centred) drum
    features of beats m and 2m apart. Candidates are taken in order: one replaces the meter
    chosen so far only when it scores METER_MARGIN more (so 6 replaces 3 only where the
    pattern repeats every six beats and not every three).

    Parameters
    ----------
    slot_features : np.ndarray, shape (n_beats, 5, SLOTS_PER_BEAT), from beat_slot_features.
    meters : tuple of int, candidates, the default first.

    Returns
    -------
    int, beats per bar.
    """
    features = slot_features.reshape(len(slot_features), -1)
    features = features - features.mean(axis=0)  # what distinguishes beats from each other
    norms = np.linalg.norm(features, axis=1) + EPSILON

    def similarity(lag):
        if lag >= len(features):
            return 0.0
        dots = np.sum(features[:-lag] * features[lag:], axis=1)
        return float(np.mean(dots / (norms[:-lag] * norms[lag:])))

    chosen, chosen_score = meters[0], 0.5 * (similarity(meters[0]) + similarity(2 * meters[0]))
    for meter in meters[1:]:
        score = 0.5 * (similarity(meter) + similarity(2 * meter))
        if score > chosen_score + METER_MARGIN:
            chosen, chosen_score = meter, score
    return chosen


def bar_position_log_likelihoods(*, slot_features, meter, cues=None, drum_weight=DRUM_WEIGHT,
                                 cue_weights=CUE_WEIGHTS):
    """Log-likelihood of each beat being at each position of a ``meter``-beat bar.

    Parameters
    ----------
    slot_features : np.ndarray, shape (n_beats, 5, SLOTS_PER_BEAT), in [0, 1].
    meter : int, a key of DRUM_PATTERNS.
    cues : np.ndarray, shape (n_beats, len(CUES)), or None: ``downbeat_cues`` output.
    cue_weights : np.ndarray, shape (len(CUES),), nats per unit of each cue.

    Returns
    -------
    np.ndarray, shape (n_beats, meter); column 0 is the downbeat.
    """
    flat = slot_features.reshape(len(slot_features), -1)
    probability = DRUM_PATTERNS[meter].reshape(meter, -1)
    log_likelihood = drum_weight * (flat @ np.log(probability).T
                                    + (1.0 - flat) @ np.log1p(-probability).T)
    if cues is not None:
        log_likelihood[:, 0] += cues @ np.asarray(cue_weights)
    if meter == COMPOUND_METER:
        kick, snare = DRUM_CLASSES.index("BD"), DRUM_CLASSES.index("SD")
        backbone = BACKBONE_WEIGHT * (slot_features[:, kick, 0] - slot_features[:, snare, 0])
        log_likelihood[:, 0] += backbone
        log_likelihood[:, meter // 2] -= backbone
    return log_likelihood


def decode_bars(*, log_likelihood, log_short_bar=LOG_SHORT_BAR):
    """Viterbi path of bar positions over beats.

    Parameters
    ----------
    log_likelihood : np.ndarray, shape (n_beats, meter), from bar_position_log_likelihoods.
    log_short_bar : float, log probability of a bar ending before its last position.

    Returns
    -------
    np.ndarray, shape (n_beats,), int: position of each beat in its bar (0 = downbeat).
    """
    n_beats, meter = log_likelihood.shape
    transition = np.full((meter, meter), -np.inf)
    transition[np.arange(meter - 1), np.arange(1, meter)] = 0.0
    transition[1:meter - 1, 0] = log_short_bar
    transition[meter - 1, 0] = 0.0
    # Any position may come first: songs start with pickups, excerpts anywhere.
    score = log_likelihood[0].copy()
    back = np.zeros((n_beats, meter), dtype=int)
    for k in range(1, n_beats):
        candidates = score[:, None] + transition
        back[k] = np.argmax(candidates, axis=0)
        score = candidates[back[k], np.arange(meter)] + log_likelihood[k]
    path = np.zeros(n_beats, dtype=int)
    path[-1] = int(np.argmax(score))
    for k in range(n_beats - 1, 0, -1):
        path[k - 1] = back[k, path[k]]
    return path


class Bars(NamedTuple):
    """Where the bars of a beat sequence start, and the nearest other reading of them.

    first_downbeat : int, index of the first beat that starts a bar (the beats before it are
        a pickup).
    lengths : np.ndarray, shape (n_bars,), int, beats in each bar from ``first_downbeat`` on;
        they sum to at least ``n_beats - first_downbeat`` (the last bar keeps the meter's
        length even where the beats end before it does).
    rival_shift : int, the bars moved this many beats later (1 to meter - 1) are the best
        other reading (0 when there is none: fewer than two beats).
    rival_margin_nats : float, how much better the chosen bars score than that reading.
    """

    first_downbeat: int
    lengths: np.ndarray
    rival_shift: int = 0
    rival_margin_nats: float = np.inf


def rival_shift(*, log_likelihood, positions):
    """The best other reading of decoded bars: the same bars moved s beats later.

    Parameters
    ----------
    log_likelihood : np.ndarray, shape (n_beats, meter), from bar_position_log_likelihoods.
    positions : np.ndarray, shape (n_beats,), int, from decode_bars.

    Returns
    -------
    (shift, margin): the s in 1 .. meter - 1 whose moved positions ((positions - s) % meter)
    score best, and the decoded positions' score minus its (nats). The bars keep their
    lengths, so the transitions cost the same and only the evidence is compared.
    """
    beats = np.arange(len(positions))
    meter = log_likelihood.shape[1]
    chosen = log_likelihood[beats, positions].sum()
    scores = [log_likelihood[beats, (positions - shift) % meter].sum() for shift in range(1, meter)]
    best = int(np.argmax(scores))
    return best + 1, float(chosen - scores[best])


def track_bars(*, beat_times, drum_activations, spectrogram=None, frame_rate=FRAME_RATE,
               meters=METERS, drum_weight=DRUM_WEIGHT, cue_weights=CUE_WEIGHTS):
    """Downbeats and bar lengths of a tracked beat sequence.

    Parameters
    ----------
    beat_times : np.ndarray, shape (n_beats,), seconds, increasing.
    drum_activations : np.ndarray, shape (n_frames, 5), in [0, 1], columns DRUM_CLASSES,
        frame ``i`` at ``i / frame_rate`` seconds.
    spectrogram : np.ndarray, shape (n_frames, 84), or None: the ADTOF log-filterbank
        spectrogram, for the harmonic and bass cues (left out when None).
    meters : tuple of int, beats per bar considered; the first is the default meter.

    Returns
    -------
    Bars: the decoded bars and their rival (rival_shift).
    """
    beat_times = np.asarray(beat_times, dtype=float)
    if beat_times.size < 2:
        return Bars(0, np.full(1, meters[0]))
    slots = beat_slot_features(beat_times=beat_times, activations=drum_activations,
                               frame_rate=frame_rate)
    meter = estimate_meter(slot_features=slots, meters=meters)
    cues = downbeat_cues(beat_times=beat_times, slot_features=slots, spectrogram=spectrogram,
                         frame_rate=frame_rate)
    log_likelihood = bar_position_log_likelihoods(
        slot_features=slots, meter=meter, cues=cues, drum_weight=drum_weight, cue_weights=cue_weights)
    positions = decode_bars(log_likelihood=log_likelihood)
    shift, margin = rival_shift(log_likelihood=log_likelihood, positions=positions)
    downbeats = np.flatnonzero(positions == 0)
    if downbeats.size == 0:
        return Bars(0, np.full(1, meter), shift, margin)
    lengths = np.append(np.diff(downbeats), meter)
    return Bars(int(downbeats[0]), lengths.astype(int), shift, margin)
