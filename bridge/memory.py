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
