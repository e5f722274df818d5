"""Facts of the DTX format shared by the writer and the reader (as DTXMania(NX) parses it).

- Object lines are `#BBBCC: data`: BBB the bar (first digit base 36, then two decimals),
  CC the channel (hex), data pairs of base-36 chip ids, "00" for nothing.
- A bar has 384 ticks whatever its length; with N pairs, pair i sits at tick 384*i//N.
- Channel 02 sets the bar length (a factor of 4/4) and it persists until set again.
- Channel 08 changes the BPM to the value of #BPMzz; channel 01 plays a BGM chip.
- DTXMania inserts one empty bar before bar 000 at the header #BPM.
- Text: Shift-JIS, or UTF-8 with a byte-order mark; ";" starts a comment anywhere.
"""

from __future__ import annotations

BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TICKS_PER_BAR = 384
MS_PER_TICK_AT_1_BPM = 60_000 * 4 / TICKS_PER_BAR  # 625: a tick lasts 625 / BPM ms at bar length 1
CHANNEL_BGM = "01"
CHANNEL_BAR_LENGTH = "02"
CHANNEL_BPM_INTEGER = "03"
CHANNEL_BPM = "08"
MAX_BAR = 35 * 100 + 99  # "Z99"
MAX_CHIP_ID = 36 * 36 - 1  # "ZZ"
UTF8_BOM = "\ufeff"
LINE_END = "\r\n"


def encode_base36(number: int) -> str:
    """Two-character base-36 id ("01".."ZZ") of 1 <= number <= 1295."""
    if not 0 < number <= MAX_CHIP_ID:
        raise ValueError(f"chip id {number} out of range 1..{MAX_CHIP_ID}")
    return BASE36[number // 36] + BASE36[number % 36]


def encode_bar(bar: int) -> str:
    """Three-character bar number: 0..999 as decimals, then A00 = 1000 ... Z99 = 3599."""
    if not 0 <= bar <= MAX_BAR:
        raise ValueError(f"bar {bar} out of range 0..{MAX_BAR}")
    return BASE36[bar // 100] + f"{bar % 100:02d}"


def decode_bar(text: str) -> int:
    return BASE36.index(text[0].upper()) * 100 + int(text[1:3])


def safe_header_value(value: str) -> str:
    """A header value that survives DTXMania's parser: no ';' (a comment) and one line."""
    return " ".join(value.replace(";", ",").split())
