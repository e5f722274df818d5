"""The `advanced-features` track: its fitted tom, cymbal and hi-hat models, their file, and its
command-line flag."""

import shutil

import numpy as np
import pytest

from processing.lanes import Lane
from processing.transcription.adtof import hit_model, lanes
from processing.weights import MissingWeightsError
from tests.cli import convert_master_chart

FPS = 100
TOM_LANES = (Lane.HIGH_TOM, Lane.LOW_TOM, Lane.FLOOR_TOM)


def _activations(*, seconds, snare_times, tom_times, tom_bleed):
    """(frames, 5): snare hits that make the tom class twitch by `tom_bleed`, and real tom hits."""
    activations = np.zeros((seconds * FPS, 5))
    for time in snare_times:
        frame = round(time * FPS)
        activations[frame, hit_model.SD] = 0.9
        activations[frame, hit_model.TT] = tom_bleed
    for time in tom_times:
        activations[round(time * FPS), hit_model.TT] = 0.9
    return activations


def test_the_model_keeps_a_fill_and_drops_toms_the_snare_set_off():
    model = hit_model.load_hit_models().real_tom
    snares = np.arange(0.5, 60, 1.0)
    fill = np.arange(40.0625, 41.0, 0.125)  # between the snares
    activations = _activations(seconds=62, snare_times=snares, tom_times=fill, tom_bleed=0.4)
    onsets = np.sort(np.concatenate([snares, fill]))
    keep, confidence = model.decide(hit_model.tom_features(activations=activations, onsets=onsets))
    assert keep[np.isin(onsets, fill)].all(), "every stroke of the fill stays"
    assert not keep[np.isin(onsets, snares)].any(), "no snare becomes a tom"
    assert ((confidence >= 0) & (confidence <= 1)).all()


def test_the_model_loads_from_its_file_and_a_missing_file_says_so(tmp_path):
    copy = tmp_path / "hit_model.json"
    shutil.copy(hit_model.MODEL_FILE, copy)
    assert hit_model.load_hit_models(copy).ride.features == hit_model.CYMBAL_FEATURES
    with pytest.raises(MissingWeightsError, match="hit_model.json.*missing or damaged"):
        hit_model.load_hit_models(tmp_path / "gone" / "hit_model.json")
    copy.write_text("{not json")
    with pytest.raises(MissingWeightsError, match="missing or damaged"):
        hit_model.load_hit_models(copy)


def test_use_advanced_features_converts_the_test_song(groove_file, tmp_path):
    path, groove = groove_file
    chart = convert_master_chart(path, "--use-advanced-features", title="Flag", out=tmp_path)
    assert "advanced-features" in chart.headers["COMMENT"]
    kicks = np.array(chart.note_times(Lane.BASS_DRUM))
    assert len(kicks) and np.abs(kicks[:, None] - groove.hits[Lane.BASS_DRUM][None, :]).min(axis=1).max() < 0.03
    assert not any(chart.note_times(lane) for lane in TOM_LANES), "the groove has no toms, and the chart none"
    closed, opened = chart.note_times(Lane.HIHAT_CLOSED), np.array(chart.note_times(Lane.HIHAT_OPEN))
    # The groove's hi-hat is closed throughout; only where a crash rings over a hi-hat stroke
    # does the hi-hat band ring as if it were open.
    crashes = groove.hits[Lane.CRASH]
    assert len(closed) > 10 * len(opened)
    assert all(np.abs(crashes - time).min() < 0.03 for time in opened), "no open note away from a crash"


def _cymbal_envelope(*, seconds, hits):
    """(frames,) cymbal band level (dB): -60 dB floor, each (time, drop_db) hit peaking at 0 dB
    and falling linearly by drop_db over 100 ms, then on at that slope."""
    envelope = np.full(seconds * FPS, -60.0)
    for time, drop_db in hits:
        start = round(time * FPS)
        frames = np.arange(start, min(start + 100, len(envelope)))
        envelope[frames] = np.maximum(envelope[frames], -drop_db * (frames - start) / 10.0)
    return envelope


def test_the_model_tells_a_ride_keeping_time_from_crashes_on_bar_lines():
    model = hit_model.load_hit_models().ride
    rides = np.arange(10.0, 50.0, 0.25)  # eighth notes at 120 BPM, each pinging away
    crashes = np.array([2.0, 6.0, 54.0, 58.0])  # alone on bar lines, ringing
    envelope = _cymbal_envelope(seconds=62, hits=[(t, 8.0) for t in rides] + [(t, 0.5) for t in crashes])
    activations = np.zeros((62 * FPS, 5))
    onsets = np.sort(np.concatenate([rides, crashes]))
    activations[np.round(onsets * FPS).astype(int), hit_model.CY] = 0.8
    is_ride, confidence = model.decide(hit_model.cymbal_features(envelope_db=envelope, activations=activations,
                                                                 onsets=onsets))
    assert is_ride[np.isin(onsets, rides)].all()
    assert not is_ride[np.isin(onsets, crashes)].any()
    assert ((confidence >= 0) & (confidence <= 1)).all()


def _hihat_envelope(*, seconds, hits):
    """(frames,) hi-hat band level (dB): -60 dB floor; each (time, ring) hit peaks at 0 dB and
    falls 3 dB over its first 100 ms, then -2.7 dB a frame (a loose closed hi-hat, ring
    "closed") or -0.15 dB a frame (an open one, ring "open"), until the next hit chokes it."""
    envelope = np.full(seconds * FPS, -60.0)
    starts = [round(time * FPS) for time, _ in hits] + [len(envelope)]
    for (time, ring), start, end in zip(hits, starts, starts[1:]):
        frames = np.arange(end - start)
        slope = {"closed": 2.7, "open": 0.15}[ring]
        envelope[start:end] = np.maximum(-0.3 * np.minimum(frames, 10) - slope * np.maximum(frames - 10, 0), -60.0)
    return envelope


def test_the_model_hears_a_loose_closed_hihat_as_closed_where_the_decay_rule_hears_it_open():
    """Both kinds fall only 3 dB in their first 100 ms, so the rule calls every hit open; by
    250 ms the closed ones have fallen away and the open ones ring on."""
    model = hit_model.load_hit_models().open_hihat
    times = np.arange(1.0, 41.0, 0.3)
    rings = ["open" if index % 4 == 3 else "closed" for index in range(len(times))]
    envelope = _hihat_envelope(seconds=42, hits=list(zip(times, rings)))
    signals = lanes.HihatSignals(envelope_db=envelope, tilt_db=np.zeros_like(envelope), all_onsets=times,
                                 cymbal_onsets=np.zeros(0))
    is_open, confidence = model.decide(hit_model.hihat_features(signals=signals, onsets=times))
    assert lanes.hihat_by_decay(signals=signals, onsets=times)[0].all(), "the rule is fooled by every hit"
    assert list(is_open) == [ring == "open" for ring in rings]
    assert ((confidence >= 0) & (confidence <= 1)).all()


def test_a_model_file_without_the_hihat_model_is_refused(tmp_path):
    copy = tmp_path / "hit_model.json"
    copy.write_text(hit_model.MODEL_FILE.read_text().replace('"open_hihat"', '"hihat_of_another_fit"'))
    with pytest.raises(MissingWeightsError, match="missing or damaged"):
        hit_model.load_hit_models(copy)
