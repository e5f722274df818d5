"""Beat and downbeat F-measure (mir_eval, 70 ms) of the tempo map on annotated songs.

Run: .venv/bin/python bench/beats.py [--songs ../shared/data/mdb-dev] [--model-dir ../shared/models]
Scores the tempo map the charts are written on (beats tracked on ADTOF's drum activations,
then made piecewise constant), and librosa's beat tracker as the baseline.
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

from processing import rhythm  # noqa: E402
from processing.audio import decode  # noqa: E402
from processing.transcription.adtof import track as adtof  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--songs", type=Path, default=ROOT.parent / "shared" / "data" / "mdb-dev")
    parser.add_argument("--model-dir", type=Path, default=ROOT.parent / "shared" / "models")
    args = parser.parse_args()
    rows = []
    print(f"{'song':<12}{'beat F':>8}{'downbeat F':>12}{'librosa beat F':>16}{'segments':>10}{'s':>7}")
    for annotation in sorted(args.songs.glob("*.beats.txt")):
        song = annotation.with_name(annotation.name.replace(".beats.txt", ".flac"))
        reference = np.loadtxt(annotation)
        audio = decode(path=song)
        started = time.perf_counter()
        spectrogram, activations = adtof.analyse(audio=audio, model_dir=args.model_dir)
        tempo_map = rhythm.drum_tempo_map(drum_activations=activations, spectrogram=spectrogram)
        elapsed = time.perf_counter() - started
        beats = tempo_map.beat_times
        downbeats = beats[tempo_map.first_downbeat % tempo_map.beats_per_bar::tempo_map.beats_per_bar]
        _, librosa_beats = librosa.beat.beat_track(y=audio.mono(), sr=audio.sample_rate, units="time")
        changes = int(np.count_nonzero(np.abs(np.diff(np.round(tempo_map.beat_bpms(), 4))) > 0)) + 1
        row = (mir_eval.beat.f_measure(reference[:, 0], beats),
               mir_eval.beat.f_measure(reference[reference[:, 1] == 1, 0], downbeats),
               mir_eval.beat.f_measure(reference[:, 0], librosa_beats))
        rows.append(row)
        print(f"{song.stem:<12}{row[0]:>8.3f}{row[1]:>12.3f}{row[2]:>16.3f}{changes:>10}{elapsed:>7.1f}")
    mean = np.mean(rows, axis=0)
    print(f"{'mean':<12}{mean[0]:>8.3f}{mean[1]:>12.3f}{mean[2]:>16.3f}")


if __name__ == "__main__":
    main()
