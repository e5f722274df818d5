"""The evaluation's scoring on hand-made truth and predictions with known F-measures, and the
command on a synthesised annotated song."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from processing import evaluation
from processing.lanes import Lane
from tests.audio_fixtures import write_groove

ROOT = Path(__file__).resolve().parents[1]


def test_counts_within_the_window_one_to_one():
    counts = evaluation.count_matches(reference=np.array([1.0, 2.0, 3.0, 4.0]),
                                      estimate=np.array([1.04, 2.06, 3.0, 3.01, 9.0]))
    # 1.04 matches (40 ms), 2.06 does not (60 ms), 3.0 matches once, 3.01 is a spare, 9.0 a false alarm
    assert (counts.tp, counts.fp, counts.fn) == (2, 3, 2)
    assert counts.precision == pytest.approx(2 / 5) and counts.recall == pytest.approx(2 / 4)
    assert counts.f_measure == pytest.approx(2 * 0.4 * 0.5 / 0.9)


def test_pooled_and_mean_over_songs_and_labels():
    references = [{"KD": np.array([1.0, 2.0]), "SD": np.array([1.5])}, {"KD": np.array([1.0])}]
    estimates = [{"KD": np.array([1.0, 2.0]), "SD": np.array([5.0]), "HH": np.array([1.0])}, {"KD": np.zeros(0)}]
    table = evaluation.score(references=references, estimates=estimates, labels=("KD", "SD", "TT", "HH"))
    assert table.per_label["KD"] == evaluation.Counts(2, 0, 1)
    assert table.pooled == evaluation.Counts(2, 2, 2)
    assert table.pooled.f_measure == pytest.approx(0.5)
    # KD 0.8, SD 0, HH 0 (predicted, never annotated); TT is not scored at all
    assert table.mean_f == pytest.approx(0.8 / 3)


def test_lanes_fold_into_the_five_classes():
    classes, lanes = evaluation.estimate_views(
        notes=[(1.0, Lane.HIHAT_OPEN), (1.0, Lane.RIDE), (2.0, Lane.LOW_TOM), (3.0, Lane.LEFT_BASS_DRUM)])
    assert {k: list(v) for k, v in classes.items()} == {"HH": [1.0], "CY": [1.0], "TT": [2.0], "KD": [3.0]}
    assert set(lanes) == {"HHO", "RD", "LT", "BD"}


@pytest.mark.parametrize("scored", [[], ["--dtx"]], ids=["transcription", "MASTER dtx read back"])
def test_evaluate_command_on_an_annotated_synthetic_song(tmp_path, groove_file, scored):
    _, groove = groove_file
    write_groove(groove, tmp_path / "Groove.flac")
    names = {Lane.BASS_DRUM: ("KD", "KD"), Lane.SNARE: ("SD", "SD"), Lane.HIHAT_CLOSED: ("HH", "CHH"),
             Lane.CRASH: ("CY", "CRC")}
    for suffix, column in ((".class.txt", 0), (".subclass.txt", 1)):
        rows = sorted((t, names[lane][column]) for lane, times in groove.hits.items() for t in times)
        (tmp_path / f"Groove{suffix}").write_text("".join(f"{t:.6f} {label}\n" for t, label in rows))
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "evaluate", "--songs", str(tmp_path), "--track", "spectral",
         "--json", str(tmp_path / "scores.json"), *scored], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "pooled" in result.stdout
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["source"] == ("MASTER .dtx read back" if scored else "transcription")
    assert scores["classes"]["per_label"]["KD"]["f"] >= 0.9 and scores["classes"]["per_label"]["SD"]["f"] >= 0.9
    assert scores["lanes"]["per_label"]["BD"]["f"] == scores["classes"]["per_label"]["KD"]["f"]


def test_evaluate_command_refuses_a_folder_without_annotations(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), "evaluate", "--songs", str(tmp_path),
                             "--track", "spectral"], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "no annotated songs" in result.stderr
