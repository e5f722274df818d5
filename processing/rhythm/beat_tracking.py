"""Beat tracking: a Viterbi decoder over beat period and phase (bar-pointer style).

The hidden state at each frame is (beat period in frames, frames since the last beat),
as in Krebs, Böck & Widmer, "An efficient state-space model for joint tempo and meter
tracking" (ISMIR 2015). The phase advances one frame per frame; at a beat the period may
change, with a cost that grows with the relative change. Frames in the first
1/`observation_lambda` of a beat are "beat" frames with likelihood ``a`` (the activation),
the others ``(1 - a) / (observation_lambda - 1)``, as in madmom's DBN beat tracker; this is
a numpy implementation of that model, not a port of madmom's code.

Because the phase advances deterministically, the decoder only keeps, for each frame
``u`` and period ``j``, the best score of a path with a beat of period ``j`` starting at
``u``; a beat's whole observation cost is a difference of prefix sums. Every transition
goes at least ``min_period`` frames back, so ``min_period`` frames are decoded at once.
"""

import numpy as np
from scipy.ndimage import maximum_filter1d

FRAME_RATE = 100.0  # frames per second of activations
MIN_BPM = 55.0
MAX_BPM = 215.0
# Fraction of a beat period (1 / lambda) during which the beat activation is expected high.
OBSERVATION_LAMBDA = 16
# Cost of a period change of relative size r between consecutive beats: lambda * r
# (madmom's exponential transition model with its default lambda).
TRANSITION_LAMBDA = 100.0
# Period changes larger than this between consecutive beats are not considered; their
# cost (lambda * 0.1 = 10 nats) would already make them implausible.
MAX_RELATIVE_PERIOD_CHANGE = 0.1
# Activations are clipped to [MIN_ACTIVATION, 1 - MIN_ACTIVATION]. A beat with no drum hit
# (a rest, a missed detection, the edge of a break) must cost a bounded amount, else the
# decoder stretches or drops beats to avoid such places (measured: with 1e-4 the beats
# through a 12 s break drift from 0.50 to 0.53 s; with 0.01 they stay at 0.50 s).
MIN_ACTIVATION = 0.01
# Where no activation reaches GATE_LEVEL within GATE_RADIUS_S (a passage without drums, a
# silent intro), frames carry no evidence: their log-likelihood ratio is scaled towards 0,
# so that the decoder keeps the tempo it had instead of stretching beats to avoid them.
GATE_RADIUS_S = 1.5
GATE_LEVEL = 0.3


def track_beats(*, activation, frame_rate=FRAME_RATE, min_bpm=MIN_BPM, max_bpm=MAX_BPM,
                observation_lambda=OBSERVATION_LAMBDA, transition_lambda=TRANSITION_LAMBDA,
                log_tempo_prior=None):
    """Most likely beat sequence through a beat activation.

    Parameters
    ----------
    activation : np.ndarray, shape (n_frames,), float in [0, 1]
        Beat evidence per frame; frame ``i`` is at ``i / frame_rate`` seconds.
    frame_rate : float, frames per second.
    min_bpm, max_bpm : float, the tempo range searched (beat periods rounded to frames).
    observation_lambda : int, beats occupy the first ``1 / observation_lambda`` of a period.
    transition_lambda : float, cost in nats per unit of relative period change.
    log_tempo_prior : callable or None
        Maps periods in seconds (np.ndarray) to a log prior per second of music at that
        tempo (so that it does not favour tempi with fewer beats); ``None`` for a flat prior.

    Returns
    -------
    np.ndarray, shape (n_beats,), float64, beat times in seconds, increasing, within
    ``[0, n_frames / frame_rate)``. The beat is placed at the centre of its "beat" frames.
    """
    activation = np.clip(np.asarray(activation, dtype=np.float64), MIN_ACTIVATION,
                         1.0 - MIN_ACTIVATION)
    n_frames = activation.size
    periods = np.arange(int(np.ceil(60.0 * frame_rate / max_bpm)),
                        int(np.ceil(60.0 * frame_rate / min_bpm)) + 1)
    n_periods = periods.size
    widths = np.maximum(1, np.round(periods / observation_lambda).astype(int))
    pad = periods[-1]
    # Every frame is either a beat or an other frame, so scoring beat frames by their
    # log-likelihood ratio and other frames by 0 ranks paths as the full likelihood does.
    # Padding frames at both ends score 0 either way, so that a path may start and end
    # mid-beat without favouring beats that hang over the edges.
    n_entries = n_frames + 2 * pad
    radius = int(round(GATE_RADIUS_S * frame_rate))
    gate = np.minimum(maximum_filter1d(activation, 2 * radius + 1, mode="constant") / GATE_LEVEL,
                      1.0)
    log_ratio = np.zeros(n_entries)
    log_ratio[pad:pad + n_frames] = gate * (np.log(activation) + np.log(observation_lambda - 1)
                                            - np.log(1.0 - activation))
    cumulative = np.concatenate([[0.0], np.cumsum(log_ratio)])

    # cost[u, j]: log-likelihood ratio of a beat of period j starting at frame u (padded index)
    starts = np.arange(n_entries)[:, None]
    cost = cumulative[np.minimum(starts + widths[None, :], n_entries)] - cumulative[starts]
    if log_tempo_prior is not None:
        cost += (log_tempo_prior(periods / frame_rate) * periods / frame_rate)[None, :]

    # Transitions between periods within a band, as shifts of the period axis.
    max_shift = max(1, int(np.ceil(MAX_RELATIVE_PERIOD_CHANGE * periods[-1])))
    shifts = np.arange(-max_shift, max_shift + 1)
    # shift_cost[s, j]: cost of arriving at period j from period j - shifts[s]
    source = np.arange(n_periods)[None, :] - shifts[:, None]
    valid = (source >= 0) & (source < n_periods)
    source = np.clip(source, 0, n_periods - 1)
    relative = np.abs(periods[None, :] / periods[source] - 1.0)
    shift_cost = np.where(valid & (relative <= MAX_RELATIVE_PERIOD_CHANGE),
                          -transition_lambda * relative, -np.inf)

    score = np.full((n_entries, n_periods), -np.inf)
    back = np.zeros((n_entries, n_periods), dtype=np.int16)
    # Any period and phase may be current when the audio starts.
    score[:pad] = -np.log(n_periods)
    block = periods[0]
    period_index = np.arange(n_periods)
    for start in range(pad, n_entries, block):
        frames = np.arange(start, min(start + block, n_entries))
        previous = frames[:, None] - periods[None, :]
        arriving = score[previous, period_index] + cost[previous, period_index]  # (B, J)
        # (B, shifts, J): arriving at each period from each neighbouring one
        candidates = arriving[:, source] + shift_cost[None]
        best = np.argmax(candidates, axis=1)
        score[frames] = np.take_along_axis(candidates, best[:, None], axis=1)[:, 0]
        back[frames] = source[best, period_index[None, :]]

    # The path ends with a beat starting after the last frame, so all frames are counted.
    tail = score[pad + n_frames:]
    u, j = np.unravel_index(np.argmax(tail), tail.shape)
    u += pad + n_frames
    beat_frames = []
    while u >= pad:
        i = back[u, j]
        u -= periods[i]
        j = i
        beat_frames.append(u - pad + (widths[j] - 1) / 2.0)
    beat_frames = np.asarray(beat_frames[::-1])
    beat_frames = beat_frames[(beat_frames >= 0) & (beat_frames < n_frames)]
    return beat_frames / frame_rate
