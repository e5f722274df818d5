"""Giving a long-lived worker's freed memory back to the system between jobs.

A worker keeps its models across jobs, so it lives for many songs. glibc's allocator keeps
the memory a job freed in its arenas (TensorFlow's threads each get one) instead of
returning it, and the next job's peak then starts from the last one's; `malloc_trim`
returns the free pages. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import lru_cache


@lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        library = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return library if library is not None and hasattr(library, "malloc_trim") else None


def release_freed_memory() -> None:
    """Collect garbage, then return the allocator's free memory to the system."""
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
