"""What goes wrong where the tempo map misses a render's bar lines: each render's error, named.

Run: .venv/bin/python bench/tempo_map_errors.py RENDERS [RENDERS ...] [--split train]
Reads bench/groove_renders.py's folders (popular styles, every meter), builds each render's tempo
map as bench/beats.py does, and names the first thing that is wrong, in this order:
- "beat level R": the tracked beats' period is R times the labelled beats' (0.5: double tempo,
  2: half tempo). A 6/8 render is labelled in dotted quarters, two a bar, and the tempo map counts
  its six eighths (bar_tracking.COMPOUND_METER): its labels are split into eighths first;
- "off the beat": the right period, the beats half a beat from the labelled ones;
- "meter M, labelled L": the right beats, bars of another length;
- "bar line on beat K": the right beats and meter, each bar line K - 1 beats after the labelled one;
- "partly": none of these for most of the song (a stretch of it is wrong);
- "right": downbeat F within the labels' span at least RIGHT_F.
Beside it: whether the drums themselves say the labelled "one" is a backbeat: more of the
labelled downbeats carry a snare than a kick (General MIDI notes of the performance). There the
render's bars come from its generated accompaniment alone, which the drummer did not hear.
Then the bars' margin over their best rival, the same bars moved some beats later
(bar_tracking.rival_shift, nats), and whether the chart calls them a close call
(rhythm.CLOSE_CALL_NATS), offering the rival to its owner.

Last, the downbeat F once the user sets bar 1 on the first labelled downbeat after the map's
first beat (the rerun form's "first downbeat" at the labelled time, rhythm.override_tempo_map):
the correction a user can make by hand on a "one" they hear.

Under the table, per error: how many renders, the downbeat F they lose (the sum of 1 - F
over them, in renders' worth; the split's mean loses that over its number of renders), how
many of them are close calls, and the F they lose with bar 1 set by hand.
"""

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import mir_eval
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.beats import within_labels  # noqa: E402
from bench.groove_renders import popular_renders  # noqa: E402
from processing import rhythm  # noqa: E402
from processing.rhythm import drum_tempo  # noqa: E402

# Downbeat F (within the labels' span) from which a render counts as right.
RIGHT_F = 0.9
# A tracked period within this share of the labelled one is the labelled beat level.
LEVEL_TOLERANCE = 0.1
# Tracked beats this close (share of a beat) to half-way between labelled ones are off the beat.
OFF_BEAT_TOLERANCE = 0.15
# Beats per bar of a 6/8 render's labels (dotted quarters), and the eighths in each of them.
COMPOUND_LABELLED_METER, EIGHTHS_PER_DOTTED_QUARTER = 2, 3
# General MIDI kick and snare notes (side stick counted with the snare), and how close (s) one
# must be to a labelled downbeat to be on it.
KICK_NOTES, SNARE_NOTES = (35, 36), (37, 38, 40)
ON_DOWNBEAT_S = 0.05


def beat_level(*, beat_times: np.ndarray, reference_beats: np.ndarray) -> float:
    """Median tracked beat period over the median labelled one (both in seconds)."""
    return float(np.median(np.diff(beat_times)) / np.median(np.diff(reference_beats)))


def beat_phase(*, beat_times: np.ndarray, reference_beats: np.ndarray) -> float:
    """Median position (share of a labelled beat, in [0, 1)) of the tracked beats within the
    labelled beats they fall in, 0 being on a labelled beat; wrapped so that beats a little early
    read near 0, not near 1."""
    inside = beat_times[(beat_times >= reference_beats[0]) & (beat_times < reference_beats[-1])]
    index = np.searchsorted(reference_beats, inside, side="right") - 1
    phase = (inside - reference_beats[index]) / np.diff(reference_beats)[index]
    return float(np.angle(np.mean(np.exp(2j * np.pi * phase))) / (2 * np.pi) % 1.0)


def bar_line_beat(*, bar_lines: np.ndarray, reference_beats: np.ndarray, reference_downbeats: np.ndarray) -> int:
    """The labelled beat (0: the labelled downbeat) most of the bar lines within the labels'
    span fall on, counted from the labelled downbeat before each."""
    positions = []
    downbeat_indices = np.flatnonzero(np.isin(reference_beats, reference_downbeats))
    for bar_line in within_labels(times=bar_lines, reference_beats=reference_beats):
        beat = int(np.argmin(np.abs(reference_beats - bar_line)))
        before = downbeat_indices[downbeat_indices <= beat]
        if before.size:
            positions.append(beat - before[-1])
    return int(np.bincount(positions).argmax()) if positions else 0


def snare_on_labelled_one(*, reference_downbeats: np.ndarray, drum_times: np.ndarray, drum_notes: np.ndarray) -> bool:
    """Whether more labelled downbeats carry a snare than a kick within ON_DOWNBEAT_S."""
    def share(notes):
        times = drum_times[np.isin(drum_notes, notes)]
        if not times.size:
            return 0.0
        nearest = np.abs(reference_downbeats[:, None] - times[None, :]).min(axis=1)
        return float(np.mean(nearest <= ON_DOWNBEAT_S))
    return share(SNARE_NOTES) > share(KICK_NOTES)


def eighth_labels(*, beats: np.ndarray, downbeats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 6/8 render's labels (dotted-quarter beat times (s), downbeat flags) as eighths: each
    beat split in EIGHTHS_PER_DOTTED_QUARTER, the last beat's as long as the one before."""
    edges = np.append(beats, beats[-1] + beats[-1] - beats[-2])
    thirds = np.arange(EIGHTHS_PER_DOTTED_QUARTER) / EIGHTHS_PER_DOTTED_QUARTER
    eighths = (edges[:-1, None] + np.diff(edges)[:, None] * thirds[None, :]).ravel()
    flags = np.zeros((len(beats), EIGHTHS_PER_DOTTED_QUARTER), dtype=bool)
    flags[:, 0] = downbeats
    return eighths, flags.ravel()


def labelled_bars(labels) -> tuple[np.ndarray, np.ndarray, int]:
    """(labelled beat times (s), their downbeat flags, beats per labelled bar); a 6/8 render's
    in eighths, the level the map counts them in."""
    reference_beats, downbeat_flags = labels["beats"], labels["downbeats"]
    labelled_meter = int(np.median(np.diff(np.flatnonzero(downbeat_flags))))
    if labelled_meter == COMPOUND_LABELLED_METER:
        reference_beats, downbeat_flags = eighth_labels(beats=reference_beats, downbeats=downbeat_flags)
        labelled_meter *= EIGHTHS_PER_DOTTED_QUARTER
    return reference_beats, downbeat_flags, labelled_meter


def downbeat_f_within_labels(*, tempo_map, labels) -> float:
    """Downbeat F of `tempo_map`'s bar lines within the labels' span."""
    reference_beats, downbeat_flags, _ = labelled_bars(labels)
    return mir_eval.beat.f_measure(reference_beats[downbeat_flags],
                                   within_labels(times=tempo_map.bar_line_times(), reference_beats=reference_beats))


def with_bar_1_set(*, tempo_map, labels, duration_s: float):
    """`tempo_map` once its user sets bar 1 on the first labelled downbeat the map has beats
    around (a "one" heard while the song plays), as the rerun form does."""
    reference_beats, downbeat_flags, _ = labelled_bars(labels)
    downbeats = reference_beats[downbeat_flags]
    heard = downbeats[downbeats > tempo_map.beat_times[0]]
    return rhythm.override_tempo_map(tempo_map=tempo_map, duration_s=duration_s,
                                     first_downbeat_s=float(heard[0] if heard.size else downbeats[0]))


def name_error(*, tempo_map, labels) -> tuple[str, float]:
    """(the render's error, its downbeat F within the labels' span)."""
    reference_beats, downbeat_flags, labelled_meter = labelled_bars(labels)
    reference_downbeats = reference_beats[downbeat_flags]
    bar_lines = tempo_map.bar_line_times()
    downbeat_f = downbeat_f_within_labels(tempo_map=tempo_map, labels=labels)
    if downbeat_f >= RIGHT_F:
        return "right", downbeat_f
    level = beat_level(beat_times=tempo_map.beat_times, reference_beats=reference_beats)
    if abs(level - 1.0) > LEVEL_TOLERANCE:
        return f"beat level {level:.2g}", downbeat_f
    if abs(beat_phase(beat_times=tempo_map.beat_times, reference_beats=reference_beats) - 0.5) < OFF_BEAT_TOLERANCE:
        return "off the beat", downbeat_f
    if tempo_map.beats_per_bar != labelled_meter:
        return f"meter {tempo_map.beats_per_bar}, labelled {labelled_meter}", downbeat_f
    beat = bar_line_beat(bar_lines=bar_lines, reference_beats=reference_beats, reference_downbeats=reference_downbeats)
    if beat:
        return f"bar line on beat {beat + 1}", downbeat_f
    return "partly", downbeat_f


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("renders", type=Path, nargs="+", help="bench/groove_renders.py's output folders")
    parser.add_argument("--split", help="only this Groove split (default: every split)")
    args = parser.parse_args()
    losses, counts, contradicted, close_calls = defaultdict(float), defaultdict(int), defaultdict(int), defaultdict(int)
    losses_set = defaultdict(float)
    print(f"{'folder':<14}{'render':<36}{'split':<12}{'downbeat F':>11}  {'error':<28}{'drums one':<11}"
          f"{'margin':>8}  {'close call':<16}{'bar 1 set':>9}")
    for folder in args.renders:
        for render in popular_renders(folder):
            if args.split and render["split"] != args.split:
                continue
            analysis = np.load(folder / f"{render['name']}.analysis.npz")
            labels = np.load(folder / f"{render['name']}.labels.npz")
            beat_times, bars = drum_tempo.estimate_tempo_map(drum_activations=analysis["activations"],
                                                             spectrogram=analysis["spectrogram"])
            tempo_map = rhythm.tempo_map_from_bars(beat_times=beat_times, bars=bars)
            error, downbeat_f = name_error(tempo_map=tempo_map, labels=labels)
            snare_one = snare_on_labelled_one(reference_downbeats=labels["beats"][labels["downbeats"]],
                                              drum_times=labels["drum_times"], drum_notes=labels["drum_notes"])
            corrected = with_bar_1_set(tempo_map=tempo_map, labels=labels,
                                       duration_s=len(analysis["activations"]) / drum_tempo.FRAME_RATE)
            downbeat_f_set = downbeat_f_within_labels(tempo_map=corrected, labels=labels)
            counts[error] += 1
            losses[error] += 1.0 - downbeat_f
            losses_set[error] += 1.0 - downbeat_f_set
            contradicted[error] += snare_one
            close_calls[error] += bool(tempo_map.close_call_shift)
            close_call = f"{tempo_map.close_call_shift} beats later" if tempo_map.close_call_shift else ""
            print(f"{folder.name:<14}{render['name'] + ' ' + render['variant']:<36}{render['split']:<12}"
                  f"{downbeat_f:>11.3f}  {error:<28}{'snare' if snare_one else 'kick':<11}"
                  f"{bars.rival_margin_nats:>8.1f}  {close_call:<16}{downbeat_f_set:>9.3f}")
    total = sum(counts.values())
    print(f"\n{'error':<28}{'renders':>8}{'F lost':>8}{'snare on the one':>18}{'close calls':>13}"
          f"{'F lost, bar 1 set':>19}")
    for error in sorted(counts, key=lambda name: -losses[name]):
        print(f"{error:<28}{counts[error]:>8}{losses[error]:>8.2f}{contradicted[error]:>18}{close_calls[error]:>13}"
              f"{losses_set[error]:>19.2f}")
    print(f"{'all':<28}{total:>8}{sum(losses.values()):>8.2f}{sum(contradicted.values()):>18}"
          f"{sum(close_calls.values()):>13}{sum(losses_set.values()):>19.2f}")


if __name__ == "__main__":
    main()
