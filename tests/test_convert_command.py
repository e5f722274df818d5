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


def test_convert_moves_the_bar_lines_it_is_told_to(groove_file, tmp_path):
    bar_times = {}
    for beats in ("0", "1"):
        result = _convert(str(groove_file[0]), "--track", "spectral", "--bgm", "original", "--title", "Bars",
                          "--move-bar-lines", beats, "--out", str(tmp_path / beats), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        archive = zipfile.ZipFile(tmp_path / beats / "Bars.zip")
        bar_times[beats] = np.array(parse_dtx(text=decode_dtx_bytes(archive.read("Bars/master.dtx"))).bar_times_s)
    later = bar_times["1"][bar_times["1"] > bar_times["0"][2]]
    beat_s = 0.5  # the groove's 120 BPM
    assert np.abs(later[:, None] - beat_s - bar_times["0"][None, :]).min(axis=1).max() < 0.01
