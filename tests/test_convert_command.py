"""`manage.py convert`: the same pipeline from the command line, without Redis."""

import subprocess
import sys
import zipfile
from pathlib import Path

import mir_eval
import numpy as np

from processing.dtx.reader import decode_dtx_bytes, parse_dtx
from processing.dtx.validator import validate_package
from processing.lanes import Lane

ROOT = Path(__file__).resolve().parents[1]


def _convert(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), "convert", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def test_convert_writes_a_package_dtxmania_accepts(groove_file, tmp_path):
    path, groove = groove_file
    result = _convert(str(path), "--track", "spectral", "--title", "CLI Groove", "--artist", "Me",
                      "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[ 10%] analysing" in result.stdout and "Wrote" in result.stdout
    assert validate_package(path=tmp_path / "out" / "CLI Groove.zip") == []
    archive = zipfile.ZipFile(tmp_path / "out" / "CLI Groove.zip")
    raw = archive.read("CLI Groove/master.dtx")
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    chart = parse_dtx(text=decode_dtx_bytes(raw))
    assert chart.headers["TITLE"] == "CLI Groove" and float(chart.bpms["00"]) > 0
    used_ids = {chip.chip_id for chip in chart.chips}
    assert used_ids <= set(chart.wavs), "every chip is defined by a #WAV line"
    for chip_id in used_ids:
        assert f"CLI Groove/{chart.wavs[chip_id]}" in archive.namelist(), "every #WAV file is in the package"
    bgm = [chip for chip in chart.chips if chip.channel == "01"]
    assert len(bgm) == 1 and chart.wavs[bgm[0].chip_id] == "bgm.ogg"
    assert min(time for time, _ in chart.notes()) >= 0.0, "no note before the song starts"
    assert chart.bgm_start_s >= 2.0, "a lead-in before the song"
    set_def = decode_dtx_bytes(archive.read("CLI Groove/set.def"))
    assert "#L4LABEL: MASTER\r\n#L4FILE: master.dtx" in set_def
    f_kick, _, _ = mir_eval.onset.f_measure(groove.hits[Lane.BASS_DRUM], np.array(chart.note_times(Lane.BASS_DRUM)),
                                            window=0.03)
    assert f_kick >= 0.9


def test_convert_refuses_non_audio_with_a_clear_message(tmp_path):
    bogus = tmp_path / "notes.mp3"
    bogus.write_text("not audio at all")
    result = _convert(str(bogus), cwd=tmp_path)
    assert result.returncode != 0
    assert "not audio we can read" in result.stderr
    assert list(tmp_path.glob("*.zip")) == []


def test_convert_refuses_an_unknown_track(groove_file, tmp_path):
    result = _convert(str(groove_file[0]), "--track", "nope", cwd=tmp_path)
    assert result.returncode != 0 and "Unknown track 'nope'" in result.stderr


def _bar_times(*flags: str, song: Path, out: Path) -> np.ndarray:
    """The bar lines (s) of the MASTER chart `convert` writes for `song` with `flags`."""
    result = _convert(str(song), "--track", "spectral", "--bgm", "original", "--title", "Bars", *flags,
                      "--out", str(out), cwd=out.parent)
    assert result.returncode == 0, result.stderr
    archive = zipfile.ZipFile(out / "Bars.zip")
    return np.array(parse_dtx(text=decode_dtx_bytes(archive.read("Bars/master.dtx"))).bar_times_s)


def test_convert_moves_the_bar_lines_and_the_beats_it_is_told_to(groove_file, tmp_path):
    detected = _bar_times(song=groove_file[0], out=tmp_path / "detected")
    beat_s = 0.5  # the groove's 120 BPM

    def offsets(moved):
        later = moved[moved > detected[2]]
        return (later[:, None] - detected[None, :])[np.arange(later.size), np.searchsorted(detected, later) - 1]

    moved = _bar_times("--move-bar-lines", "1", song=groove_file[0], out=tmp_path / "moved")
    np.testing.assert_allclose(offsets(moved), beat_s, atol=0.01)
    # A first downbeat on the "and" after bar 3's line: every beat, and every bar line, half a beat later.
    on_the_and = _bar_times("--first-downbeat", f"{detected[2] + beat_s / 2:.3f}", song=groove_file[0],
                            out=tmp_path / "and")
    np.testing.assert_allclose(offsets(on_the_and), beat_s / 2, atol=0.01)


def test_convert_refuses_a_tempo_or_a_first_downbeat_it_cannot_use(groove_file, tmp_path):
    slow = _convert(str(groove_file[0]), "--bpm", "20", cwd=tmp_path)
    assert slow.returncode != 0 and "from 30 to 300" in slow.stderr
    late = _convert(str(groove_file[0]), "--first-downbeat", "99", cwd=tmp_path)
    assert late.returncode != 0 and "past the song's end (20.0 s)" in late.stderr
    assert list(tmp_path.glob("*.zip")) == []
