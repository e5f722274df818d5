"""One split of bench/groove_renders.py's renders as a folder `manage.py evaluate` scores.

Run: .venv/bin/python bench/renders_as_songs.py RENDERS OUT [--split test]
     .venv/bin/python manage.py evaluate --songs OUT --track TRACK
Writes OUT/NAME.flac (a link to the render) with NAME.class.txt and NAME.subclass.txt in MDB
Drums' format, from the rendered General MIDI notes: the held-out renders scored per class
and per lane like the development songs.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

# Groove MIDI drum note -> (MDB class, MDB subclass); notes without a lane are left out.
# Groove's drummers play three toms, and a chart puts them in the three tom lanes: tom 1 (48,
# its rim 50) high (HT), tom 2 (45, 47) low (LT), the floor tom (43, 58) floor (FT). In MDB's
# subclasses, which processing.evaluation maps to lanes, those are HIT, HFT and LFT.
NOTES = {
    35: ("KD", "KD"), 36: ("KD", "KD"),
    37: ("SD", "SST"), 38: ("SD", "SD"), 40: ("SD", "SD"),
    42: ("HH", "CHH"), 22: ("HH", "CHH"), 44: ("HH", "PHH"), 46: ("HH", "OHH"), 26: ("HH", "OHH"),
    48: ("TT", "HIT"), 50: ("TT", "HIT"), 45: ("TT", "HFT"), 47: ("TT", "HFT"), 43: ("TT", "LFT"),
    58: ("TT", "LFT"), 41: ("TT", "LFT"),
    49: ("CY", "CRC"), 57: ("CY", "CRC"), 55: ("CY", "SPC"), 52: ("CY", "CHC"),
    51: ("CY", "RDC"), 59: ("CY", "RDC"), 53: ("CY", "RDB"),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("renders", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for row in csv.DictReader(open(args.renders / "index.csv")):
        if row["split"] != args.split:
            continue
        labels = np.load(args.renders / f"{row['name']}.labels.npz")
        events = sorted((float(time), *NOTES[int(note)]) for time, note in zip(labels["drum_times"], labels["drum_notes"])
                        if int(note) in NOTES)
        for column, suffix in ((1, ".class.txt"), (2, ".subclass.txt")):
            (args.out / f"{row['name']}{suffix}").write_text("".join(f"{event[0]:.6f} \t {event[column]} \n"
                                                                     for event in events))
        link = args.out / f"{row['name']}.flac"
        if not link.exists():
            link.symlink_to((args.renders / f"{row['name']}.flac").resolve())


if __name__ == "__main__":
    main()
