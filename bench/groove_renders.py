"""Songs with known bars: Groove MIDI drum performances rendered under generated accompaniment.

Run: .venv/bin/python bench/groove_renders.py OUT [--groove ../shared/data/groove] [--model-dir ../shared/models] [--kits]
Writes OUT/NAME.flac, OUT/NAME.labels.npz (beat times and downbeat flags, and every drum
hit's time and General MIDI note; seconds) and
OUT/NAME.analysis.npz (ADTOF spectrogram and drum activations, what the tempo map reads), and
OUT/index.csv. Renders already there are kept, so the command resumes (give each set of flags
its own OUT: the labels are rewritten, the audio is not).

Each render takes up to EXCERPT_S of a real drummer's performance (Groove MIDI Dataset,
Gillick et al. 2019, CC BY 4.0) and adds a generated bass line and chords: a progression of
common pop and rock changes, mostly one chord a bar, sometimes two or one held over two bars,
sometimes pushed an eighth ahead of the bar line, the way real songs blur the harmonic cue. All
of it is rendered by FluidSynth through one of SOUNDFONTS; with --kits the drums are played
instead on one of Hydrogen's recorded acoustic kits (bench/hydrogen_kits.py, Debian's
hydrogen-drumkits) and mixed with the accompaniment at a drawn level. Variants, chosen per file:
- a tempo change at a bar line (the MIDI's tempo set 8-15 % faster or slower);
- a pickup: the excerpt starts one to three beats before a bar;
- a drumless intro: the accompaniment plays INTRO_BARS alone before the drums come in.
With --percussion, most renders also get a hand-percussion part (tambourine, shaker), which a
drum chart leaves out: its hits are labelled with their General MIDI notes like the drums'.
Through a soundfont it is the soundfont's; with --kits, a recorded one (hydrogen_kits.PERCUSSION).
The split (train, validation, test) is Groove's own: fit on train, report on test.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import hydrogen_kits  # noqa: E402
from processing.audio import decode  # noqa: E402
from processing.transcription.adtof import track as adtof  # noqa: E402

SOUNDFONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2",
              "/usr/share/sounds/sf3/MuseScore_General.sf3")
SAMPLE_RATE = 44100
EXCERPT_S = 45.0
RENDER_TIMEOUT_S = 60
INTRO_BARS = 4
# Groove styles of the music DTX charts are made of, the ones the benchmarks score; its jazz,
# latin and afro-cuban performances (swing and clave grids) are rendered but left out there.
POPULAR_STYLES = ("rock", "pop", "punk", "blues", "country", "soul", "reggae", "dance", "hiphop", "funk")
METERS = {"4-4": (4, 4), "3-4": (3, 4), "6-8": (6, 8)}
# Scale degrees (semitones above the key's root) of each chord of the progressions used.
PROGRESSIONS = (
    (0, 7, 9, 5),  # I V vi IV
    (0, 5, 7, 5),  # I IV V IV
    (9, 5, 0, 7),  # vi IV I V
    (0, 10, 5, 0),  # I bVII IV I
    (0, 0, 5, 5, 0, 0, 7, 5),  # blues-like
    (9, 7, 5, 7),  # vi V IV V
)
MINOR_DEGREES = {9}
BASS_PROGRAMS = (33, 34, 38)
CHORD_PROGRAMS = (0, 4, 16, 24, 25, 29, 30, 48)
DRUM_CHANNEL, BASS_CHANNEL, CHORD_CHANNEL = 9, 0, 1
# How often each variant is drawn.
P_TEMPO_CHANGE, P_PICKUP, P_INTRO = 0.3, 0.3, 0.15
# Kick and snare notes (General MIDI) that place a performance on its grid, how close to an
# eighth note they must be (fraction of a beat), and the share of them a 4/4 performance must
# have there to be used: 16th-note funk and swung jazz are left out, because their MIDI grid
# cannot be checked this way.
BACKBONE_NOTES = (35, 36, 37, 38, 40)
GRID_TOLERANCE = 1 / 12
MIN_GRID_SHARE = 0.6
P_TWO_CHORDS_IN_BAR, P_CHORD_HELD_TWO_BARS, P_PUSHED_CHANGE = 0.2, 0.2, 0.25
# With --percussion: the share of renders with a hand-percussion part, its instruments (General
# MIDI: tambourine, cabasa, maracas), and its patterns: (step, first stroke) in beats from a bar
# line; "backbeat" plays 2 and 4. With --kits it sits this far below the drums while it plays
# (RMS, dB, drawn per render).
P_PERCUSSION = 0.7
SOUNDFONT_PERCUSSION_NOTES = (54, 54, 69, 70)  # the tambourine, the commonest in songs, twice as often
# The percussion part's draws come from their own generator, seeded (render number, this).
PERCUSSION_SEED = 1
PERCUSSION_PATTERNS = {"backbeat": (2.0, 1.0), "beats": (1.0, 0.0), "eighths": (0.5, 0.0), "sixteenths": (0.25, 0.0)}
PERCUSSION_LEVEL_DB = (-15.0, -3.0)
# With --kits: the accompaniment's RMS level against the drums', drawn per render (dB); bands
# are mixed louder than their drums more often than not.
BAND_LEVEL_DB = (-6.0, 6.0)


@dataclass(frozen=True)
class Render:
    name: str
    split: str
    meter: str
    style: str
    soundfont: str
    variant: str
    kit: str = ""


def drum_events(path: Path) -> tuple[int, int, list[tuple[int, mido.Message]]]:
    """(ticks per quarter, microseconds per quarter, [(absolute tick, note message)])."""
    midi = mido.MidiFile(path)
    tempo, events = 500000, []
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "set_tempo":
                tempo = message.tempo
            elif message.type in ("note_on", "note_off"):
                events.append((tick, message.copy(channel=DRUM_CHANNEL)))
    return midi.ticks_per_beat, tempo, events


def grid_offset(*, ppq: int, events: list[tuple[int, mido.Message]], denominator: int) -> tuple[int, float]:
    """(ticks, share): how far the performance's kicks and snares sit after the MIDI grid, and
    the share of them within GRID_TOLERANCE of an eighth note once moved back by it.

    Groove's MIDI keeps each drummer's latency against the click (tens of milliseconds, and
    in some sessions half a beat): the offset is the shift, under an eighth either way, that
    puts most kicks and snares on eighth notes, plus half a beat in duple meters where more
    of them then sit on the off-beats than on the beats.
    """
    onsets = np.array([tick for tick, message in events
                       if message.type == "note_on" and message.velocity > 0 and message.note in BACKBONE_NOTES])
    eighth, tolerance = ppq // 2, ppq * GRID_TOLERANCE
    best_share, offset = max((np.mean(_distance(onsets - shift, eighth) <= tolerance), shift)
                             for shift in range(-eighth // 2, eighth // 2, 5))
    if denominator == 4:
        on_beats = np.mean(_distance(onsets - offset, ppq) <= tolerance)
        off_beats = np.mean(_distance(onsets - offset - eighth, ppq) <= tolerance)
        if off_beats > on_beats:
            offset += eighth
    return offset, float(best_share)


def _distance(ticks: np.ndarray, period: int) -> np.ndarray:
    """Ticks to the nearest multiple of `period`."""
    remainder = np.mod(ticks, period)
    return np.minimum(remainder, period - remainder)


def accompaniment(*, rng: np.random.Generator, n_bars: int, bar_ticks: int, beat_ticks: int, start_tick: int,
                  key: int) -> list[tuple[int, mido.Message]]:
    """Bass and chord notes for n_bars bars from start_tick: (absolute tick, message)."""
    progression = PROGRESSIONS[rng.integers(len(PROGRESSIONS))]
    changes = []  # (tick, degree)
    bar, step = 0, 0
    while bar < n_bars:
        degree = progression[step % len(progression)]
        step += 1
        tick = start_tick + bar * bar_ticks
        pushed = bar > 0 and rng.random() < P_PUSHED_CHANGE
        changes.append((tick - beat_ticks // 2 if pushed else tick, degree))
        if rng.random() < P_TWO_CHORDS_IN_BAR and bar_ticks // beat_ticks % 2 == 0:
            changes.append((tick + bar_ticks // 2, progression[step % len(progression)]))
            step += 1
        bar += 2 if rng.random() < P_CHORD_HELD_TWO_BARS else 1
    end = start_tick + n_bars * bar_ticks
    events = []
    chord_style = rng.choice(["held", "beats", "eighths"])
    bass_style = rng.choice(["roots", "eighths", "root-fifth"])
    for index, (tick, degree) in enumerate(changes):
        until = min(changes[index + 1][0] if index + 1 < len(changes) else end, end)
        root = 48 + key + degree
        third = 3 if degree in MINOR_DEGREES else 4
        chord = (root, root + third, root + 7)
        bass_step = {"roots": beat_ticks, "eighths": beat_ticks // 2, "root-fifth": beat_ticks}[bass_style]
        chord_step = {"held": until - tick, "beats": beat_ticks, "eighths": beat_ticks // 2}[chord_style]
        for position in range(tick, until, max(bass_step, 1)):
            pitch = root - 24 + (7 if bass_style == "root-fifth" and (position - tick) // bass_step % 2 else 0)
            velocity = 100 if position == tick else 75
            events += [(position, mido.Message("note_on", channel=BASS_CHANNEL, note=pitch, velocity=velocity)),
                       (min(position + bass_step - 10, until), mido.Message("note_off", channel=BASS_CHANNEL, note=pitch))]
        for position in range(tick, until, max(chord_step, 1)):
            velocity = 85 if position == tick else 60
            for pitch in chord:
                events += [(position, mido.Message("note_on", channel=CHORD_CHANNEL, note=pitch, velocity=velocity)),
                           (min(position + chord_step - 10, until), mido.Message("note_off", channel=CHORD_CHANNEL, note=pitch))]
    return events


def percussion_part(*, rng: np.random.Generator, notes: tuple[int, ...], first_bar_tick: int, end_tick: int,
                    bar_ticks: int, beat_ticks: int, ppq: int) -> tuple[list[tuple[int, mido.Message]], str]:
    """A tambourine or shaker part on one of `notes`, from a bar line drawn in the first half of
    the bars from `first_bar_tick` (a bar line) to `end_tick`: ((absolute tick, message) pairs on
    the drum channel, "note-pattern")."""
    note = int(rng.choice(notes))
    pattern = str(rng.choice(list(PERCUSSION_PATTERNS)))
    step_beats, first_beat = PERCUSSION_PATTERNS[pattern]
    step = max(int(step_beats * (beat_ticks if step_beats >= 1 else ppq)), 1)
    start = first_bar_tick + int(rng.integers(0, max((end_tick - first_bar_tick) // bar_ticks // 2, 1))) * bar_ticks
    grid = np.arange(start + int(first_beat * beat_ticks), end_tick, step)
    accented = ((grid - start) % beat_ticks == 0) | (step >= beat_ticks)
    # A hand player drifts around the grid by a few milliseconds (ppq / 48: 10 ms at 120 BPM).
    ticks = grid + np.round(rng.normal(0.0, ppq / 48, len(grid))).astype(int)
    events = []
    for tick, accent in zip(ticks[ticks >= 0], accented[ticks >= 0]):
        velocity = int(np.clip((95 if accent else 70) + rng.normal(0.0, 8.0), 30, 127))
        events += [(int(tick), mido.Message("note_on", channel=DRUM_CHANNEL, note=note, velocity=velocity)),
                   (int(tick) + ppq // 8, mido.Message("note_off", channel=DRUM_CHANNEL, note=note))]
    return events, f"{note}-{pattern}"


def build_song(*, row: dict, groove: Path, rng: np.random.Generator, percussion_notes: tuple[int, ...] = (),
               percussion_rng: np.random.Generator | None = None) -> tuple[mido.MidiFile, np.ndarray, np.ndarray, str]:
    """A MIDI song and its labels: (midi, beat times (s), downbeat flags, variant). With
    `percussion_notes`, a part on one of them is drawn (P_PERCUSSION) from `percussion_rng`, its
    own generator, so that the rest of the song is drawn as without it."""
    ppq, tempo, drums = drum_events(groove / row["midi_filename"])
    numerator, denominator = METERS[row["time_signature"]]
    offset, _ = grid_offset(ppq=ppq, events=drums, denominator=denominator)
    drums = [(tick - offset, message) for tick, message in drums if tick >= offset]
    beat_ticks = ppq * 4 // denominator * (3 if denominator == 8 else 1)  # 6/8: dotted quarters
    bar_ticks = ppq * 4 * numerator // denominator
    excerpt_ticks = int(EXCERPT_S * 1e6 / tempo * ppq)
    variant = []
    first_tick = 0
    if rng.random() < P_PICKUP:
        pickup_beats = int(rng.integers(1, bar_ticks // beat_ticks))
        first_tick = bar_ticks - pickup_beats * beat_ticks  # the excerpt starts inside bar 0
        variant.append(f"pickup{pickup_beats}")
    intro_ticks = INTRO_BARS * bar_ticks if rng.random() < P_INTRO else 0
    if intro_ticks:
        variant.append("intro")
    # Song tick = performance tick - first_tick + intro_ticks.
    shift = intro_ticks - first_tick
    kept = [(tick + shift, message) for tick, message in drums if first_tick <= tick < first_tick + excerpt_ticks]
    end_tick = max(tick for tick, _ in kept) + beat_ticks
    # Bars run from the bar line at or before the song's start to the end.
    bar_zero = shift % bar_ticks - bar_ticks if shift % bar_ticks else 0
    n_bars = int(np.ceil((end_tick - bar_zero) / bar_ticks))
    events = kept + accompaniment(rng=rng, n_bars=n_bars, bar_ticks=bar_ticks, beat_ticks=beat_ticks,
                                  start_tick=bar_zero, key=int(rng.integers(12)))
    if percussion_notes and percussion_rng.random() < P_PERCUSSION:
        first_bar_tick = bar_zero + int(np.ceil((max(shift, 0) - bar_zero) / bar_ticks)) * bar_ticks
        part, pattern = percussion_part(rng=percussion_rng, notes=percussion_notes, first_bar_tick=first_bar_tick,
                                        end_tick=end_tick, bar_ticks=bar_ticks, beat_ticks=beat_ticks, ppq=ppq)
        events += part
        variant.append(pattern)
    # Every note ends by the song's end: FluidSynth renders for as long as a note is held.
    events = [(min(tick, end_tick), message) for tick, message in events
              if tick >= 0 and (message.type == "note_off" or tick < end_tick)]
    tempos = [(0, tempo)]
    if rng.random() < P_TEMPO_CHANGE:
        change_bar = int(rng.integers(n_bars // 3, 2 * n_bars // 3 + 1))
        factor = float(rng.choice([-1, 1]) * rng.uniform(0.08, 0.15))
        tempos.append((bar_zero + change_bar * bar_ticks, int(tempo / (1 + factor))))
        variant.append(f"tempo{factor:+.2f}")
    midi = mido.MidiFile(ticks_per_beat=ppq)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    programs = [mido.Message("program_change", channel=BASS_CHANNEL, program=int(rng.choice(BASS_PROGRAMS))),
                mido.Message("program_change", channel=CHORD_CHANNEL, program=int(rng.choice(CHORD_PROGRAMS)))]
    timeline = [(0, 0, message) for message in programs]
    timeline += [(tick, 1, mido.MetaMessage("set_tempo", tempo=value)) for tick, value in tempos]
    # note_off before note_on at one tick, so that repeated notes sound
    timeline += [(tick, 2 if message.type == "note_off" else 3, message) for tick, message in events]
    timeline.sort(key=lambda item: (item[0], item[1]))
    previous = 0
    for tick, _, message in timeline:
        track.append(message.copy(time=tick - previous))
        previous = tick
    beat_tick_grid = np.arange(bar_zero, end_tick, beat_ticks)
    beat_tick_grid = beat_tick_grid[beat_tick_grid >= 0]
    beats = ticks_to_seconds(ticks=beat_tick_grid, tempos=tempos, ppq=ppq)
    downbeats = (beat_tick_grid - bar_zero) % bar_ticks == 0
    return midi, beats, downbeats, "+".join(variant) or "plain"


def ticks_to_seconds(*, ticks: np.ndarray, tempos: list[tuple[int, int]], ppq: int) -> np.ndarray:
    """Seconds at each tick under (tick, microseconds per quarter) tempo changes."""
    seconds = np.zeros(len(ticks))
    for index, (start, tempo) in enumerate(tempos):
        end = tempos[index + 1][0] if index + 1 < len(tempos) else np.inf
        within = np.clip(np.asarray(ticks, dtype=float), start, end) - start
        seconds += within * tempo / 1e6 / ppq
    return seconds


def drum_hits(midi: mido.MidiFile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(seconds, General MIDI note, velocity) of every drum hit of `midi`, in time order."""
    times, notes, velocities, now = [], [], [], 0.0
    for message in midi:  # playback order, delta times in seconds under the file's tempos
        now += message.time
        if message.type == "note_on" and message.velocity > 0 and message.channel == DRUM_CHANNEL:
            times.append(now)
            notes.append(message.note)
            velocities.append(message.velocity)
    return np.array(times), np.array(notes, dtype=int), np.array(velocities, dtype=int)


def synthesize(*, midi: mido.MidiFile, soundfont: str) -> np.ndarray:
    """`midi` rendered by FluidSynth through `soundfont`: (n, 2) float32 at SAMPLE_RATE."""
    with tempfile.TemporaryDirectory() as folder:
        midi_path, wav_path = Path(folder) / "song.mid", Path(folder) / "song.wav"
        midi.save(midi_path)
        subprocess.run(["fluidsynth", "-ni", "-g", "0.5", "-r", str(SAMPLE_RATE), "-F", str(wav_path), soundfont,
                        str(midi_path)], check=True, capture_output=True, timeout=RENDER_TIMEOUT_S)
        samples, _ = soundfile.read(wav_path, dtype="float32", always_2d=True)
    return samples


def without_drums(midi: mido.MidiFile) -> mido.MidiFile:
    """`midi` with its drum channel's notes left out (tempo and timing kept)."""
    quiet = mido.MidiFile(ticks_per_beat=midi.ticks_per_beat)
    for track in midi.tracks:
        kept, carried = mido.MidiTrack(), 0
        for message in track:
            if getattr(message, "channel", None) == DRUM_CHANNEL and message.type in ("note_on", "note_off"):
                carried += message.time
                continue
            kept.append(message.copy(time=message.time + carried))
            carried = 0
        quiet.tracks.append(kept)
    return quiet


def render(*, midi: mido.MidiFile, soundfont: str, kit: str, path: Path, rng: np.random.Generator,
           percussion_rng: np.random.Generator | None = None) -> None:
    """Write the song to `path`: all of it through `soundfont`, or with `kit` (a key of
    hydrogen_kits.KITS) the drums on that recorded kit, a hand-percussion part (if any) on a
    recorded instrument drawn from `percussion_rng`, and the rest through `soundfont`."""
    if kit:
        band = synthesize(midi=without_drums(midi), soundfont=soundfont)
        times, notes, velocities = drum_hits(midi)
        duration_s = len(band) / SAMPLE_RATE
        drums = hydrogen_kits.render_drums(kit_name=kit, times=times, notes=notes, velocities=velocities,
                                           duration_s=duration_s, sample_rate=SAMPLE_RATE)
        level = 10 ** (rng.uniform(*BAND_LEVEL_DB) / 20) * _rms(drums) / max(_rms(band), 1e-9)
        struck = np.isin(notes, list(hydrogen_kits.PERCUSSION))
        if struck.any():
            drums = drums + recorded_percussion(rng=percussion_rng, drums=drums, times=times[struck],
                                                notes=notes[struck], velocities=velocities[struck])
        samples = drums[:len(band)] + level * band[:len(drums)]
    else:
        samples = synthesize(midi=midi, soundfont=soundfont)
    samples = samples * (0.8 / max(float(np.abs(samples).max()), 1e-6)) * float(rng.uniform(0.5, 1.0))
    soundfile.write(path, samples, SAMPLE_RATE)


def recorded_percussion(*, rng: np.random.Generator, drums: np.ndarray, times: np.ndarray, notes: np.ndarray,
                        velocities: np.ndarray) -> np.ndarray:
    """A hand-percussion part ((k,) s, General MIDI notes, velocities) on one of the recorded
    instruments for its note, PERCUSSION_LEVEL_DB below `drums` ((n, 2)) while it plays:
    (n, 2) float32."""
    sources = hydrogen_kits.PERCUSSION[int(notes[0])]
    part = hydrogen_kits.render_percussion(source=sources[rng.integers(len(sources))], times=times,
                                           velocities=velocities, duration_s=len(drums) / SAMPLE_RATE,
                                           sample_rate=SAMPLE_RATE)[:len(drums)]
    playing = slice(int(times.min() * SAMPLE_RATE), None)
    return 10 ** (rng.uniform(*PERCUSSION_LEVEL_DB) / 20) * _rms(drums[playing]) / max(_rms(part[playing]), 1e-9) * part


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples))))


def popular_renders(folder: Path) -> list[dict]:
    """The rows of a render folder's index.csv (name, split, meter, style, ...) whose style is
    one of POPULAR_STYLES: the renders the rhythm benchmarks and fits use."""
    with open(folder / "index.csv", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["style"].split("/")[0] in POPULAR_STYLES]


def choose_rows(groove: Path) -> list[dict]:
    """Groove's 'beat' performances of at least 20 s: every 3/4 and 6/8 one, and the 4/4 ones
    whose grid grid_offset can check."""
    rows = []
    for row in csv.DictReader(open(groove / "info.csv")):
        if row["beat_type"] != "beat" or row["time_signature"] not in METERS or float(row["duration"]) < 20:
            continue
        if row["time_signature"] == "4-4":
            ppq, _, drums = drum_events(groove / row["midi_filename"])
            if grid_offset(ppq=ppq, events=drums, denominator=4)[1] < MIN_GRID_SHARE:
                continue
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--groove", type=Path, default=ROOT.parent / "shared" / "data" / "groove")
    parser.add_argument("--model-dir", type=Path, default=ROOT.parent / "shared" / "models")
    parser.add_argument("--per-split", type=int, default=60, help="4/4 renders from each split at most")
    parser.add_argument("--kits", action="store_true", help="drums on Hydrogen's recorded kits (hydrogen-drumkits)")
    parser.add_argument("--percussion", action="store_true", help="a hand-percussion part in most renders")
    parser.add_argument("--only-split", help="render only this split's share of the draw (the same files)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2026)
    rows = choose_rows(args.groove)
    chosen, taken = [], {}
    for index in rng.permutation(len(rows)):
        row = rows[index]
        key = row["split"]
        if row["time_signature"] != "4-4" or taken.get(key, 0) < args.per_split:
            chosen.append(row)
            taken[key] = taken.get(key, 0) + (row["time_signature"] == "4-4")
    percussion_notes = (tuple(hydrogen_kits.PERCUSSION) if args.kits else SOUNDFONT_PERCUSSION_NOTES) \
        if args.percussion else ()
    index_rows = []
    for number, row in enumerate(chosen):
        if args.only_split and row["split"] != args.only_split:
            continue
        song_rng = np.random.default_rng(number)
        soundfont = SOUNDFONTS[number % len(SOUNDFONTS)]
        kit = tuple(hydrogen_kits.KITS)[number % len(hydrogen_kits.KITS)] if args.kits else ""
        name = f"{number:03d}-{row['style'].replace('/', '_')}-{row['time_signature']}"
        percussion_rng = np.random.default_rng((number, PERCUSSION_SEED))
        midi, beats, downbeats, variant = build_song(row=row, groove=args.groove, rng=song_rng,
                                                     percussion_notes=percussion_notes, percussion_rng=percussion_rng)
        audio_path = args.out / f"{name}.flac"
        drum_times, drum_notes, _ = drum_hits(midi)
        np.savez(args.out / f"{name}.labels.npz", beats=beats, downbeats=downbeats, drum_times=drum_times,
                 drum_notes=drum_notes)
        if not (args.out / f"{name}.analysis.npz").exists():
            render(midi=midi, soundfont=soundfont, kit=kit, path=audio_path, rng=song_rng,
                   percussion_rng=percussion_rng)
            spectrogram, activations = adtof.analyse(audio=decode(path=audio_path), model_dir=args.model_dir)
            np.savez(args.out / f"{name}.analysis.npz", spectrogram=spectrogram, activations=activations)
        index_rows.append(Render(name=name, split=row["split"], meter=row["time_signature"], style=row["style"],
                                 soundfont=Path(soundfont).name, variant=variant, kit=kit))
        print(name, row["split"], kit or Path(soundfont).name, variant, flush=True)
    if args.only_split and (args.out / "index.csv").exists():  # the other splits' renders stay listed
        with open(args.out / "index.csv", newline="") as handle:
            index_rows += [Render(**row) for row in csv.DictReader(handle) if row["split"] != args.only_split]
        index_rows.sort(key=lambda render: render.name)
    with open(args.out / "index.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(Render.__dataclass_fields__)
        writer.writerows([(r.name, r.split, r.meter, r.style, r.soundfont, r.variant, r.kit) for r in index_rows])


if __name__ == "__main__":
    main()
