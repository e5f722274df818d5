"""Every hit carries the track's confidence: in [0, 1], lower for a weak hit than a clear one,
carried onto the chart's notes and, lane by lane, onto the notes the .dtx holds."""

import numpy as np
import pytest

from processing.arrangement import Note, arrange
from processing.audio import DecodedAudio
from processing.chart_view import UNCERTAIN_BELOW, chart_view_data, lane_confidences, lane_uncertainty
from processing.dtx import DtxHeader, write_dtx
from processing.dtx.reader import parse_dtx
from processing.lanes import Lane
from processing.package import chip_sounds
from processing.rhythm import TempoMap
from processing.transcription import Hit, get_track
from processing.transcription.adtof import lanes, peaks
from tests.audio_fixtures import SAMPLE_RATE, one_shot
from tests.conftest import SHARED_MODELS

TOLERANCE_S = 0.03
LOUD_GAIN = 0.8
# Weak enough that each track's evidence is near its threshold, loud enough that it still hears them.
SOFT_GAIN = {"adtof": 0.1, "spectral": 0.5}


def _alternating_snares(*, soft_gain: float) -> tuple[DecodedAudio, np.ndarray, np.ndarray]:
    """Six loud snares alternating with six soft ones, every 0.5 s: (audio, loud times, soft times)."""
    mix = np.zeros(SAMPLE_RATE * 8, dtype=np.float32)
    times = 0.5 + 0.5 * np.arange(12)
    for index, time in enumerate(times):
        sound = one_shot(Lane.SNARE) * (LOUD_GAIN if index % 2 == 0 else soft_gain)
        start = int(round(time * SAMPLE_RATE))
        mix[start:start + sound.size] += sound[: mix.size - start]
    return DecodedAudio(samples=np.stack([mix, mix]), sample_rate=SAMPLE_RATE), times[::2], times[1::2]


def _confidences_at(hits: list[Hit], times: np.ndarray) -> list[float]:
    snares = [hit for hit in hits if hit.lane == Lane.SNARE]
    found = []
    for time in times:
        near = [hit.confidence for hit in snares if abs(hit.time_s - time) < TOLERANCE_S]
        found.extend(near[:1])
    return found


@pytest.mark.parametrize("track", ["adtof", "spectral"])
def test_a_weak_hit_gets_less_confidence_than_a_clear_one(track):
    audio, loud_times, soft_times = _alternating_snares(soft_gain=SOFT_GAIN[track])
    hits = get_track(track).run(audio=audio, model_dir=SHARED_MODELS)
    assert all(0.0 <= hit.confidence <= 1.0 for hit in hits)
    loud, soft = _confidences_at(hits, loud_times), _confidences_at(hits, soft_times)
    assert len(loud) == len(loud_times) and len(soft) >= len(soft_times) // 2, (loud, soft)
    assert min(loud) >= UNCERTAIN_BELOW, loud
    assert np.median(soft) < UNCERTAIN_BELOW < np.median(loud), (soft, loud)


def test_peak_confidence_grows_with_the_margin_over_the_threshold():
    activation = np.zeros(400, dtype=np.float32)
    activation[[50, 150, 250]] = [0.25, 0.4, 0.95]  # at, a little over and far over the threshold 0.22
    frames = peaks.pick_frames(activation=activation, threshold=0.22)
    assert list(frames) == [50, 150, 250]
    (confidence,) = peaks.onset_confidences(activations=activation[:, None], onsets=[frames / peaks.FRAME_RATE],
                                            thresholds=(0.22,))
    assert 0.0 <= confidence[0] < confidence[1] < confidence[2] == 1.0


def test_lane_confidence_is_lowest_at_a_rules_boundary():
    at_boundary, far = lanes.HIHAT_OPEN_DECAY_DB, lanes.HIHAT_OPEN_DECAY_DB - 2 * lanes.HIHAT_SURE_DB
    assert list(lanes.hihat_confidence(decay_db=[at_boundary, at_boundary + 1.0, far])) == [0.0, 0.25, 1.0]
    pitches = np.array([100.0, 101.0, 99.0, 200.0, 205.0, 198.0, 140.0])  # 140 Hz sits between the two toms
    tom_lanes = lanes.tom_lanes(pitches=pitches)
    confidence = lanes.tom_confidence(pitches=pitches, lanes=tom_lanes)
    assert set(tom_lanes) == {"HT", "FT"}
    assert confidence[-1] < 0.5 and min(confidence[:-1]) == 1.0


def test_notes_keep_the_louder_velocity_and_the_surer_confidence_and_equal_without_it():
    tempo_map = TempoMap(beat_times=np.arange(0.0, 10.0, 0.5), first_downbeat=0)
    hits = [Hit(1.0, Lane.SNARE, 0.4, 0.9), Hit(1.004, Lane.SNARE, 0.8, 0.3), Hit(2.0, Lane.BASS_DRUM, 1.0, 0.7)]
    chart = arrange(hits=hits, tempo_map=tempo_map)
    assert [(note.lane, note.velocity, note.confidence) for note in chart.notes] == [
        (Lane.SNARE, 0.8, 0.9), (Lane.BASS_DRUM, 1.0, 0.7)]
    note = chart.notes[0]
    assert note == Note(tick=note.tick, lane=Lane.SNARE, velocity=0.8) and {note: 1}[Note(note.tick, Lane.SNARE, 0.8)]


def test_the_views_notes_carry_the_stored_confidences_lane_by_lane():
    tempo_map = TempoMap(beat_times=np.arange(0.0, 20.0, 0.5), first_downbeat=0)
    hits = [Hit(0.5 * i, Lane.SNARE if i % 2 else Lane.BASS_DRUM, 1.0, i / 20) for i in range(1, 20)]
    chart = arrange(hits=hits, tempo_map=tempo_map)
    dtx = parse_dtx(text=write_dtx(chart=chart, header=DtxHeader(title="T", level=100), sounds=chip_sounds()))
    stored = lane_confidences(notes=chart.notes)

    data = chart_view_data(dtx=dtx, label="MASTER", level=100, confidences=stored)
    by_time = {round(hit.time_s, 1): round(hit.confidence, 2) for hit in hits}
    assert [confidence for _, _, _, confidence in data["notes"]] == [by_time[round(t, 1)] for t, *_ in data["notes"]]
    assert data["uncertain_below"] == UNCERTAIN_BELOW

    old = chart_view_data(dtx=dtx, label="MASTER", level=100)  # a package without confidences
    assert len(old["notes"]) == len(data["notes"]) and {note[3] for note in old["notes"]} == {None}
    short = chart_view_data(dtx=dtx, label="MASTER", level=100, confidences={**stored, "SD": stored["SD"][:-1]})
    assert {note[3] for note in short["notes"] if note[2] == "SD"} == {None}, "a count that differs is not trusted"

    shares = {row.lane: (row.uncertain, row.notes) for row in lane_uncertainty(confidences=stored)}
    assert shares == {lane: (sum(c < UNCERTAIN_BELOW for c in stored[lane.value]), len(stored[lane.value]))
                      for lane in (Lane.SNARE, Lane.BASS_DRUM)}
