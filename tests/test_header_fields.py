"""What a chart's header holds beside the notes: title, artist, genre, the charter and a comment
in #COMMENT, and the user's meter and MASTER level; from the writer, the pipeline and the web."""

import re
import zipfile

import numpy as np
import pytest
from django.urls import reverse

from charts.models import ChartVersion
from processing.arrangement import TICKS_PER_BEAT, Chart, Note
from processing.dtx import ChipSounds, DtxHeader, write_dtx
from processing.dtx.reader import decode_dtx_bytes, parse_dtx
from processing.dtx.validator import validate_package
from processing.lanes import Lane
from processing.pipeline import header_comment, override_levels
from processing.rhythm import TempoMap, override_tempo_map
from tests.uploads import upload

SOUNDS = ChipSounds(bgm="bgm.ogg", lanes={Lane.SNARE: "chips/SD.wav"})
BEAT_S = 0.5  # the groove's 120 BPM
BAR_LENGTH_LINE = re.compile(r"#[0-9A-Z]\d\d02: (\S+)")


def _chart(tempo_map: TempoMap) -> Chart:
    notes = [Note(tick=tick, lane=Lane.SNARE) for tick in range(0, 24 * TICKS_PER_BEAT, TICKS_PER_BEAT)]
    return Chart(tempo_map=tempo_map, notes=notes, quantisation_errors_s=np.zeros(len(notes)))


def _header_lines(text: str) -> list[str]:
    """The lines before the first #WAV: the header."""
    return [line for line in text.split("#WAV")[0].split("\r\n") if line.startswith("#")]


def _every_beat(view: dict) -> np.ndarray:
    """Every beat (s) of a chart's lane view: its beat lines leave out those a bar line draws."""
    return np.sort(view["beats"] + view["bars"])


def _bar_lengths(text: str) -> list[str]:
    """The values of the channel-02 (bar length) lines, in order."""
    return [match.group(1) for line in text.split("\r\n") if (match := BAR_LENGTH_LINE.fullmatch(line))]


def test_header_fields_are_written_and_read_back():
    header = DtxHeader(title="Ballad", artist="Kim & the Sticks", genre="Rock", level=650, preview="preview.ogg",
                       comment=header_comment(charter="Kim", comment="Live take", track_name="adtof"))
    dtx = parse_dtx(text=write_dtx(chart=_chart(TempoMap(beat_times=BEAT_S * np.arange(30))), header=header,
                                   sounds=SOUNDS))
    assert dtx.headers["TITLE"] == "Ballad" and dtx.headers["ARTIST"] == "Kim & the Sticks"
    assert dtx.headers["GENRE"] == "Rock" and dtx.level == 650
    assert dtx.headers["COMMENT"] == "Charted by Kim. Live take (Audio2DTX track adtof)"


def test_header_values_stay_on_their_line_and_lose_semicolons():
    header = DtxHeader(title="Rock;\r\nRoll", genre="J-Pop\n#BPM: 999", comment="a;b\x07c\u2028d", artist=" \n ")
    text = write_dtx(chart=_chart(TempoMap(beat_times=BEAT_S * np.arange(30))), header=header, sounds=SOUNDS)
    lines = _header_lines(text)
    assert [line.split(":")[0] for line in lines] == ["#TITLE", "#GENRE", "#COMMENT", "#BPM", "#DLEVEL", "#DLVDEC"], \
        "one line a field, and a field left empty (blank artist) is left out"
    assert not any(";" in line for line in lines)
    dtx = parse_dtx(text=text)
    assert dtx.headers["TITLE"] == "Rock, Roll" and dtx.headers["GENRE"] == "J-Pop #BPM: 999"
    assert dtx.headers["COMMENT"] == "a,b c d", "control characters and line separators become spaces"
    assert dtx.bpms["00"] == pytest.approx(120.0), "a header value cannot set another header"


@pytest.mark.parametrize("charter,comment,expected", [
    ("", "", "Audio2DTX track spectral"),
    ("Kim", "", "Charted by Kim. (Audio2DTX track spectral)"),
    ("", "First take", "First take (Audio2DTX track spectral)"),
    ("J. Doe Jr.", "Fills by ear", "Charted by J. Doe Jr. Fills by ear (Audio2DTX track spectral)"),
])
def test_the_comment_credits_the_charter_and_keeps_the_track(charter, comment, expected):
    assert header_comment(charter=charter, comment=comment, track_name="spectral") == expected


@pytest.mark.parametrize("master,expected", [
    (650, [350, 450, 600, 650]),  # each keeps its distance below MASTER
    (990, [690, 790, 940, 990]),
    (200, [100, 133, 183, 200]),  # never under 1.00: the distances shrink, the levels still rise
])
def test_a_master_level_moves_the_others_with_it(master, expected):
    assert override_levels(levels=[400, 500, 650, 700], master_level=master) == expected


def test_a_master_level_outside_the_scale_is_refused():
    with pytest.raises(ValueError):
        override_levels(levels=[400, 500, 650, 700], master_level=1000)


@pytest.mark.parametrize("meter,beats", [("3/4", 3), ("6/8", 3), ("4/4", 4)])
def test_a_meter_alone_keeps_the_detected_beats_and_downbeat(meter, beats):
    periods = np.concatenate([np.full(20, 0.5), np.full(20, 0.45)])  # a tempo change the map keeps
    detected = TempoMap(beat_times=0.3 + np.concatenate([[0.0], np.cumsum(periods)]), first_downbeat=5,
                        beats_per_bar=4, bar_lengths=(4, 2, 4))
    overridden = override_tempo_map(tempo_map=detected, duration_s=20.0, meter=meter)
    np.testing.assert_array_equal(overridden.beat_times, detected.beat_times)
    assert (overridden.first_downbeat, overridden.beats_per_bar, overridden.bar_lengths) == (5, beats, ())


def test_six_eight_keeps_the_eighth_note_bars_the_tracker_found():
    detected = TempoMap(beat_times=0.1 + np.arange(60) / 3.0, first_downbeat=2, beats_per_bar=6)
    assert override_tempo_map(tempo_map=detected, duration_s=20.0, meter="6/8").beats_per_bar == 6
    assert override_tempo_map(tempo_map=detected, duration_s=20.0, meter="3/4").beats_per_bar == 3


def test_the_users_first_downbeat_still_applies_under_a_meter():
    detected = TempoMap(beat_times=0.3 + BEAT_S * np.arange(40), first_downbeat=0)
    overridden = override_tempo_map(tempo_map=detected, duration_s=20.0, first_downbeat_s=2.3, meter="3/4")
    bar_starts = overridden.beat_times[overridden.bar_starts(first_beat=overridden.first_downbeat, until_beat=30)]
    assert overridden.beats_per_bar == 3
    assert np.diff(bar_starts) == pytest.approx(3 * BEAT_S)
    assert np.isclose(bar_starts, 2.3).any(), "a bar starts on the user's downbeat"


def test_a_meter_that_is_not_offered_is_refused():
    with pytest.raises(ValueError, match="5/4"):
        override_tempo_map(tempo_map=TempoMap(beat_times=BEAT_S * np.arange(10)), duration_s=5.0, meter="5/4")


def test_bars_of_three_beats_are_written_as_three_quarter_bars():
    tempo_map = override_tempo_map(tempo_map=TempoMap(beat_times=BEAT_S * np.arange(1, 40)), duration_s=20.0,
                                   meter="6/8")
    text = write_dtx(chart=_chart(tempo_map), header=DtxHeader(title="t"), sounds=SOUNDS)
    assert _bar_lengths(text)[-1] == "0.75"
    bars = np.diff(parse_dtx(text=text).bar_times_s)
    assert bars[-6:] == pytest.approx(3 * BEAT_S, abs=1e-6), "the song's bars last three beats"


def _master(version: ChartVersion) -> tuple[str, list[int]]:
    """The text of the version's master.dtx, and every level of its package."""
    with version.package.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        folder = archive.namelist()[0].split("/")[0]
        levels = [parse_dtx(text=decode_dtx_bytes(archive.read(f"{folder}/{name}.dtx"))).level
                  for name in ("basic", "advanced", "extreme", "master")]
        return decode_dtx_bytes(archive.read(f"{folder}/master.dtx")), levels


@pytest.mark.django_db(transaction=True)
def test_the_songs_header_and_a_reruns_meter_and_level_reach_every_chart(logged_in_client, groove_file, run_worker,
                                                                          media_root):
    with open(groove_file[0], "rb") as handle:
        response = logged_in_client.post(reverse("song-upload"), {
            "upload": handle, "title": "Header Groove", "artist": "The Synths", "track": "spectral", "bgm": "original",
            "genre": "Synth;\nRock", "charter": "Kim", "comment": "Made  for\r\npractice",
        })
    assert response.status_code == 302
    first = ChartVersion.objects.get()
    song = first.song
    assert (song.genre, song.charter, song.comment) == ("Synth; Rock", "Kim", "Made for practice")
    rerun = logged_in_client.post(reverse("chart-version-rerun", args=[song.pk]),
                                  {"track": "spectral", "bgm": "original", "meter": "3/4", "level": "6.5"})
    assert rerun.status_code == 302
    second = ChartVersion.objects.latest("id")
    assert second.parameters["meter"] == "3/4" and second.parameters["level"] == 650

    worker = run_worker()
    assert worker.returncode == 0, worker.stderr
    # The third waits for a free place: two conversions at a time.
    rerun = logged_in_client.post(reverse("chart-version-rerun", args=[song.pk]),
                                  {"track": "spectral", "bgm": "original", "bar_shift_beats": "1"})
    assert rerun.status_code == 302
    third = ChartVersion.objects.latest("id")
    # Bar 1 on a beat of the first chart as its preview shows it (the preview's "bar 1 on the
    # beat just played" sends that time), not on one of its bar lines.
    first_view = logged_in_client.get(reverse("chart-version-chart-json", args=[first.pk]),
                                      {"difficulty": "MASTER"}).json()
    downbeat_s = next(beat for beat in first_view["beats"][4:]
                      if np.abs(np.array(first_view["bars"]) - beat).min() > 0.1)
    rerun = logged_in_client.post(reverse("chart-version-rerun", args=[song.pk]),
                                  {"track": "spectral", "bgm": "original", "first_downbeat_s": f"{downbeat_s:.3f}"})
    assert rerun.status_code == 302
    fourth = ChartVersion.objects.latest("id")
    worker = run_worker()
    assert worker.returncode == 0, worker.stderr
    for version in (first, second, third, fourth):
        version.refresh_from_db()
        assert version.status == ChartVersion.Status.DONE, version.error_message
        text, levels = _master(version)
        dtx = parse_dtx(text=text)
        assert dtx.headers["TITLE"] == "Header Groove" and dtx.headers["ARTIST"] == "The Synths"
        assert dtx.headers["GENRE"] == "Synth, Rock"
        assert dtx.headers["COMMENT"] == "Charted by Kim. Made for practice (Audio2DTX track spectral)"
    first_text, _ = _master(first)
    second_text, second_levels = _master(second)
    assert "0.75" not in _bar_lengths(first_text), "the groove's detected meter is 4/4"
    assert _bar_lengths(second_text)[-1] == "0.75"
    bars = np.diff(parse_dtx(text=second_text).bar_times_s)
    assert bars[-8:] == pytest.approx(3 * BEAT_S, abs=0.01), "bars of three beats at 120 BPM"
    assert second_levels[-1] == 650 and second.levels["MASTER"] == 650
    first_bars = np.array(parse_dtx(text=first_text).bar_times_s)
    third_bars = np.array(parse_dtx(text=_master(third)[0]).bar_times_s)
    later = third_bars[third_bars > first_bars[2]]
    assert np.abs(later[:, None] - BEAT_S - first_bars[None, :]).min(axis=1) == pytest.approx(0, abs=0.01), \
        "every bar line one beat later"
    fourth_view = logged_in_client.get(reverse("chart-version-chart-json", args=[fourth.pk]),
                                       {"difficulty": "MASTER"}).json()
    assert np.abs(np.array(fourth_view["bars"]) - downbeat_s).min() < 0.01, "a bar line on the chosen beat"
    np.testing.assert_allclose(_every_beat(fourth_view)[:20], _every_beat(first_view)[:20], atol=0.01,
                               err_msg="the same beats")
    package = media_root / "check.zip"
    with second.package.open("rb") as handle:
        package.write_bytes(handle.read())
    assert validate_package(path=package) == []

    page = logged_in_client.get(reverse("chart-version-detail", args=[second.pk])).content.decode()
    for shown in ('data-header="genre">Synth; Rock<', 'data-header="charter">Kim<',
                  'data-header="comment">Made for practice<', 'data-header="meter">3/4,',
                  'data-header="level">6.50,'):
        assert shown in page, shown
    assert "meter set to 3/4" in page  # the provenance's tempo map says what the user set
    first_page = logged_in_client.get(reverse("chart-version-detail", args=[first.pk])).content.decode()
    assert 'data-header="genre"' in first_page and 'data-header="meter"' not in first_page
    song_page = logged_in_client.get(reverse("song-detail", args=[song.pk])).content.decode()
    assert "3/4 set by you" in song_page and "MASTER 6.50 set by you" in song_page
    assert "bar lines moved 1 beat by you" in song_page
    assert "bar lines moved 1 beat later" in logged_in_client.get(
        reverse("chart-version-detail", args=[third.pk])).content.decode()


@pytest.mark.parametrize("beats,first_downbeat", [(2, 3), (-1, 0), (5, 2)])
def test_moved_bar_lines_keep_the_beats_and_the_odd_bar(beats, first_downbeat):
    periods = np.concatenate([np.full(10, 0.5), np.full(9, 0.45)])  # a tempo change the map keeps
    detected = TempoMap(beat_times=np.concatenate([[0.0], np.cumsum(periods)]), first_downbeat=1, bar_lengths=(4, 2))
    moved = override_tempo_map(tempo_map=detected, duration_s=10.0, bar_shift_beats=beats)
    np.testing.assert_array_equal(moved.beat_times, detected.beat_times)
    assert moved.first_downbeat == first_downbeat
    # The bars 1-5, 5-7 (the odd one), 7-11, ... each start `beats` later.
    shifted = detected.bar_starts(first_beat=1, until_beat=20) + beats
    moved_starts = moved.bar_starts(first_beat=first_downbeat, until_beat=20)
    assert set(moved_starts) >= set(shifted[(shifted >= first_downbeat) & (shifted < 20)])
    assert 2 in np.diff(moved_starts), "the odd two-beat bar moves with the others"


@pytest.mark.parametrize("off_the_beat_s", [0.0, 0.1, -0.1])
def test_a_first_downbeat_near_a_detected_beat_keeps_the_beats_and_the_odd_bar(off_the_beat_s):
    periods = np.concatenate([np.full(10, 0.5), np.full(9, 0.45)])  # a tempo change the map keeps
    detected = TempoMap(beat_times=np.concatenate([[0.0], np.cumsum(periods)]), first_downbeat=1, bar_lengths=(4, 2))
    corrected = override_tempo_map(tempo_map=detected, duration_s=10.0,
                                   first_downbeat_s=float(detected.beat_times[2]) + off_the_beat_s)
    np.testing.assert_array_equal(corrected.beat_times, detected.beat_times)
    # The bars 1-5, 5-7 (the odd one), 7-11, ... each start a beat later: one of them on beat 2.
    assert corrected.first_downbeat == 2
    assert list(corrected.bar_starts(first_beat=2, until_beat=16)) == [2, 6, 8, 12]


@pytest.mark.parametrize("first_beat_s,period_s,detected_downbeat,first_downbeat_s", [
    (2.0, BEAT_S, 0, 1.5),  # one beat before beat 0
    (0.39, 0.53, 3, 0.0),  # 0.74 beats before beat 0: not on the "and", for the beats there are extrapolated
])
def test_a_first_downbeat_before_the_first_detected_beat_goes_on_the_nearest_beat_counted_back(
        first_beat_s, period_s, detected_downbeat, first_downbeat_s):
    detected = TempoMap(beat_times=first_beat_s + period_s * np.arange(30), first_downbeat=detected_downbeat)
    corrected = override_tempo_map(tempo_map=detected, duration_s=20.0, first_downbeat_s=first_downbeat_s)
    np.testing.assert_array_equal(corrected.beat_times, detected.beat_times)
    assert corrected.first_downbeat == 3, "bar 1 starts one beat before beat 0: the next bar on beat 3"


def test_a_first_downbeat_between_the_detected_beats_moves_every_beat_and_keeps_the_tempo_change():
    periods = np.concatenate([np.full(10, 0.5), np.full(9, 0.4)])
    detected = TempoMap(beat_times=np.concatenate([[0.0], np.cumsum(periods)]), first_downbeat=0)
    corrected = override_tempo_map(tempo_map=detected, duration_s=10.0, first_downbeat_s=1.25)  # the "and" of beat 2
    np.testing.assert_allclose(corrected.beat_times[:9], 0.25 + 0.5 * np.arange(9))
    np.testing.assert_allclose(corrected.beat_times[11:], detected.beat_times[11:] + 0.2)
    assert corrected.beat_times[corrected.first_downbeat] == pytest.approx(1.25)
    assert corrected.first_downbeat == 2 and corrected.bar_starts(first_beat=2, until_beat=12).tolist() == [2, 6, 10]


def test_beats_moved_later_gain_the_beat_that_now_fits_before_the_first():
    detected = TempoMap(beat_times=0.4 + BEAT_S * np.arange(30), first_downbeat=0)
    corrected = override_tempo_map(tempo_map=detected, duration_s=20.0, first_downbeat_s=0.65)
    np.testing.assert_allclose(corrected.beat_times, 0.15 + BEAT_S * np.arange(31))
    assert corrected.first_downbeat == 1 and corrected.beat_times[1] == pytest.approx(0.65)
