"""Beat and downbeat F-measure (mir_eval, 70 ms) of the tempo map on annotated songs.

Run: .venv/bin/python bench/beats.py [--songs ../shared/data/mdb-dev] [--model-dir ../shared/models]
     .venv/bin/python bench/beats.py --renders RENDERS [--split test]
Scores the tempo map the charts are written on (beats tracked on ADTOF's drum activations,
then made piecewise constant, bars from the bar tracker), and librosa's beat tracker as the
baseline. With --renders, the songs are bench/groove_renders.py's renders of one Groove split,
popular styles only (their analyses are read from the folder; librosa's baseline is left out),
with means by meter and by variant (tempo change, pickup, drumless intro) under the table.

Two pairs of columns: F over the whole song, and F within the span the reference labels
cover (from its first beat to its last, half a beat either side). A render's labels end
one beat after its last drum hit, while its audio rings on for seconds more (a median 3 s,
up to 11 s): the tempo map goes on laying beats there, to the end of the audio as a chart
needs, and the whole-song F counts each of them as a false positive.
"""

import argparse
import sys
import time
from pathlib import Path

import librosa
import mir_eval
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.groove_renders import popular_renders  # noqa: E402
from processing import rhythm  # noqa: E402
from processing.audio import decode  # noqa: E402
from processing.transcription.adtof import track as adtof  # noqa: E402

# Means printed under the renders' table, by what the render holds.
VARIANT_GROUPS = ("meter 4/4", "meter 3/4", "meter 6/8", "tempo change", "pickup", "drumless intro")


def variant_groups(*, meter: str, variant: str) -> set[str]:
    """The VARIANT_GROUPS a render belongs to, from its meter ("4-4") and variant ("pickup2+tempo-0.10")."""
    names = {f"meter {meter.replace('-', '/')}"}
    for prefix, group in (("tempo", "tempo change"), ("pickup", "pickup"), ("intro", "drumless intro")):
        if any(part.startswith(prefix) for part in variant.split("+")):
            names.add(group)
    return names


def within_labels(*, times: np.ndarray, reference_beats: np.ndarray) -> np.ndarray:
    """The `times` (s) from half a beat before the first reference beat to half a beat after
    the last (the beat: the reference's median interval)."""
    half_beat = float(np.median(np.diff(reference_beats))) / 2
    return times[(times >= reference_beats[0] - half_beat) & (times <= reference_beats[-1] + half_beat)]


def score(*, name: str, spectrogram, activations, reference_beats, reference_downbeats, baseline=None) -> tuple:
    """(beat F, downbeat F, the baseline's beat F, and beat F and downbeat F within the labels' span)."""
    started = time.perf_counter()
    tempo_map = rhythm.drum_tempo_map(drum_activations=activations, spectrogram=spectrogram)
    elapsed = time.perf_counter() - started
    changes = int(np.count_nonzero(np.abs(np.diff(np.round(tempo_map.beat_bpms(), 4))) > 0)) + 1
    beats, bar_lines = tempo_map.beat_times, tempo_map.bar_line_times()
    row = (mir_eval.beat.f_measure(reference_beats, beats),
           mir_eval.beat.f_measure(reference_downbeats, bar_lines),
           np.nan if baseline is None else mir_eval.beat.f_measure(reference_beats, baseline),
           mir_eval.beat.f_measure(reference_beats, within_labels(times=beats, reference_beats=reference_beats)),
           mir_eval.beat.f_measure(reference_downbeats,
                                   within_labels(times=bar_lines, reference_beats=reference_beats)))
    print(f"{name:<36}{row[0]:>8.3f}{row[1]:>12.3f}{row[2]:>16.3f}{tempo_map.beats_per_bar:>7}{changes:>10}"
          f"{elapsed:>7.2f}{row[3]:>17.3f}{row[4]:>12.3f}", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--songs", type=Path, default=ROOT.parent / "shared" / "data" / "mdb-dev")
    parser.add_argument("--model-dir", type=Path, default=ROOT.parent / "shared" / "models")
    parser.add_argument("--renders", type=Path, help="bench/groove_renders.py's output folder")
    parser.add_argument("--split", default="test", help="Groove split of the renders scored")
    args = parser.parse_args()
    rows, groups = [], []
    print(f"{'song':<36}{'beat F':>8}{'downbeat F':>12}{'librosa beat F':>16}{'meter':>7}{'segments':>10}{'s':>7}"
          f"{'in span: beat F':>17}{'downbeat F':>12}")
    if args.renders:
        for render in popular_renders(args.renders):
            if render["split"] != args.split:
                continue
            analysis = np.load(args.renders / f"{render['name']}.analysis.npz")
            labels = np.load(args.renders / f"{render['name']}.labels.npz")
            rows.append(score(name=f"{render['name']} {render['variant']}", spectrogram=analysis["spectrogram"],
                              activations=analysis["activations"], reference_beats=labels["beats"],
                              reference_downbeats=labels["beats"][labels["downbeats"]]))
            groups.append(variant_groups(meter=render["meter"], variant=render["variant"]))
    else:
        for annotation in sorted(args.songs.glob("*.beats.txt")):
            song = annotation.with_name(annotation.name.replace(".beats.txt", ".flac"))
            reference = np.loadtxt(annotation)
            audio = decode(path=song)
            spectrogram, activations = adtof.analyse(audio=audio, model_dir=args.model_dir)
            _, librosa_beats = librosa.beat.beat_track(y=audio.mono(), sr=audio.sample_rate, units="time")
            rows.append(score(name=song.stem, spectrogram=spectrogram, activations=activations,
                              reference_beats=reference[:, 0], reference_downbeats=reference[reference[:, 1] == 1, 0],
                              baseline=librosa_beats))
    mean = np.mean(rows, axis=0)
    print(f"{'mean':<36}{mean[0]:>8.3f}{mean[1]:>12.3f}{mean[2]:>16.3f}{'':>24}{mean[3]:>17.3f}{mean[4]:>12.3f}")
    for group in VARIANT_GROUPS:
        members = [row for row, names in zip(rows, groups) if group in names]
        if members:
            group_mean = np.mean(members, axis=0)
            print(f"{'  ' + group + f' ({len(members)})':<36}{group_mean[0]:>8.3f}{group_mean[1]:>12.3f}{'':>40}"
                  f"{group_mean[3]:>17.3f}{group_mean[4]:>12.3f}")


if __name__ == "__main__":
    main()
