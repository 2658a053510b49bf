"""Compiled kernels and their textbook references. NumPy arrays in and out; no Tensor.

    conv.py     im2col / col2im packing around a BLAS GEMM (convolution)
    winograd.py F(2x2, 3x3) for 3x3 stride-1 convolutions with many channels
    pool.py     max and average pooling, forward and adjoint
    norm.py     batch-norm statistics, normalisation and its closed-form backward
    matmul.py   batches of tiny matrices, and x W^T + b with a small inner dimension
    naive.py    the old names of the textbook loops (now in minigrad.reference)
    _threads.py minigrad's threads: chunks of work, each with a single-threaded BLAS
    _spans.py   in-bounds tap ranges, and span copies on unsigned offsets (why: there)
    special.py  erf, and relu as a branch-free compiled loop

Compilation. Every kernel is `@njit(cache=True)` without signatures: nothing
compiles when minigrad is imported; the first call compiles once per dtype and
the machine code is cached on disk. Numba writes that cache next to the source
(`__pycache__`) and, when the package directory is read-only (a system-wide
install), falls back to a per-user directory (`$NUMBA_CACHE_DIR`, else
`~/.cache/numba`). If neither is writable (a read-only install run by a user
without a writable home, e.g. in a container), Numba would refuse to define the
kernels at all, so we then point its cache at a per-user temporary directory.
tests/kernels/test_compile.py checks all three cases as an unprivileged user.

Reference mode. Every public kernel checks `minigrad.reference_mode_enabled()` on
its first line and then runs its textbook twin, the function of the same name in
minigrad.reference (plain NumPy loops, for reading and for checking).

Threads. conv, pool and large matmuls split their work between minigrad's own
threads, each calling BLAS single-threaded (_threads.py says why;
`minigrad.set_num_threads`). matmul's batched kernel is `parallel=True` and runs
on Numba's OpenMP thread pool. By default
OpenMP threads spin at every barrier; on a small machine shared with other work
(or with OpenBLAS's own spinning threads after a GEMM) a spinning thread can hold
the core the last worker needs, and each kernel call then waits a whole
scheduler time slice, even a 2x2 max-pool on a tiny array. So unless the user
chose otherwise, we ask OpenMP to wait passively. The OpenMP runtime reads this
once, when it is loaded, which Numba does at the first parallel call; importing
minigrad comes first in practice (it does not help if torch was imported before
minigrad: torch loads it).
"""

import os
import tempfile

import numba
from numba.misc.appdirs import user_cache_dir

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _writable(directory):
    """Could we create `directory` (or write into it if it exists)?"""
    while not os.path.exists(directory):
        parent = os.path.dirname(directory)
        if parent == directory:
            return False
        directory = parent
    return os.access(directory, os.W_OK | os.X_OK)


def _ensure_a_cache_location():
    if numba.config.CACHE_DIR or _writable(os.path.join(os.path.dirname(__file__),
                                                        "__pycache__")):
        return
    if _writable(user_cache_dir(appname="numba", appauthor=False)):
        return  # Numba's own user-wide fallback will be used
    user = getattr(os, "getuid", lambda: "user")()
    numba.config.CACHE_DIR = os.path.join(tempfile.gettempdir(), f"minigrad-numba-cache-{user}")


_ensure_a_cache_location()
