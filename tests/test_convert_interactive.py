"""`manage.py convert --interactive` asks for the header and options, each with a default;
`--batch` (the default) takes the same from flags. Both write what was chosen into the package."""

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from processing.dtx.reader import decode_dtx_bytes, parse_dtx
from processing.dtx.validator import validate_package
from processing.pipeline import default_options

BEAT_S = 0.5  # the groove's 120 BPM
BAR_LENGTH_LINE = re.compile(r"#[0-9A-Z]\d\d02: (\S+)")
DIFFICULTIES = ("basic", "advanced", "extreme", "master")


def _run(*args: str, answers: str = "") -> tuple[str, str]:
    """(stdout, stderr) of `convert` run here, `answers` typed into its questions."""
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("convert", *args, stdin=io.StringIO(answers), stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def _charts(package: Path) -> dict[str, str]:
    """The text of each difficulty's .dtx in `package`, by file name."""
    with zipfile.ZipFile(package) as archive:
        folder = archive.namelist()[0].split("/")[0]
        return {name: decode_dtx_bytes(archive.read(f"{folder}/{name}.dtx")) for name in DIFFICULTIES}


def _bar_lengths(text: str) -> list[str]:
    return [match.group(1) for line in text.split("\r\n") if (match := BAR_LENGTH_LINE.fullmatch(line))]


def test_interactive_answers_and_defaults_reach_the_header(groove_file, tmp_path):
    answers = "\n".join([
        "",  # title: the file's name
        "",  # artist: none in the file's tags
        "Kim",  # charter
        "Rock",  # genre
        "Live; take",  # comment
        "Original",  # backing track: answers are not case-sensitive
        "5/4",  # a meter not offered: asked again
        "3/4",
        "",  # level: detected
    ]) + "\n"
    stdout, stderr = _run(str(groove_file[0]), "--interactive", "--track", "spectral", "--out", str(tmp_path),
                          answers=answers)
    assert "Title [groove]:" in stdout and "Charted by" in stdout
    assert f"[{default_options(model_dir=settings.A2D_MODEL_DIR).bgm}]:" in stdout, "the backing track's default"
    assert stdout.count("Meter (4/4, 3/4, 6/8 or detected) [detected]:") == 2, "the meter is asked again"
    assert "The meter is 4/4, 3/4, 6/8, or detected. Try again." in stderr
    assert validate_package(path=tmp_path / "groove.zip") == []
    master = _charts(tmp_path / "groove.zip")["master"]
    dtx = parse_dtx(text=master)
    assert dtx.headers["TITLE"] == "groove" and "ARTIST" not in dtx.headers
    assert dtx.headers["GENRE"] == "Rock"
    assert dtx.headers["COMMENT"] == "Charted by Kim. Live, take (Audio2DTX track spectral)"
    assert _bar_lengths(master)[-1] == "0.75", "the 3/4 answered after the refused 5/4"
    assert np.diff(dtx.bar_times_s)[-8:] == pytest.approx(3 * BEAT_S, abs=0.01)


def test_batch_flags_set_the_header_meter_and_master_level(groove_file, tmp_path):
    _run(str(groove_file[0]), "--batch", "--track", "spectral", "--out", str(tmp_path), "--title", "Flag Groove",
         "--charter", "Lee", "--genre", "Funk", "--comment", "Second take", "--meter", "3/4", "--level", "6.5")
    package = tmp_path / "Flag Groove.zip"
    assert validate_package(path=package) == []
    charts = {name: parse_dtx(text=text) for name, text in _charts(package).items()}
    levels = [charts[name].level for name in DIFFICULTIES]
    assert levels[-1] == 650 and all(100 <= level < 650 for level in levels[:-1])
    master = charts["master"]
    assert master.headers["GENRE"] == "Funk"
    assert master.headers["COMMENT"] == "Charted by Lee. Second take (Audio2DTX track spectral)"
    assert np.diff(master.bar_times_s)[-8:] == pytest.approx(3 * BEAT_S, abs=0.01), "bars of three beats"


def test_interactive_and_batch_exclude_each_other(groove_file):
    with pytest.raises(CommandError, match="not allowed with"):
        _run(str(groove_file[0]), "--interactive", "--batch")


@pytest.mark.parametrize("level", ["10", "0.5", "6.505", "six"])
def test_a_level_off_the_scale_is_refused(groove_file, level):
    with pytest.raises(CommandError, match="from 1.00 to 9.99"):
        _run(str(groove_file[0]), "--level", level)


def test_refused_answers_are_asked_again_until_the_input_ends(groove_file, tmp_path):
    """Enter for every question but the level, refused twice; then the input ends."""
    stderr, out = io.StringIO(), tmp_path / "out"
    with pytest.raises(CommandError, match="input ended"):
        call_command("convert", str(groove_file[0]), "--interactive", "--out", str(out),
                     stdin=io.StringIO("\n" * 7 + "9.999\n0\n"), stdout=io.StringIO(), stderr=stderr)
    assert stderr.getvalue().count("A level is a number from 1.00 to 9.99") == 2
    assert list(out.iterdir()) == [], "nothing is converted"
