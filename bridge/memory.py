"""Give memory that the run has freed back to the operating system.

A table read or transformed column by column frees many arrays of a few MB each. glibc keeps
such freed blocks in the process for reuse, but the big arrays of the next stage (a 250 MB copy
inside gradient boosting, say) are mapped fresh and cannot reuse them, so without this the peak
of each stage stacks on the leftovers of the last. ``malloc_trim`` returns them; elsewhere
(macOS, musl, Windows) this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import threading
import time


@functools.cache
def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


def release_unused_memory() -> None:
    """Collect garbage and hand freed heap pages back; call between the big stages of a run."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


M_ARENA_MAX = -8  # glibc's mallopt parameter number for the arena cap
_housekeeper: threading.Thread | None = None


def serve_with_bounded_heap(arenas: int = 2, every_seconds: float = 20.0) -> None:
    """For a long-lived server: cap malloc arenas, and hand freed memory back every ``every_seconds``; once per process.

    Each Streamlit session parses its uploads on a thread of its own, and glibc gives such threads
    arenas of their own that keep what they freed; capping them keeps that memory in a few shared
    arenas that ``malloc_trim`` empties. Closed sessions are freed only when the garbage collector
    next breaks their reference cycles, which an idle server rarely does on its own: the thread runs
    it, then trims, so memory falls back after people leave rather than at the next visit.
    """
    global _housekeeper
    if _housekeeper is not None:
        return
    trim = _malloc_trim()
    if trim is not None:
        try:
            ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt(M_ARENA_MAX, arenas)
        except (OSError, AttributeError):
            pass

    def loop():
        while True:
            time.sleep(every_seconds)
            release_unused_memory()

    _housekeeper = threading.Thread(target=loop, name="bridge-memory", daemon=True)
    _housekeeper.start()
