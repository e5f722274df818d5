"""Checks a DTX package against the rules DTXMania and players rely on.

Returns the problems found as sentences; an empty list means the package is sound.
"""

from __future__ import annotations

import zipfile
from collections import defaultdict
from pathlib import Path, PurePosixPath

from processing.difficulty import HAND_LANES, MAX_FEET, MAX_HANDS
from processing.dtx.format import CHANNEL_BAR_LENGTH, CHANNEL_BGM, CHANNEL_BPM, LINE_END, UTF8_BOM
from processing.dtx.reader import PACKED_LEVEL_FROM, DtxFormatError, decode_dtx_bytes, parse_dtx
from processing.dtx.writer import LEAD_IN_S
from processing.lanes import FOOT_LANES, LANE_BY_CHANNEL, Lane
from processing.package import set_def_entries

EXPECTED_LABELS = ("BASIC", "ADVANCED", "EXTREME", "MASTER")
ALLOWED_CHANNELS = set(LANE_BY_CHANNEL) | {CHANNEL_BGM, CHANNEL_BAR_LENGTH, CHANNEL_BPM}
SAME_TIME_S = 0.0005
MAX_LEVEL = 999  # 9.99: DTXMania's scale, whose 10.00 the portable #DLEVEL form cannot write


def validate_package(*, path: Path) -> list[str]:
    problems: list[str] = []
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        folders = {PurePosixPath(name).parts[0] for name in names}
        if len(folders) != 1:
            return [f"the zip must hold one song folder, not {sorted(folders)}"]
        folder = folders.pop()
        set_def_name = f"{folder}/set.def"
        if set_def_name not in names:
            return ["set.def is missing"]
        set_def = _text(archive.read(set_def_name), "set.def", problems)
        entries = set_def_entries(set_def)
        labels = [entries.get(f"L{i}LABEL", "") for i in range(1, 5)]
        if tuple(labels) != EXPECTED_LABELS:
            problems.append(f"set.def labels are {labels}, expected {list(EXPECTED_LABELS)}")
        levels = []
        for index in range(1, 5):
            file_name = entries.get(f"L{index}FILE", "")
            member = f"{folder}/{file_name}"
            if not file_name or member not in names:
                problems.append(f"set.def level {index} names '{file_name}', which is not in the package")
                continue
            level = _validate_dtx(archive, folder=folder, member=member, names=names, problems=problems)
            levels.append(level)
        if levels != sorted(set(levels)) or len(levels) != 4:
            problems.append(f"#DLEVEL values must rise from BASIC to MASTER: {levels}")
    return problems


def _text(data: bytes, name: str, problems: list[str]) -> str:
    text = decode_dtx_bytes(data)
    if not data.startswith(UTF8_BOM.encode()):
        try:
            data.decode("shift_jis")
        except UnicodeDecodeError:
            problems.append(f"{name} is neither UTF-8 with a byte-order mark nor Shift-JIS")
    if text.replace(LINE_END, "").count("\n") or text.replace(LINE_END, "").count("\r"):
        problems.append(f"{name} must use CRLF line endings throughout")
    return text


def _validate_dtx(archive: zipfile.ZipFile, *, folder: str, member: str, names: set[str],
                  problems: list[str]) -> int:
    name = PurePosixPath(member).name
    text = _text(archive.read(member), name, problems)
    for line in text.splitlines():
        if line.startswith("#") and ";" in line:
            problems.append(f"{name}: a header value holds ';', which DTXMania cuts as a comment: {line!r}")
    try:
        dtx = parse_dtx(text=text)
    except (DtxFormatError, ValueError) as error:
        problems.append(f"{name}: {error}")
        return -1
    if not dtx.headers.get("TITLE"):
        problems.append(f"{name}: #TITLE is missing")
    try:
        level = dtx.level
    except ValueError:
        problems.append(f"{name}: #DLEVEL or #DLVDEC is not a whole number")
        return -1
    if not 0 < level <= MAX_LEVEL:
        problems.append(f"{name}: level {level / 100:.2f} is outside 0.01..{MAX_LEVEL / 100:.2f}")
    if int(dtx.headers.get("DLEVEL", "0") or 0) >= PACKED_LEVEL_FROM:
        problems.append(f"{name}: #DLEVEL {dtx.headers['DLEVEL']} is clamped to 100 by the original DTXMania; "
                        f"write #DLEVEL: {level // 10} with #DLVDEC: {level % 10}")
    preview = dtx.headers.get("PREVIEW")
    if not preview or f"{folder}/{preview}" not in names:
        problems.append(f"{name}: #PREVIEW file '{preview}' is not in the package")
    for chip_id, sound in dtx.wavs.items():
        if f"{folder}/{sound}" not in names:
            problems.append(f"{name}: #WAV{chip_id} '{sound}' is not in the package")
    channels = {chip.channel for chip in dtx.chips}
    if channels - ALLOWED_CHANNELS:
        problems.append(f"{name}: channels {sorted(channels - ALLOWED_CHANNELS)} are not drum channels")
    undefined = {chip.chip_id for chip in dtx.chips} - set(dtx.wavs)
    if undefined:
        problems.append(f"{name}: chips {sorted(undefined)} have no #WAV definition")
    bgm = [chip for chip in dtx.chips if chip.channel == CHANNEL_BGM]
    if len(bgm) != 1:
        problems.append(f"{name}: expected one BGM chip, found {len(bgm)}")
        return level
    notes = [(chip.time_s, LANE_BY_CHANNEL[chip.channel]) for chip in dtx.chips if chip.channel in LANE_BY_CHANNEL]
    if notes and min(t for t, _ in notes) < LEAD_IN_S - 1e-6:
        problems.append(f"{name}: less than {LEAD_IN_S} s before the first note")
    problems.extend(f"{name}: {problem}" for problem in _limb_problems(notes))
    return level


def _limb_problems(notes: list[tuple[float, Lane]]) -> list[str]:
    chords: dict[int, set[Lane]] = defaultdict(set)
    for time, lane in notes:
        chords[round(time / SAME_TIME_S)].add(lane)
    problems = []
    for key, lanes in sorted(chords.items()):
        at = f"at {key * SAME_TIME_S:.3f} s"
        if len(lanes & HAND_LANES) > MAX_HANDS:
            problems.append(f"more than {MAX_HANDS} hands {at}: {sorted(l.value for l in lanes)}")
        if len(lanes & FOOT_LANES) > MAX_FEET:
            problems.append(f"more than {MAX_FEET} feet {at}")
        if {Lane.HIHAT_CLOSED, Lane.HIHAT_OPEN} <= lanes:
            problems.append(f"open and closed hi-hat together {at}")
        if {Lane.HIHAT_PEDAL, Lane.HIHAT_OPEN} <= lanes:
            problems.append(f"hi-hat pedal under an open hi-hat {at}")
    return problems
