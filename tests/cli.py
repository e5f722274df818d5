"""Running `manage.py convert` as a user does, and reading back the MASTER chart it wrote."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from processing.dtx.reader import DtxFile, decode_dtx_bytes, parse_dtx

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 300


def convert_master_chart(song: Path, *flags: str, title: str, out: Path) -> DtxFile:
    """Convert `song` with `flags` into `out`/`title`.zip (the command must succeed) and parse
    its master.dtx."""
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), "convert", str(song), *flags,
                             "--title", title, "--out", str(out)], cwd=out, capture_output=True, text=True,
                            timeout=TIMEOUT_S)
    assert result.returncode == 0, result.stderr
    return parse_dtx(text=decode_dtx_bytes(zipfile.ZipFile(out / f"{title}.zip").read(f"{title}/master.dtx")))
