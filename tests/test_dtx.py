"""The DTX writer and reader: a chart written and read back plays every chip when meant."""

import zipfile

import numpy as np
import pytest

from processing.arrangement import TICKS_PER_BEAT, Chart, Note
from processing.dtx import ChipSounds, DtxHeader, write_dtx
from processing.dtx.format import decode_bar, encode_bar, encode_base36, safe_header_value
from processing.dtx.reader import parse_dtx
from processing.dtx.validator import validate_package
from processing.lanes import Lane
from processing.rhythm import TempoMap

SOUNDS = ChipSounds(bgm="bgm.ogg", lanes={lane: f"chips/{lane.value}.wav" for lane in Lane})
ROUND_TRIP_TOLERANCE_S = 0.001


def _chart(beat_times: np.ndarray, first_downbeat: int, notes: list[Note], **meter) -> Chart:
    return Chart(tempo_map=TempoMap(beat_times=beat_times, first_downbeat=first_downbeat, **meter), notes=notes,
                 quantisation_errors_s=np.zeros(len(notes)))


def _round_trip_errors(chart: Chart) -> np.ndarray:
    dtx = parse_dtx(text=write_dtx(chart=chart, header=DtxHeader(title="t"), sounds=SOUNDS))
    read = sorted(dtx.notes(), key=lambda item: (item[0], item[1].channel))
    expected = sorted(zip(chart.note_times(), [n.lane for n in chart.notes]), key=lambda i: (i[0], i[1].channel))
    assert [lane for _, lane in read] == [lane for _, lane in expected]
    return np.array([a for a, _ in read]) - np.array([e for e, _ in expected])


def test_constant_tempo_round_trip_with_pickup_and_triplets():
    beats = 0.37 + 0.5 * np.arange(40)
    notes = [Note(tick=t, lane=Lane.BASS_DRUM) for t in range(0, 38 * TICKS_PER_BEAT, TICKS_PER_BEAT)]
    notes += [Note(tick=t, lane=Lane.SNARE) for t in range(16, 30 * TICKS_PER_BEAT, 16)]  # triplets
    notes += [Note(tick=-12, lane=Lane.HIHAT_CLOSED)]  # a sixteenth before beat 0, in the pickup
    errors = _round_trip_errors(_chart(beats, first_downbeat=2, notes=notes))
    assert np.max(np.abs(errors)) < ROUND_TRIP_TOLERANCE_S


def test_changing_tempo_round_trip():
    periods = np.concatenate([np.full(16, 0.5), np.linspace(0.5, 0.4, 16), np.full(16, 0.4)])
    beats = 0.8 + np.concatenate([[0.0], np.cumsum(periods)])
    notes = [Note(tick=t, lane=Lane.HIHAT_CLOSED) for t in range(0, 47 * TICKS_PER_BEAT, 12)]
    errors = _round_trip_errors(_chart(beats, first_downbeat=1, notes=notes))
    assert np.max(np.abs(errors)) < ROUND_TRIP_TOLERANCE_S


def test_odd_bars_round_trip_and_the_meter_comes_back():
    beats = 0.2 + np.concatenate([[0.0], np.cumsum(np.concatenate([np.full(12, 0.5), np.linspace(0.5, 0.45, 30)]))])
    # bars of 4, 2 (with triplets: 2 beats divide 384 ticks exactly), 4, 3 (sixteenths only), then 4/4
    notes = [Note(tick=t, lane=Lane.BASS_DRUM) for t in range(0, 40 * TICKS_PER_BEAT, 12)]
    notes += [Note(tick=t, lane=Lane.SNARE) for t in range(5 * TICKS_PER_BEAT, 6 * TICKS_PER_BEAT, 16)]
    chart = _chart(beats, 1, notes, beats_per_bar=4, bar_lengths=(4, 2, 4, 3))
    text = write_dtx(chart=chart, header=DtxHeader(title="t"), sounds=SOUNDS)
    assert ": 0.5\r\n" in text and ": 0.75\r\n" in text, "odd bars carry their length on channel 02"
    errors = _round_trip_errors(chart)
    assert np.max(np.abs(errors)) < ROUND_TRIP_TOLERANCE_S
    bar_starts = parse_dtx(text=text).bar_times_s
    bar_lengths_s = np.diff(bar_starts)
    assert np.min(np.abs(bar_lengths_s - 1.0)) < 0.001, "a 2-beat bar at 120 BPM"
    assert np.min(np.abs(bar_lengths_s - 1.5)) < 0.01, "a 3-beat bar as the tempo starts to rise"


def test_file_format_rules():
    chart = _chart(0.5 * np.arange(1, 20), 0, [Note(tick=0, lane=Lane.SNARE), Note(tick=48, lane=Lane.CRASH)])
    text = write_dtx(chart=chart, header=DtxHeader(title="Rock; Roll\nPart 2", artist="Me"), sounds=SOUNDS)
    assert text.startswith("\ufeff")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    dtx = parse_dtx(text=text)
    assert dtx.headers["TITLE"] == "Rock, Roll Part 2"
    used = {chip.chip_id for chip in dtx.chips}
    assert used <= set(dtx.wavs), "every chip id used must be defined by a #WAV line"
    assert dtx.wavs[next(c.chip_id for c in dtx.chips if c.channel == "01")] == "bgm.ogg"


@pytest.mark.parametrize("number,text", [(1, "01"), (35, "0Z"), (36, "10"), (1295, "ZZ")])
def test_base36_chip_ids(number, text):
    assert encode_base36(number) == text


@pytest.mark.parametrize("bar,text", [(0, "000"), (99, "099"), (999, "999"), (1000, "A00"), (3599, "Z99")])
def test_bar_numbers(bar, text):
    assert encode_bar(bar) == text and decode_bar(text) == bar


def test_header_values_lose_semicolons_and_newlines():
    assert safe_header_value("a;b\r\nc") == "a,b c"


@pytest.mark.parametrize("level,dlevel,dlvdec", [(558, "55", "8"), (100, "10", "0"), (999, "99", "9")])
def test_the_level_is_written_in_the_form_both_dtxmanias_read(level, dlevel, dlvdec):
    chart = _chart(0.5 * np.arange(1, 20), 0, [Note(tick=0, lane=Lane.SNARE)])
    dtx = parse_dtx(text=write_dtx(chart=chart, header=DtxHeader(title="t", level=level), sounds=SOUNDS))
    assert (dtx.headers["DLEVEL"], dtx.headers["DLVDEC"]) == (dlevel, dlvdec), "under 100: the original's clamp"
    assert dtx.level == level


@pytest.mark.parametrize("headers,level", [
    ("#DLEVEL: 558", 558),  # DTXManiaNX's packed form
    ("#DLEVEL: 55\r\n#DLVDEC: 8", 558),
    ("#DLEVEL: 55", 550),  # the original's form: tenths only
    ("", 0),
])
def test_both_level_forms_are_read_back(headers, level):
    assert parse_dtx(text=f"#TITLE: t\r\n{headers}\r\n").level == level


@pytest.mark.parametrize("level_lines,clamped", [("#DLEVEL: 558", True), ("#DLEVEL: 55\r\n#DLVDEC: 8", False)])
def test_the_validator_refuses_a_level_the_original_dtxmania_clamps(tmp_path, level_lines, clamped):
    names = ("basic", "advanced", "extreme", "master")
    set_def = "".join(f"#L{i}LABEL: {name.upper()}\r\n#L{i}FILE: {name}.dtx\r\n" for i, name in enumerate(names, 1))
    package = tmp_path / "song.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("song/set.def", "\ufeff" + set_def)
        for i, name in enumerate(names):
            levels = level_lines if name == "master" else f"#DLEVEL: {10 + i}\r\n#DLVDEC: 0"
            archive.writestr(f"song/{name}.dtx", f"\ufeff#TITLE: t\r\n{levels}\r\n")
    problems = validate_package(path=package)
    assert any("clamped to 100 by the original DTXMania" in problem for problem in problems) == clamped
    assert not any("must rise" in problem or "outside" in problem for problem in problems)
