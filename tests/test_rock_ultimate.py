"""The `rock-ultimate` track: double bass on two pedals, accent cymbals on the left, and its flag."""

from processing.lanes import Lane
from processing.transcription.adtof import rock_ultimate
from processing.transcription.base import Hit
from tests.cli import convert_master_chart


def _lanes(hits):
    return [hit.lane for hit in sorted(hits)]


def test_a_fast_kick_run_alternates_feet_right_first_and_slow_kicks_stay_right():
    sixteenths = [Hit(1.0 + 0.1 * k, Lane.BASS_DRUM) for k in range(6)]  # 150 BPM sixteenths
    quarters = [Hit(3.0 + 0.4 * k, Lane.BASS_DRUM) for k in range(4)]
    doubled = [Hit(6.0, Lane.BASS_DRUM), Hit(6.1, Lane.BASS_DRUM)]  # one foot's flick
    snare = [Hit(1.05, Lane.SNARE)]
    lanes = _lanes(rock_ultimate.split_double_bass(hits=sixteenths + quarters + doubled + snare))
    kicks = [lane for lane in lanes if lane != Lane.SNARE]
    assert kicks[:6] == [Lane.BASS_DRUM, Lane.LEFT_BASS_DRUM] * 3
    assert kicks[6:] == [Lane.BASS_DRUM] * 6
    assert Lane.SNARE in lanes


def test_a_lone_ride_is_an_accent_cymbal_and_a_ride_keeping_time_stays():
    pattern = [Hit(10.0 + 0.25 * k, Lane.RIDE) for k in range(16)]
    accent = [Hit(2.0, Lane.RIDE)]
    moved = rock_ultimate.accents_to_left_cymbal(hits=pattern + accent)
    assert _lanes(moved) == [Lane.LEFT_CRASH] + [Lane.RIDE] * 16


def test_use_rock_ultimate_converts_the_test_song(groove_file, tmp_path):
    path, groove = groove_file
    chart = convert_master_chart(path, "--use-rock-ultimate", title="Rock", out=tmp_path)
    assert "rock-ultimate" in chart.headers["COMMENT"]
    assert len(chart.note_times(Lane.BASS_DRUM)) >= 0.9 * len(groove.hits[Lane.BASS_DRUM])
    assert chart.note_times(Lane.LEFT_BASS_DRUM) == [], "a 120 BPM rock groove has no double bass"
