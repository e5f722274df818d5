"""How long each stage of a conversion took, recorded where the work happens.

`pipeline.convert` opens a recording (`recording()`); any code it calls, however deep (the
adtof track's lane refinement, a thread encoding the BGM), marks its stretch with
`stage(name)`, and the seconds add up under that name. A stage that runs beside others (the
BGM's encoder) is timed on its own clock, so the stages may add up to more than the job's
wall time. Outside a recording `stage()` only runs the block: the tracks and the evaluation
use the same code without timing it.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager

DECODE = "decode"
SEPARATE = "separate"
TEMPO_MAP = "tempo map"
TRANSCRIBE = "transcribe"
LANES = "lanes"
ARRANGE = "arrange and reduce"
WRITE = "write"
ENCODE_BGM = "encode BGM"
PREVIEW = "preview"
PACKAGE = "package"
# The order the chart page and the worker's log list them in: the order they start.
STAGES = (DECODE, SEPARATE, ENCODE_BGM, PREVIEW, TEMPO_MAP, TRANSCRIBE, LANES, ARRANGE, WRITE, PACKAGE)

_recording: contextvars.ContextVar[dict[str, float] | None] = contextvars.ContextVar("stage_seconds", default=None)
# The stages open in this context, innermost last: [name, seconds spent in stages nested in it].
_open: contextvars.ContextVar[tuple[list, ...]] = contextvars.ContextVar("open_stages", default=())


@contextmanager
def recording() -> Iterator[dict[str, float]]:
    """{stage name: seconds}, filled by the `stage()` blocks run inside this one (and in threads
    started with `contextvars.copy_context()` from inside it)."""
    seconds: dict[str, float] = {}
    token = _recording.set(seconds)
    try:
        yield seconds
    finally:
        _recording.reset(token)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Add the block's wall time, in seconds, to `name` in the current recording (if any).

    A stage opened inside another counts once, under its own name: the outer stage gets the
    time its block took minus the time of the stages nested in it.
    """
    seconds = _recording.get()
    if seconds is None:
        yield
        return
    frame = [name, 0.0]
    outer = _open.get()
    token = _open.set((*outer, frame))
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        _open.reset(token)
        seconds[name] = seconds.get(name, 0.0) + elapsed - frame[1]
        if outer:
            outer[-1][1] += elapsed
