"""Tempo maps: where the beats and bar lines of a song fall.

A tempo map is the list of beat times plus which beat starts the first bar; everything
that places a note on a grid (quantisation, the DTX writer, the preview) goes through it.
"""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np

from processing.errors import AudioError
from processing.rhythm import bar_tracking, drum_tempo, segments

BEATS_PER_BAR = 4
# Beats (quarter notes) in a bar of each meter a user may set. A 6/8 bar's six eighths are
# three quarter-note beats: the arrangement grid's eighths and sixteenths of a beat hold them
# exactly, so 6/8 is written like 3/4 (DTX has no time signature, only bar lengths).
METER_BEATS = {"4/4": 4, "3/4": 3, "6/8": 3}
# ... unless the tracker found 6/8 itself: it counts 6/8 in eighth notes (six beats a bar,
# processing.rhythm.bar_tracking.COMPOUND_METER), and a user confirming 6/8 keeps that.
EIGHTH_NOTE_METERS = {"6/8": 6}
ANALYSIS_HOP = 441  # 10 ms at 44.1 kHz
MIN_BEATS = 4
# Grid refinement fits onsets to sixteenth notes; onsets further than this fraction of a
# sixteenth from the grid are off-grid notes (flams, triplets) and are left out of the fit.
REFINE_INLIER_FRACTION = 0.25
REFINE_ITERATIONS = 4
MIN_BPM, MAX_BPM = 60.0, 200.0
# A tempo the user sets by hand (BPM): wider than the tracker's range, for songs it cannot count.
MIN_USER_BPM, MAX_USER_BPM = 30.0, 300.0
# How far past its ends the grid extends (beats): far beyond any song.
EXTRAPOLATION_BEATS = 1e6
# A tempo segment's constant-tempo grid keeps every tracked beat this close (s).
SEGMENT_ERROR_S = 0.010
# Bars tracked on the drums are a close call when the same bars moved some beats later score
# within this many nats of them (bar_tracking.rival_shift): the chart then offers that reading.
# Chosen on Groove's train renders (bench/tempo_map_errors.py, its margin column): 3.5 nats was
# the smallest margin of a right chart there, and the one wrong chart below it had 1.6.
# Validation, test and the development songs were held out (their figures: bench/RESULTS.md).
CLOSE_CALL_NATS = 3.0
# A first downbeat set by hand within this share of a beat of a detected beat puts a bar line on
# that beat and keeps the detected beats: the user names the "one", and a typed time is only so
# exact. Further off, between two detected beats, the user hears the beats on the "and": every
# beat moves half a beat later, which keeps the tempo changes. A quarter of a beat is half-way
# from a beat to its "and". Before the first detected beat or after the last, where the beats
# are extrapolated, the bar line goes on the nearest beat: one time there says nothing of the
# song's beats.
DOWNBEAT_ON_BEAT_SHARE = 0.25


@dataclass(frozen=True)
class TempoMap:
    """Beats of a song in audio time.

    beat_times: (n_beats,) seconds from the start of the audio, increasing; beat 0 is the
        first beat at or after 0 s.
    first_downbeat: index into beat_times of the first beat that starts a bar.
    beats_per_bar: the meter: beats in a bar.
    bar_lengths: beats in each bar from the first downbeat on, where some bars are not of
        the meter (an odd 2/4 bar, say); bars past the list have beats_per_bar beats.
    close_call_shift: where the bars are a close call (CLOSE_CALL_NATS), how many beats later
        the rival bar lines fall; 0 where the bars are clear or were set by the user.
    """

    beat_times: np.ndarray
    first_downbeat: int = 0
    beats_per_bar: int = BEATS_PER_BAR
    bar_lengths: tuple[int, ...] = ()
    close_call_shift: int = 0

    def beat_positions(self, times: np.ndarray) -> np.ndarray:
        """Fractional beat indices (beat 0 = beat_times[0]) of `times` in seconds.

        Between beats the position is linear in time; before the first and after the last
        beat the edge beat periods continue the grid.
        """
        indices, times_of_beats = self._extended_grid()
        return np.interp(np.asarray(times, dtype=float), times_of_beats, indices)

    def times_at(self, beat_positions: np.ndarray) -> np.ndarray:
        """Seconds at fractional beat indices: the inverse of `beat_positions`."""
        indices, times_of_beats = self._extended_grid()
        return np.interp(np.asarray(beat_positions, dtype=float), indices, times_of_beats)

    def _extended_grid(self) -> tuple[np.ndarray, np.ndarray]:
        """(beat indices, beat times) with one far beat added at each end along the edge
        periods, so that linear interpolation also extrapolates the grid."""
        beats = self.beat_times
        first_period, last_period = beats[1] - beats[0], beats[-1] - beats[-2]
        last = beats.size - 1
        indices = np.concatenate([[-EXTRAPOLATION_BEATS], np.arange(beats.size), [last + EXTRAPOLATION_BEATS]])
        times = np.concatenate([[beats[0] - EXTRAPOLATION_BEATS * first_period], beats,
                                [beats[-1] + EXTRAPOLATION_BEATS * last_period]])
        return indices.astype(float), times

    def bar_starts(self, *, first_beat: int, until_beat: int) -> np.ndarray:
        """Beat indices (beat 0 = beat_times[0]) where the bars covering beats
        [first_beat, until_beat) start, increasing: bars of the meter up to the first
        downbeat, then `bar_lengths`, then bars of the meter again."""
        meter, downbeat = self.beats_per_bar, self.first_downbeat
        starts = list(range(downbeat - meter * -(-(downbeat - first_beat) // meter), downbeat, meter))
        beat = downbeat
        for length in self.bar_lengths:
            starts.append(beat)
            beat += length
        starts.extend(range(beat, max(until_beat, beat + 1), meter))
        return np.array(starts, dtype=int)

    def bar_line_times(self) -> np.ndarray:
        """Seconds of every bar line that falls on one of beat_times, increasing."""
        n_beats = self.beat_times.size
        starts = self.bar_starts(first_beat=0, until_beat=n_beats)
        return self.beat_times[starts[(starts >= 0) & (starts < n_beats)]]

    def beat_bpms(self) -> np.ndarray:
        """(n_beats - 1,) tempo in BPM of each beat interval."""
        return 60.0 / np.diff(self.beat_times)

    @property
    def mean_bpm(self) -> float:
        return float(60.0 * (self.beat_times.size - 1) / (self.beat_times[-1] - self.beat_times[0]))


def drum_tempo_map(*, drum_activations: np.ndarray, spectrogram: np.ndarray) -> TempoMap:
    """A tempo map that follows the drums: beats and downbeats tracked on ADTOF's drum
    activations ((frames, 5) at 100 fps) and spectrogram ((frames, 84)), then made piecewise
    constant (every beat within SEGMENT_ERROR_S of its segment's grid) so that the chart
    changes tempo only where the song does.

    The meter is the song's usual bar length; bars the tracker finds shorter are kept.
    """
    beat_times, bars = drum_tempo.estimate_tempo_map(drum_activations=drum_activations, spectrogram=spectrogram)
    return tempo_map_from_bars(beat_times=beat_times, bars=bars)


def tempo_map_from_bars(*, beat_times: np.ndarray, bars: bar_tracking.Bars) -> TempoMap:
    """The tempo map of tracked beats ((n_beats,) s) and their bars (drum_tempo.estimate_tempo_map):
    the beats made piecewise constant, the meter the bars' usual length, and a close call where
    the bars' rival comes within CLOSE_CALL_NATS."""
    if beat_times.size < MIN_BEATS:
        raise AudioError("No steady beat was found: the song may be silent or have no drums. Check the file plays.")
    starts, times, periods = segments.tempo_segments(beat_times=beat_times, max_error_s=SEGMENT_ERROR_S)
    regular = segments.segment_beat_times(starts=starts, times=times, periods=periods, n_beats=beat_times.size)
    beats_per_bar = int(np.median(bars.lengths)) if len(bars.lengths) else BEATS_PER_BAR
    odd_bars = any(int(length) != beats_per_bar for length in bars.lengths)
    return TempoMap(beat_times=np.asarray(regular, dtype=float), first_downbeat=int(bars.first_downbeat),
                    beats_per_bar=beats_per_bar,
                    bar_lengths=tuple(int(length) for length in bars.lengths) if odd_bars else (),
                    close_call_shift=bars.rival_shift if bars.rival_margin_nats < CLOSE_CALL_NATS else 0)


def estimate_global_tempo_map(*, mono: np.ndarray, sample_rate: int, duration_s: float | None = None) -> TempoMap:
    """A constant-tempo map for `mono` ((n,) float32 at `sample_rate` Hz).

    librosa's beat tracker gives a tempo quantised to its frame rate; the period and phase
    are then refined by fitting the song's onsets to a sixteenth-note grid, so that the
    grid stays on the music to the end of the song.
    """
    duration_s = duration_s if duration_s is not None else mono.size / sample_rate
    envelope = librosa.onset.onset_strength(y=mono, sr=sample_rate, hop_length=ANALYSIS_HOP)
    _, beat_frames = librosa.beat.beat_track(
        onset_envelope=envelope, sr=sample_rate, hop_length=ANALYSIS_HOP, start_bpm=120.0, units="frames"
    )
    beat_times = librosa.frames_to_time(beat_frames, sr=sample_rate, hop_length=ANALYSIS_HOP)
    if beat_times.size < MIN_BEATS:
        raise AudioError("No steady beat was found: the song may be silent or too quiet. Check the file plays.")
    period, phase = _fit_line_to_beats(beat_times)
    onset_times = librosa.onset.onset_detect(
        onset_envelope=envelope, sr=sample_rate, hop_length=ANALYSIS_HOP, units="time"
    )
    period, phase = refine_grid(onset_times=onset_times, period_s=_fold_into_bpm_range(period), phase_s=phase)
    grid = constant_tempo_map(period_s=_fold_into_bpm_range(period), phase_s=phase, duration_s=duration_s)
    downbeat = _strongest_phase(envelope=envelope, beat_times=grid.beat_times, sample_rate=sample_rate)
    return TempoMap(beat_times=grid.beat_times, first_downbeat=downbeat)


def constant_tempo_map(*, period_s: float, phase_s: float, duration_s: float, first_downbeat: int = 0) -> TempoMap:
    """Beats every `period_s` seconds through `phase_s`, from the first at or after 0 s to
    one past `duration_s`."""
    first = phase_s - np.floor(phase_s / period_s) * period_s
    count = max(int(np.ceil((duration_s - first) / period_s)) + 1, 2)
    return TempoMap(beat_times=first + period_s * np.arange(count), first_downbeat=first_downbeat)


def refit_to_onsets(*, tempo_map: TempoMap, onset_times: np.ndarray, duration_s: float) -> TempoMap:
    """A constant-tempo map refitted to `onset_times` (s), e.g. the transcribed drum hits,
    which place the grid more precisely than the onset envelope's 10 ms frames.

    The downbeat stays on the same beat of the music.
    """
    period, phase = refine_grid(
        onset_times=onset_times, period_s=60.0 / tempo_map.mean_bpm, phase_s=float(tempo_map.beat_times[0])
    )
    refitted = constant_tempo_map(period_s=period, phase_s=phase, duration_s=duration_s)
    downbeat_time = tempo_map.beat_times[tempo_map.first_downbeat]
    nearest = int(np.argmin(np.abs(refitted.beat_times - downbeat_time)))
    meter = tempo_map.beats_per_bar
    return TempoMap(beat_times=refitted.beat_times, first_downbeat=nearest % meter, beats_per_bar=meter)


def override_tempo_map(
    *, tempo_map: TempoMap, duration_s: float, bpm: float | None = None, first_downbeat_s: float | None = None,
    meter: str | None = None, bar_shift_beats: int | None = None,
) -> TempoMap:
    """`tempo_map` with the user's corrections; whichever is not given comes from `tempo_map`.

    bpm, first_downbeat_s: a constant-tempo map at `bpm` with a bar starting at
        `first_downbeat_s` (seconds). A first downbeat without a tempo keeps the detected
        tempo changes instead (_bar_line_at): the bar lines move onto the nearest beat, or
        onto the beats moved half a beat later where it falls on the "and".
    meter: "4/4", "3/4" or "6/8" (METER_BEATS): every bar has that many beats (6/8 keeps six
        where the map already counts it in eighths, EIGHTH_NOTE_METERS). Given alone, it
        keeps the detected beats, their tempo changes and the first downbeat.
    bar_shift_beats: every bar line moved this many beats later (move_bar_lines), after the
        other corrections; the beats and their tempo changes stay.
    Raises ValueError for a meter not in METER_BEATS.
    """
    corrected = _override_beats_and_meter(tempo_map=tempo_map, duration_s=duration_s, bpm=bpm,
                                          first_downbeat_s=first_downbeat_s, meter=meter)
    return corrected if not bar_shift_beats else move_bar_lines(tempo_map=corrected, beats=bar_shift_beats)


def move_bar_lines(*, tempo_map: TempoMap, beats: int) -> TempoMap:
    """`tempo_map` with every bar line `beats` beats later (earlier where negative): the same
    beats, meter and bar lengths, the beats before the new first bar line a pickup."""
    n_beats = tempo_map.beat_times.size
    starts = tempo_map.bar_starts(first_beat=0, until_beat=n_beats) + beats
    starts = starts[starts >= 0]
    lengths = np.diff(starts)
    irregular = np.flatnonzero(lengths != tempo_map.beats_per_bar)
    return TempoMap(beat_times=tempo_map.beat_times, first_downbeat=int(starts[0]),
                    beats_per_bar=tempo_map.beats_per_bar,
                    bar_lengths=tuple(int(length) for length in lengths[:irregular[-1] + 1]) if irregular.size else ())


def _override_beats_and_meter(*, tempo_map: TempoMap, duration_s: float, bpm: float | None,
                              first_downbeat_s: float | None, meter: str | None) -> TempoMap:
    """override_tempo_map's corrections of the tempo, the first downbeat and the meter."""
    if meter is not None and meter not in METER_BEATS:
        raise ValueError(f"meter {meter!r} is not one of {', '.join(METER_BEATS)}")
    beats_per_bar = tempo_map.beats_per_bar
    if meter is not None:
        eighth_note_beats = EIGHTH_NOTE_METERS.get(meter)
        beats_per_bar = eighth_note_beats if tempo_map.beats_per_bar == eighth_note_beats else METER_BEATS[meter]
    if bpm is None:
        if meter is not None:
            # The tracker's odd bars go with its meter: the user says every bar is alike.
            tempo_map = TempoMap(beat_times=tempo_map.beat_times, first_downbeat=tempo_map.first_downbeat,
                                 beats_per_bar=beats_per_bar)
        return tempo_map if first_downbeat_s is None else _bar_line_at(tempo_map=tempo_map, time_s=first_downbeat_s)
    period = 60.0 / bpm
    downbeat_s = (float(tempo_map.beat_times[tempo_map.first_downbeat])
                  if first_downbeat_s is None else first_downbeat_s)
    grid = constant_tempo_map(period_s=period, phase_s=downbeat_s, duration_s=duration_s)
    nearest = int(np.argmin(np.abs(grid.beat_times - downbeat_s)))
    return TempoMap(beat_times=grid.beat_times, first_downbeat=nearest % beats_per_bar, beats_per_bar=beats_per_bar)


def _bar_line_at(*, tempo_map: TempoMap, time_s: float) -> TempoMap:
    """`tempo_map` with a bar line at the beat nearest `time_s` (seconds); where that lies
    between two detected beats, more than DOWNBEAT_ON_BEAT_SHARE from both, on the beats moved
    half a beat later (the "and" the user hears as the beat). Bar lengths and the tempo curve
    stay."""
    position = float(tempo_map.beat_positions(np.array([time_s]))[0])
    beat = int(round(position))
    between_beats = 0 < position < tempo_map.beat_times.size - 1
    if between_beats and abs(position - beat) > DOWNBEAT_ON_BEAT_SHARE:
        # Moved later, the beats may leave room for one more before the first: beat 0 stays
        # the first beat at or after 0 s.
        moved = tempo_map.times_at(np.arange(-1, tempo_map.beat_times.size) + 0.5)
        added = int(moved[0] >= 0.0)
        beat = int(np.floor(position)) + added
        tempo_map = TempoMap(beat_times=moved[1 - added:], first_downbeat=tempo_map.first_downbeat + added,
                             beats_per_bar=tempo_map.beats_per_bar, bar_lengths=tempo_map.bar_lengths)
    starts = tempo_map.bar_starts(first_beat=min(beat, 0), until_beat=max(beat + 1, 1))
    return move_bar_lines(tempo_map=tempo_map, beats=beat - int(starts[starts <= beat][-1]))


def refine_grid(*, onset_times: np.ndarray, period_s: float, phase_s: float) -> tuple[float, float]:
    """Least-squares period and phase (seconds) of a beat grid through `onset_times`.

    Each onset is assigned its nearest sixteenth note; onsets far from every sixteenth are
    ignored. Returns (period_s, phase_s) where beat k sits at phase_s + k * period_s.
    """
    onset_times = np.asarray(onset_times, dtype=float)
    for _ in range(REFINE_ITERATIONS):
        step = period_s / 4
        slots = np.round((onset_times - phase_s) / step)
        residuals = onset_times - (phase_s + slots * step)
        inliers = np.abs(residuals) < REFINE_INLIER_FRACTION * step
        if np.count_nonzero(inliers) < MIN_BEATS or np.ptp(slots[inliers]) < 4 * MIN_BEATS:
            break
        slope, intercept = np.polyfit(slots[inliers], onset_times[inliers], 1)
        period_s, phase_s = 4 * slope, intercept
    return float(period_s), float(phase_s)


def _fit_line_to_beats(beat_times: np.ndarray) -> tuple[float, float]:
    """Period and phase of the line through tracked beats, counting skipped beats."""
    median_period = float(np.median(np.diff(beat_times)))
    indices = np.round((beat_times - beat_times[0]) / median_period)
    slope, intercept = np.polyfit(indices, beat_times, 1)
    return float(slope), float(intercept)


def _fold_into_bpm_range(period_s: float) -> float:
    while 60.0 / period_s > MAX_BPM:
        period_s *= 2
    while 60.0 / period_s < MIN_BPM:
        period_s /= 2
    return period_s


def _strongest_phase(*, envelope: np.ndarray, beat_times: np.ndarray, sample_rate: int) -> int:
    """Index (0..3) of the beat phase whose beats carry the most onset strength.

    A stand-in for downbeat tracking: in most drum grooves the bar starts with the
    strongest accent.
    """
    frames = np.clip(librosa.time_to_frames(beat_times, sr=sample_rate, hop_length=ANALYSIS_HOP), 0, envelope.size - 1)
    strength = envelope[frames]
    totals = [strength[phase::BEATS_PER_BAR].mean() if strength[phase::BEATS_PER_BAR].size else 0.0
              for phase in range(BEATS_PER_BAR)]
    return int(np.argmax(totals))
