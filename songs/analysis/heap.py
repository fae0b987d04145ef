"""Keep freed block-sized buffers in the heap while an analysis runs.

Every block's temporaries are a few hundred kilobytes to a few megabytes. glibc serves
allocations that size with a fresh mmap and hands them back on free, and trims the top of
the heap as soon as a little is free, so every block's arrays page-fault in anew: 140,000
faults and a fifth of the CPU time of four minutes' analysis. While an analysis runs the
allocator is told to keep them (mallopt: mmap only above 32 MB, trim only above 64 MB);
afterwards glibc's defaults are set back and the free memory is returned, so a worker
process does not keep it. Memory stays flat in the file's length: the buffers are the
same few blocks, reused. Without glibc (macOS, musl) this does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import threading
from collections.abc import Iterator

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_KEEP_BELOW = 32 * 1024 * 1024  # glibc's largest mmap threshold on 64-bit
_TRIM_ABOVE = 64 * 1024 * 1024
_GLIBC_DEFAULT = 128 * 1024

_lock = threading.Lock()
_depth = 0


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt  # noqa: B018 - absent outside glibc
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError, TypeError):
        return None
    return libc


_LIBC = _libc()


@contextlib.contextmanager
def reused_heap() -> Iterator[None]:
    global _depth
    if _LIBC is None:
        yield
        return
    with _lock:
        if _depth == 0:
            _LIBC.mallopt(_M_MMAP_THRESHOLD, _KEEP_BELOW)
            _LIBC.mallopt(_M_TRIM_THRESHOLD, _TRIM_ABOVE)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _LIBC.mallopt(_M_MMAP_THRESHOLD, _GLIBC_DEFAULT)
                _LIBC.mallopt(_M_TRIM_THRESHOLD, _GLIBC_DEFAULT)
                _LIBC.malloc_trim(0)
