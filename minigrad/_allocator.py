"""Keep freed NumPy buffers in the process instead of handing them back to the OS.

A training step allocates the same large temporaries again and again: activations,
their gradients, im2col columns, Winograd tiles (0.1 to 30 MB each). glibc's malloc
serves a block above its mmap threshold (128 KB at first, raised as blocks are
freed) with a fresh mmap, and trims freed memory at the top of the heap back to the
OS; each time the block comes back, the kernel zero-fills it page by page on first
touch. On the 2-core machine this was written on, a step of the small CNN of
benchmarks/bench_train.py spent about a quarter of its time in those page faults:

    glibc defaults                                   59-62 ms
    mmap threshold 16 MB, trim threshold 256 MB      41-48 ms
    either setting alone                             86-137 ms  (each undoes the other's
                                                                 dynamic adjustment)

So, once, when minigrad's first compiled kernel runs (never at import: a process
that only imports minigrad, or whose heavy lifting is another library's, keeps
glibc's defaults), we ask glibc (mallopt) to serve blocks up to 16 MB from the
heap and to keep up to 256 MB of free heap before trimming. The cost is that the
process's resident memory does not shrink after a peak; nothing is ever lost.

Left alone when: not glibc (macOS, musl, Windows), the user already tuned malloc
(MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_, or malloc tunables in
GLIBC_TUNABLES), or MINIGRAD_TUNE_MALLOC=0.
"""

import ctypes
import ctypes.util
import os

MMAP_THRESHOLD = 16 << 20
TRIM_THRESHOLD = 256 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers


def _user_tuned_malloc(environ):
    return (environ.get("MINIGRAD_TUNE_MALLOC", "1") == "0"
            or "MALLOC_MMAP_THRESHOLD_" in environ or "MALLOC_TRIM_THRESHOLD_" in environ
            or "glibc.malloc" in environ.get("GLIBC_TUNABLES", ""))


def _glibc():
    """The C library if it is glibc, else None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        return None
    return libc


def tune_malloc(environ=os.environ):
    """Apply the two settings; True if glibc accepted both."""
    if _user_tuned_malloc(environ):
        return False
    libc = _glibc()
    if libc is None:
        return False
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


TUNED = None   # not yet decided; then True (applied) or False (left alone)


def apply_once():
    """tune_malloc() the first time it is called (minigrad.kernels._lazy calls it
    before the first kernel runs); the outcome is kept in TUNED."""
    global TUNED
    if TUNED is None:
        TUNED = tune_malloc()
    return TUNED


def settings():
    """What is in force, for minigrad.show_config()."""
    if TUNED is None:
        state = "not applied yet (applied when the first compiled kernel runs)"
    elif TUNED:
        state = "applied"
    else:
        state = "left alone (not glibc, user-tuned malloc, or MINIGRAD_TUNE_MALLOC=0)"
    return {"malloc_tuning": state, "mmap_threshold_bytes": MMAP_THRESHOLD if TUNED else None,
            "trim_threshold_bytes": TRIM_THRESHOLD if TUNED else None}
