"""Bar lines with known answers: a pickup, a one-drop reggae groove, 6/8, a long drumless
intro and a tempo change, from synthetic drum activations and spectrograms through the tempo
map, and for the last two through the written .dtx."""

import numpy as np
import pytest

from processing import rhythm
from processing.arrangement import arrange
from processing.dtx.reader import parse_dtx
from processing.dtx.writer import ChipSounds, DtxHeader, write_dtx
from processing.lanes import Lane
from processing.rhythm import bar_tracking
from processing.transcription import Hit

FPS = 100.0
BD, SD, TT, HH, CY = range(5)
ROCK_BAR = [(BD, HH), (SD, HH), (BD, HH), (SD, HH)]
# Pitch classes of a I-V-vi-IV progression in C, one chord a bar.
CHORDS = [(0, 4, 7), (7, 11, 2), (9, 0, 4), (5, 9, 0)]
SOUNDS = ChipSounds(bgm="bgm.ogg", lanes={lane: f"chips/{lane.value}.wav" for lane in Lane})
TOLERANCE_S = 0.010  # notes of the written chart against their hits
TRACKING_TOLERANCE_S = 0.011  # beats are tracked on 10 ms frames


def drum_activations(*, beat_times, n_frames, pattern, first_position=0, silent_before_s=0.0):
    """(n_frames, 5): the classes in pattern[(first_position + k) % len(pattern)] at beat k,
    nothing before silent_before_s."""
    activations = np.zeros((n_frames, 5))
    for k, time in enumerate(beat_times):
        if time < silent_before_s:
            continue
        frame = int(round(time * FPS))
        for drum in pattern[(first_position + k) % len(pattern)]:
            activations[max(frame - 1, 0):frame + 2, drum] = np.maximum(
                activations[max(frame - 1, 0):frame + 2, drum], [0.45, 0.9, 0.45][: min(3, n_frames - frame + 1)])
    return activations


def chord_spectrogram(*, bar_times, n_frames):
    """(n_frames, 84) log-filterbank-like spectrogram: a chord of CHORDS and its root in the
    bass register from each bar line to the next."""
    spectrogram = np.zeros((n_frames, 84))
    bands = np.arange(84)
    edges = [int(round(time * FPS)) for time in bar_times] + [n_frames]
    for index, (start, end) in enumerate(zip(edges[:-1], edges[1:])):
        chord = CHORDS[index % len(CHORDS)]
        chroma = bands[bar_tracking.CHROMA_BANDS][np.isin(bands[bar_tracking.CHROMA_BANDS] % 12, chord)]
        spectrogram[max(start, 0):end, chroma] = 1.0
        spectrogram[max(start, 0):end, 6 + chord[0] % 12] = 1.2  # the root, within BASS_BANDS
    return spectrogram


def assert_bar_lines(tempo_map, true_bar_lines):
    """Every bar line of `tempo_map` is within TRACKING_TOLERANCE_S of a true one, and every
    true one within the map's beats has one."""
    found = tempo_map.bar_line_times()
    true_bar_lines = np.asarray(true_bar_lines)
    covered = true_bar_lines[(true_bar_lines >= tempo_map.beat_times[0] - TRACKING_TOLERANCE_S)
                             & (true_bar_lines <= tempo_map.beat_times[-1] + TRACKING_TOLERANCE_S)]
    assert np.abs(found[:, None] - true_bar_lines[None, :]).min(axis=1).max() <= TRACKING_TOLERANCE_S
    assert np.abs(covered[:, None] - found[None, :]).min(axis=1).max() <= TRACKING_TOLERANCE_S


def test_pickup_bar_starts_the_bars_on_the_first_downbeat():
    beats = 0.3 + 0.5 * np.arange(66)
    n_frames = int(beats[-1] * FPS) + 60
    # The song starts on the third beat of a bar: beats 2, 6, 10, ... are downbeats.
    activations = drum_activations(beat_times=beats, n_frames=n_frames, pattern=ROCK_BAR, first_position=2)
    spectrogram = chord_spectrogram(bar_times=beats[2::4], n_frames=n_frames)
    tempo_map = rhythm.drum_tempo_map(drum_activations=activations, spectrogram=spectrogram)
    assert_bar_lines(tempo_map, beats[2] + 2.0 * np.arange(-1, 18))
    assert abs(tempo_map.beat_times[tempo_map.first_downbeat] - beats[2]) <= TRACKING_TOLERANCE_S


def test_one_drop_reggae_puts_the_bar_line_on_the_empty_first_beat():
    # One drop: nothing on the one; kick and snare together on the three; hi-hat off-beats
    # are left out so that only the drop and the chords tell where the bar starts.
    one_drop = [(HH,), (HH,), (BD, SD), (HH,)]
    beats = 0.2 + 0.8 * np.arange(48)  # 75 BPM
    n_frames = int(beats[-1] * FPS) + 100
    activations = drum_activations(beat_times=beats, n_frames=n_frames, pattern=one_drop)
    spectrogram = chord_spectrogram(bar_times=beats[::4], n_frames=n_frames)
    tempo_map = rhythm.drum_tempo_map(drum_activations=activations, spectrogram=spectrogram)
    assert tempo_map.beats_per_bar == 4
    assert_bar_lines(tempo_map, beats[0] + 3.2 * np.arange(13))


def test_six_eight_groove_gets_six_eighth_bars():
    # 6/8 at 60 dotted quarters a minute, tracked on its eighth notes (180 BPM): kick on the
    # first eighth, snare on the fourth, hi-hat on all six; the song starts two eighths early.
    six_eight = [(BD, HH), (HH,), (HH,), (SD, HH), (HH,), (HH,)]
    beats = 0.1 + np.arange(96) / 3.0
    n_frames = int(beats[-1] * FPS) + 60
    activations = drum_activations(beat_times=beats, n_frames=n_frames, pattern=six_eight, first_position=4)
    spectrogram = chord_spectrogram(bar_times=beats[2::6], n_frames=n_frames)
    tempo_map = rhythm.drum_tempo_map(drum_activations=activations, spectrogram=spectrogram)
    assert tempo_map.beats_per_bar == 6
    assert abs(tempo_map.beat_times[tempo_map.first_downbeat] - beats[2]) <= TRACKING_TOLERANCE_S
    assert_bar_lines(tempo_map, beats[2] + 2.0 * np.arange(-1, 17))


def _chart_round_trip(tempo_map, hit_times):
    hits = [Hit(time_s=float(time), lane=Lane.SNARE) for time in hit_times]
    text = write_dtx(chart=arrange(hits=hits, tempo_map=tempo_map), header=DtxHeader(title="t"), sounds=SOUNDS)
    return parse_dtx(text=text)


def test_thirty_second_drumless_intro_gets_bar_lines_from_the_start():
    beats = 0.35 + 0.5 * np.arange(130)  # 120 BPM; bars every 4 beats from 0.35 s
    n_frames = int(beats[-1] * FPS) + 60
    activations = drum_activations(beat_times=beats, n_frames=n_frames, pattern=ROCK_BAR, silent_before_s=30.0)
    spectrogram = chord_spectrogram(bar_times=beats[::4], n_frames=n_frames)
    tempo_map = rhythm.drum_tempo_map(drum_activations=activations, spectrogram=spectrogram)
    assert abs(tempo_map.beat_times[0] - beats[0]) <= TRACKING_TOLERANCE_S
    assert_bar_lines(tempo_map, beats[0] + 2.0 * np.arange(34))
    # Hits in the intro (a pickup fill on the sixteenths before the drums) and after it.
    hit_times = np.concatenate([29.6 + 0.125 * np.arange(3), beats[(beats > 30) & (beats < 40)]])
    dtx = _chart_round_trip(tempo_map, hit_times)
    assert np.abs(np.sort(dtx.note_times(Lane.SNARE)) - hit_times).max() <= TOLERANCE_S
    first_bar_line = min(time - dtx.bgm_start_s for time in dtx.bar_times_s if time > dtx.bgm_start_s)
    assert abs(first_bar_line - beats[0]) <= TRACKING_TOLERANCE_S


def test_an_intro_whose_band_is_slower_than_the_drums_gets_its_bar_lines_from_its_chords():
    """The band plays 30 s alone at 120 BPM and the drums come in 2 % faster, as a live band
    picks up when the drummer joins. The drums' tempo laid back over the intro would put its
    first bar line 0.6 s early; the intro's chords put every bar line and note in place. The
    tempo change at the drums' entry is one the chart's tempo segments smooth over, each
    beat within rhythm.SEGMENT_ERROR_S of its tracked time, so notes are held to the
    tracking tolerance here."""
    intro = 0.35 + 0.5 * np.arange(60)  # 0.35 s to 29.85 s
    drummed = intro[-1] + 0.5 + 0.49 * np.arange(70)
    beats = np.concatenate([intro, drummed])
    n_frames = int(beats[-1] * FPS) + 60
    activations = drum_activations(beat_times=drummed, n_frames=n_frames, pattern=ROCK_BAR)
    spectrogram = chord_spectrogram(bar_times=beats[::4], n_frames=n_frames)
    tempo_map = rhythm.drum_tempo_map(drum_activations=activations, spectrogram=spectrogram)
    assert abs(tempo_map.beat_times[0] - beats[0]) <= TRACKING_TOLERANCE_S
    assert_bar_lines(tempo_map, beats[::4])
    hit_times = np.concatenate([intro[-8:], drummed[:8]])
    dtx = _chart_round_trip(tempo_map, hit_times)
    assert np.abs(np.sort(dtx.note_times(Lane.SNARE)) - hit_times).max() <= TRACKING_TOLERANCE_S
    first_bar_line = min(time - dtx.bgm_start_s for time in dtx.bar_times_s if time > dtx.bgm_start_s)
    assert abs(first_bar_line - beats[0]) <= TRACKING_TOLERANCE_S


def _tempo_change_song() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(beat times (s), drum activations, spectrogram) of a rock groove at 120 BPM that moves
    to 130 from bar 16 (beat 60), a chord on every bar line."""
    periods = np.where(np.arange(120) < 60, 0.5, 0.4615)
    beats = 0.25 + np.concatenate([[0.0], np.cumsum(periods[:-1])])
    n_frames = int(beats[-1] * FPS) + 60
    return (beats, drum_activations(beat_times=beats, n_frames=n_frames, pattern=ROCK_BAR),
            chord_spectrogram(bar_times=beats[::4], n_frames=n_frames))


def test_tempo_change_mid_song_keeps_every_bar_line_and_note():
    beats, activations, spectrogram = _tempo_change_song()
    tempo_map = rhythm.drum_tempo_map(drum_activations=activations, spectrogram=spectrogram)
    tracked = tempo_map.beat_times[: beats.size]
    assert np.abs(tracked - beats[: tracked.size]).max() <= TRACKING_TOLERANCE_S
    assert_bar_lines(tempo_map, np.append(beats[::4], beats[-1] + 0.4615))
    dtx = _chart_round_trip(tempo_map, beats[1::2])
    assert [round(bpm) for _, bpm in dtx.tempo_changes][-1] == 130
    assert np.abs(np.sort(dtx.note_times(Lane.SNARE)) - beats[1::2]).max() <= TOLERANCE_S


@pytest.mark.parametrize("off_the_beat_s", [0.0, 0.25])
def test_a_first_downbeat_set_by_hand_keeps_the_tempo_change(off_the_beat_s):
    """Bar 1 set two beats after the tracked one (on the beat, or on its "and"): the chart keeps
    its change to 130 BPM, and every bar line moves to the user's."""
    beats, activations, spectrogram = _tempo_change_song()
    detected = rhythm.drum_tempo_map(drum_activations=activations, spectrogram=spectrogram)
    corrected = rhythm.override_tempo_map(tempo_map=detected, duration_s=len(activations) / FPS,
                                          first_downbeat_s=float(beats[2]) + off_the_beat_s)
    heard = beats + off_the_beat_s * np.where(np.arange(beats.size) < 60, 1.0, 0.4615 / 0.5)
    assert_bar_lines(corrected, heard[2::4])
    dtx = _chart_round_trip(corrected, beats[1::2])
    assert [round(bpm) for _, bpm in dtx.tempo_changes][-1] == 130
    assert np.abs(np.sort(dtx.note_times(Lane.SNARE)) - beats[1::2]).max() <= TOLERANCE_S


def test_a_chord_dying_away_after_the_band_stops_does_not_move_the_bar_lines():
    """After 48 beats of band, its last chord rings for 16 beats at 3 % of the band's level,
    its colour changing every four beats two beats after the bar line (as partials decay
    at different rates): cues that would put the tail's bar lines on beat 3 were they
    measured at full weight, and that count for nothing at that level."""
    beats = 0.3 + 0.5 * np.arange(64)
    n_frames = int(beats[-1] * FPS) + 60
    activations = drum_activations(beat_times=beats[:48], n_frames=n_frames, pattern=ROCK_BAR)
    spectrogram = chord_spectrogram(bar_times=beats[:48:4], n_frames=n_frames)
    ring = chord_spectrogram(bar_times=beats[46::4], n_frames=n_frames)
    tail = slice(int(round(beats[48] * FPS)), n_frames)
    spectrogram[tail] = np.log10(1.0 + 0.03 * (10.0 ** ring[tail] - 1.0))
    tempo_map = rhythm.drum_tempo_map(drum_activations=activations, spectrogram=spectrogram)
    assert abs(tempo_map.beat_times[0] - beats[0]) <= TRACKING_TOLERANCE_S
    # By beat, not time: the map's beats in the ring follow no drums.
    bar_line_beats = np.searchsorted(tempo_map.beat_times, tempo_map.bar_line_times())
    assert bar_line_beats.tolist() == list(range(0, tempo_map.beat_times.size, 4))


def test_the_cues_of_a_beat_count_by_its_level_up_to_a_quarter_of_the_songs():
    beats = 0.5 * np.arange(12)
    spectrogram = chord_spectrogram(bar_times=beats[::4], n_frames=int(beats[-1] * FPS) + 50)
    for k, share in ((8, 0.125), (9, 0.5), (10, 0.0)):  # shares of the median level
        frames = slice(int(beats[k] * FPS), int(beats[k] * FPS) + 50)
        spectrogram[frames] = np.log10(1.0 + share * (10.0 ** spectrogram[frames] - 1.0))
    gate = bar_tracking.cue_level_gate(beat_times=beats, spectrogram=spectrogram)
    assert gate.shape == (12,)
    expected = np.ones(12)
    expected[[8, 9, 10]] = [0.5, 1.0, 0.0]
    assert np.allclose(gate, expected)


def test_a_sixteen_second_drumless_break_keeps_every_bar_line():
    """The band alone for 32 beats mid-song at 120 BPM: the tracker, with nothing to follow,
    counted 31 there, and the break's bar lines moved."""
    beats = 0.3 + 0.5 * np.arange(96)
    n_frames = int(beats[-1] * FPS) + 60
    activations = drum_activations(beat_times=beats, n_frames=n_frames, pattern=ROCK_BAR)
    activations[int(beats[32] * FPS) - 5:int(beats[64] * FPS) - 5] = 0.0
    spectrogram = chord_spectrogram(bar_times=beats[::4], n_frames=n_frames)
    tempo_map = rhythm.drum_tempo_map(drum_activations=activations, spectrogram=spectrogram)
    assert np.abs(tempo_map.beat_times[:96] - beats).max() <= TRACKING_TOLERANCE_S
    assert_bar_lines(tempo_map, beats[0] + 2.0 * np.arange(25))


def test_bars_the_drums_barely_place_are_a_close_call_that_chords_settle():
    # Kick on 1 and 3, snare on 2 and 4: the drums alone hardly tell the "one" from the "three".
    beats = 0.3 + 0.5 * np.arange(66)
    n_frames = int(beats[-1] * FPS) + 60
    activations = drum_activations(beat_times=beats, n_frames=n_frames, pattern=ROCK_BAR)
    drums_only = rhythm.drum_tempo_map(drum_activations=activations, spectrogram=np.zeros((n_frames, 84)))
    assert drums_only.close_call_shift == 2
    with_chords = rhythm.drum_tempo_map(drum_activations=activations,
                                        spectrogram=chord_spectrogram(bar_times=beats[::4], n_frames=n_frames))
    assert with_chords.close_call_shift == 0
    assert_bar_lines(with_chords, beats[::4])
    rival = rhythm.override_tempo_map(tempo_map=drums_only, duration_s=n_frames / FPS,
                                      bar_shift_beats=drums_only.close_call_shift)
    np.testing.assert_array_equal(rival.beat_times, drums_only.beat_times)
    assert_bar_lines(rival, drums_only.bar_line_times() + 2 * 0.5)
    assert rival.close_call_shift == 0, "bars the user chose are no close call"


def test_the_rival_of_decoded_bars_is_the_best_other_shift_and_its_margin():
    # Eight beats of a 4/4 song: each beat's own position scores 1, the position two beats
    # away 0.5, the others 0.
    positions = np.arange(8) % 4
    log_likelihood = np.zeros((8, 4))
    log_likelihood[np.arange(8), positions] = 1.0
    log_likelihood[np.arange(8), (positions - 2) % 4] = 0.5
    assert bar_tracking.rival_shift(log_likelihood=log_likelihood, positions=positions) == (2, pytest.approx(4.0))
