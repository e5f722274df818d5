"""Scoring transcriptions against annotated songs: onset F-measure per class and per lane.

Two views of the same hits:
- five classes (KD SD TT HH CY), from MDB Drums' `S.class.txt` (OT is not scored);
- DTX lanes (HH HHO SD BD HT LT FT CY RD LC LP), from its `S.subclass.txt`.
An onset matches a reference one-to-one within WINDOW_S (mir_eval's matching).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mir_eval
import numpy as np

from processing.lanes import Lane

WINDOW_S = 0.05
CLASSES = ("KD", "SD", "TT", "HH", "CY")
LANES = ("HH", "HHO", "SD", "BD", "HT", "LT", "FT", "CY", "RD", "LC", "LP")
# A transcribed lane's class in the five-class view.
CLASS_OF_LANE = {
    Lane.BASS_DRUM: "KD", Lane.LEFT_BASS_DRUM: "KD", Lane.SNARE: "SD",
    Lane.HIGH_TOM: "TT", Lane.LOW_TOM: "TT", Lane.FLOOR_TOM: "TT",
    Lane.HIHAT_CLOSED: "HH", Lane.HIHAT_OPEN: "HH", Lane.HIHAT_PEDAL: "HH",
    Lane.CRASH: "CY", Lane.RIDE: "CY", Lane.LEFT_CRASH: "CY",
}
# MDB Drums subclass -> lane. Side stick is played on the snare (the class files put it in
# OT); the four toms share three lanes (high and mid rack -> HT, high floor -> LT, low floor
# -> FT); tambourine, cowbell and other percussion have no lane and are not scored.
LANE_OF_SUBCLASS = {
    "CHH": "HH", "OHH": "HHO", "PHH": "LP", "KD": "BD",
    "SD": "SD", "SDB": "SD", "SDD": "SD", "SDF": "SD", "SDG": "SD", "SDNS": "SD", "SST": "SD",
    "HIT": "HT", "MHT": "HT", "HFT": "LT", "LFT": "FT",
    "CRC": "CY", "CHC": "CY", "SPC": "CY", "RDC": "RD", "RDB": "RD",
}
AUDIO_SUFFIXES = (".flac", ".wav")

Onsets = dict[str, np.ndarray]  # label -> onset times (s), ascending


@dataclass(frozen=True)
class Counts:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f_measure(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def scored(self) -> bool:
        return self.tp + self.fp + self.fn > 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "f": round(self.f_measure, 4),
                "p": round(self.precision, 4), "r": round(self.recall, 4)}


def count_matches(*, reference: np.ndarray, estimate: np.ndarray, window_s: float = WINDOW_S) -> Counts:
    """One-to-one matches of estimated onsets (s) to reference onsets (s) within `window_s`."""
    reference, estimate = np.sort(np.asarray(reference, float)), np.sort(np.asarray(estimate, float))
    matched = len(mir_eval.util.match_events(reference, estimate, window_s)) if reference.size and estimate.size else 0
    return Counts(matched, estimate.size - matched, reference.size - matched)


@dataclass(frozen=True)
class ScoreTable:
    """Counts per label summed over songs; `pooled` sums them over labels too; `mean_f` is
    the mean F over labels that have references or estimates (a label predicted where the
    songs have none counts as 0)."""

    per_label: dict[str, Counts]

    @property
    def pooled(self) -> Counts:
        return sum(self.per_label.values(), Counts(0, 0, 0))

    @property
    def mean_f(self) -> float:
        scored = [counts.f_measure for counts in self.per_label.values() if counts.scored]
        return float(np.mean(scored)) if scored else 0.0

    def as_dict(self) -> dict:
        return {"per_label": {label: c.as_dict() for label, c in self.per_label.items()},
                "pooled": self.pooled.as_dict(), "mean_f": round(self.mean_f, 4)}

    def format(self, *, title: str) -> str:
        lines = [title, f"{'label':<7}{'refs':>6}{'TP':>6}{'FP':>6}{'FN':>6}{'F':>8}{'P':>8}{'R':>8}"]
        for label, c in [*self.per_label.items(), ("pooled", self.pooled)]:
            lines.append(f"{label:<7}{c.tp + c.fn:>6}{c.tp:>6}{c.fp:>6}{c.fn:>6}"
                         f"{c.f_measure:>8.3f}{c.precision:>8.3f}{c.recall:>8.3f}")
        lines.append(f"mean F over labels with references or estimates: {self.mean_f:.3f}")
        return "\n".join(lines)


def score(*, references: list[Onsets], estimates: list[Onsets], labels: tuple[str, ...],
          window_s: float = WINDOW_S) -> ScoreTable:
    """Score songs: references[i] and estimates[i] are song i's onsets by label."""
    per_label = {}
    for label in labels:
        per_label[label] = sum(
            (count_matches(reference=ref.get(label, np.zeros(0)), estimate=est.get(label, np.zeros(0)),
                           window_s=window_s) for ref, est in zip(references, estimates)),
            Counts(0, 0, 0),
        )
    return ScoreTable(per_label=per_label)


def read_annotations(*, path: Path) -> Onsets:
    """`<time> <label>` lines -> {label: sorted times}."""
    events: dict[str, list[float]] = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 2:
            events.setdefault(fields[1], []).append(float(fields[0]))
    return {label: np.sort(np.array(times)) for label, times in events.items()}


def reference_views(*, stem: Path) -> tuple[Onsets, Onsets]:
    """(five-class onsets, lane onsets) of the annotated song at `stem` (path without suffix)."""
    classes = read_annotations(path=stem.with_suffix(".class.txt"))
    lanes: dict[str, list[np.ndarray]] = {}
    for label, times in read_annotations(path=stem.with_suffix(".subclass.txt")).items():
        if label in LANE_OF_SUBCLASS:
            lanes.setdefault(LANE_OF_SUBCLASS[label], []).append(times)
    return classes, {lane: np.sort(np.concatenate(parts)) for lane, parts in lanes.items()}


def estimate_views(*, notes: list[tuple[float, Lane]]) -> tuple[Onsets, Onsets]:
    """(five-class onsets, lane onsets) of transcribed (time s, lane) notes."""
    classes: dict[str, list[float]] = {}
    lanes: dict[str, list[float]] = {}
    for time, lane in notes:
        classes.setdefault(CLASS_OF_LANE[lane], []).append(time)
        lanes.setdefault("BD" if lane == Lane.LEFT_BASS_DRUM else lane.value, []).append(time)
    return ({k: np.sort(np.array(v)) for k, v in classes.items()},
            {k: np.sort(np.array(v)) for k, v in lanes.items()})


def annotated_songs(*, folder: Path) -> list[Path]:
    """Audio files in `folder` that have `.class.txt` and `.subclass.txt` beside them."""
    return sorted(
        path for path in folder.iterdir()
        if path.suffix in AUDIO_SUFFIXES and path.with_suffix(".class.txt").exists()
        and path.with_suffix(".subclass.txt").exists()
    )
