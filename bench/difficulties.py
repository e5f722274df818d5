"""Note counts and levels of the four difficulties on annotated songs.

Run: .venv/bin/python bench/difficulties.py [--songs ../shared/data/mdb-dev] [--model-dir ../shared/models]
                                           [--track NAME]
Each song is transcribed by the track (the default track, as a conversion of the mix does) on
the drum tempo map.
Per difficulty: notes, their share of MASTER's, and the level written (x.xx); in brackets the
level chart_level computes before spaced_levels parts the neighbours by LEVEL_GAP. Last, MASTER's
notes per second at its densest stretch, marked "sparse" under SPARSE_NOTES_PER_S (the caps relax).
Then how consistently each easier chart thins its parts: a part is one lane's notes at one
position of the bar through a phrase (PHRASE_BARS bars), and a part kept only partly is one a
drummer reads as notes missing at random. Per difficulty, the parts of two or more notes in
MASTER that it keeps partly, of those parts.
"""

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from processing.arrangement import Chart  # noqa: E402
from processing.audio import decode  # noqa: E402
from processing.difficulty import (PHRASE_BARS, bar_positions, chart_level, is_sparse,  # noqa: E402
                                   leveled_difficulties, peak_notes_per_s)
from processing.pipeline import master_chart  # noqa: E402
from processing.transcription import TRACKS, default_track  # noqa: E402


def parts(*, chart: Chart) -> dict[tuple, set]:
    """The notes of `chart` by part: (lane, ticks into the bar, phrase) -> notes."""
    bars, offsets, _ = bar_positions(ticks=[note.tick for note in chart.notes], tempo_map=chart.tempo_map)
    grouped = defaultdict(set)
    for note, bar, offset in zip(chart.notes, bars, offsets):
        grouped[(note.lane, int(offset), int(bar) // PHRASE_BARS)].add(note)
    return grouped


def partly_kept(*, master: Chart, reduced: Chart) -> tuple[int, int]:
    """(parts of two or more notes in `master` that `reduced` keeps partly, those parts)."""
    kept = set(reduced.notes)
    shared = [notes for notes in parts(chart=master).values() if len(notes) >= 2]
    return sum(0 < len(notes & kept) < len(notes) for notes in shared), len(shared)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--songs", type=Path, default=ROOT.parent / "shared" / "data" / "mdb-dev")
    parser.add_argument("--model-dir", type=Path, default=ROOT.parent / "shared" / "models")
    parser.add_argument("--track", choices=sorted(TRACKS), help="default: the default track")
    args = parser.parse_args()
    track = args.track or default_track(model_dir=args.model_dir)
    print(f"track: {track}\n")
    print("| song | " + " | ".join(("BASIC", "ADVANCED", "EXTREME", "MASTER")) + " | MASTER notes/s |")
    print("|---|---|---|---|---|---|")
    consistency = []
    for song in sorted(args.songs.glob("*.flac")):
        chart = master_chart(audio=decode(path=song), model_dir=args.model_dir, track_name=track)
        leveled = leveled_difficulties(chart=chart)
        master = leveled[-1][1]
        consistency.append((song.stem, [partly_kept(master=master, reduced=chart) for _, chart, _ in leveled[:-1]]))
        master_notes = len(master.notes)
        cells = [f"{len(chart.notes)} ({len(chart.notes) / master_notes:.0%}), {level / 100:.2f} "
                 f"[{chart_level(chart=chart) / 100:.2f}]" for _, chart, level in leveled]
        density = f"{peak_notes_per_s(times=master.note_times()):.1f}"
        if is_sparse(notes=master.notes, tempo_map=master.tempo_map):
            density += " sparse"
        print(f"| {song.stem} | " + " | ".join(cells) + f" | {density} |")
    print("\nParts of two or more notes kept only partly (of those parts)\n")
    print("| song | BASIC | ADVANCED | EXTREME |\n|---|---|---|---|")
    for stem, counts in consistency:
        print(f"| {stem} | " + " | ".join(f"{partly} of {total}" for partly, total in counts) + " |")


if __name__ == "__main__":
    main()
