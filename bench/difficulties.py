"""Note counts and levels of the four difficulties on annotated songs.

Run: .venv/bin/python bench/difficulties.py [--songs ../shared/data/mdb-dev] [--model-dir ../shared/models]
Each song is transcribed by the adtof track on the drum tempo map (a conversion of the mix).
Per difficulty: notes, their share of MASTER's, and the level written (x.xx); in brackets the
level chart_level computes before spaced_levels parts the neighbours by LEVEL_GAP. Last, MASTER's
notes per second at its densest stretch, marked "sparse" under SPARSE_NOTES_PER_S (the caps relax).
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from processing import rhythm  # noqa: E402
from processing.arrangement import Chart, arrange  # noqa: E402
from processing.audio import decode  # noqa: E402
from processing.difficulty import chart_level, is_sparse, leveled_difficulties, peak_notes_per_s  # noqa: E402
from processing.transcription import get_track  # noqa: E402
from processing.transcription.adtof import track as adtof  # noqa: E402


def transcribe_song(*, path: Path, model_dir: Path) -> Chart:
    """The MASTER chart of the song at `path`: adtof's hits on the tempo map of its drums."""
    audio = decode(path=path)
    spectrogram, activations = adtof.analyse(audio=audio, model_dir=model_dir)
    tempo_map = rhythm.drum_tempo_map(drum_activations=activations, spectrogram=spectrogram)
    return arrange(hits=get_track("adtof").run(audio=audio, model_dir=model_dir), tempo_map=tempo_map)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--songs", type=Path, default=ROOT.parent / "shared" / "data" / "mdb-dev")
    parser.add_argument("--model-dir", type=Path, default=ROOT.parent / "shared" / "models")
    args = parser.parse_args()
    print("| song | " + " | ".join(("BASIC", "ADVANCED", "EXTREME", "MASTER")) + " | MASTER notes/s |")
    print("|---|---|---|---|---|---|")
    for song in sorted(args.songs.glob("*.flac")):
        leveled = leveled_difficulties(chart=transcribe_song(path=song, model_dir=args.model_dir))
        master_notes = len(leveled[-1][1].notes)
        cells = [f"{len(chart.notes)} ({len(chart.notes) / master_notes:.0%}), {level / 100:.2f} "
                 f"[{chart_level(chart=chart) / 100:.2f}]" for _, chart, level in leveled]
        master = leveled[-1][1]
        density = f"{peak_notes_per_s(times=master.note_times()):.1f}"
        if is_sparse(notes=master.notes, tempo_map=master.tempo_map):
            density += " sparse"
        print(f"| {song.stem} | " + " | ".join(cells) + f" | {density} |")


if __name__ == "__main__":
    main()
