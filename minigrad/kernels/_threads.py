"""Running batch chunks on two Python threads, each with a single-threaded BLAS.

Why not simply let OpenBLAS use both cores inside each GEMM? Because on a busy
machine its worker threads wait for each other at the end of every call: when
another process holds the core a worker needs, the GEMM waits for a whole
scheduler time slice. We measured a conv forward+backward going from 58 ms to
950 ms that way on the shared 2-core machine this was written on. Splitting the
batch between our own threads instead (NumPy's matmul and the nogil Numba
kernels release the GIL) keeps both cores busy with no barrier inside a call.

OpenBLAS's thread count is process-wide; `run_chunks` sets it to 1 while the
chunks run and restores it afterwards. If NumPy's OpenBLAS cannot be found (a
different BLAS), the chunks run on one thread and BLAS keeps its own threading.
"""

import ctypes
import glob
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

WORKERS = max(1, min(2, os.cpu_count() or 1))
_pool = None
_lock = threading.Lock()


def _find_openblas():
    """(get_num_threads, set_num_threads) of the OpenBLAS NumPy was built with, or None."""
    libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(libs, "*openblas*")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("openblas", "64_"),
                               ("openblas", "")):
            get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            set_ = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
            if get is not None and set_ is not None:
                set_.argtypes = [ctypes.c_int]
                return get, set_
    return None


_openblas = _find_openblas()


def _forget_pool_after_fork():
    """A forked child inherits the pool object but not its threads: start afresh."""
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def run_chunks(task, chunks):
    """[task(start, stop) for (start, stop) in chunks], on WORKERS threads with
    single-threaded BLAS. The tasks must write disjoint outputs."""
    global _pool
    if _openblas is None or WORKERS == 1 or len(chunks) == 1:
        return [task(start, stop) for start, stop in chunks]
    with _lock:  # one conv at a time owns the pool and the BLAS setting
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="minigrad")
        get_threads, set_threads = _openblas
        previous = get_threads()
        set_threads(1)
        try:
            return list(_pool.map(lambda chunk: task(*chunk), chunks))
        finally:
            set_threads(previous)
