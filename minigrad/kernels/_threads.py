"""minigrad's own threads: work split into chunks, each run with a single-threaded BLAS.

Why not simply let OpenBLAS use both cores inside each GEMM? Two reasons, both
measured on a shared 2-core machine (the figures are in the history).
- Its worker threads wait for each other at the end of every call: when another
  process holds the core a worker needs, the GEMM waits for a whole scheduler
  time slice.
- After a threaded GEMM its workers spin, holding a core, for a long while
  (OPENBLAS_THREAD_TIMEOUT, read only when NumPy is imported) before they sleep.
  Everything that runs next on our threads then shares a core with a spinner.
So once our threads have run, every large product minigrad makes goes through
here (before that, in a model with no conv or pooling, OpenBLAS threads them as
usual: blas_may_thread): the batch (or the rows or columns of a GEMM) is split
between our threads (NumPy's matmul and the nogil
Numba kernels release the GIL), each calling BLAS single-threaded, with no barrier
inside a call and nothing left spinning for long afterwards.

A thread that has handed over or finished a chunk polls a flag for about 0.3 ms
before it sleeps (_spin.py): waking a sleeping thread took 95-215 us here, which a
small conv paid three times per forward and backward; within the poll a hand-off
takes 4-10 us. The poll never holds the GIL and stops by itself, so a process that
stops calling minigrad's kernels has nothing spinning a moment later.

OpenBLAS's thread count is process-wide; `run_chunks` sets it to 1 while the
chunks run and restores it afterwards, so the user's own NumPy code keeps its
setting. If NumPy's OpenBLAS cannot be found (a different BLAS), the chunks run on
one thread and BLAS keeps its own threading.

`set_num_threads(n)` / `get_num_threads()` (PyTorch's names, re-exported as
`minigrad.set_num_threads`) choose how many threads; the default is
$MINIGRAD_NUM_THREADS, else $OMP_NUM_THREADS, else the cores this process may use.
"""

import ctypes
import glob
import os
import queue
import threading

import numpy as np

from minigrad import _allocator

_pool = None
_lock = threading.Lock()


def _default_threads():
    """$MINIGRAD_NUM_THREADS, else $OMP_NUM_THREADS (PyTorch's convention, so one
    setting serves both and MPI ranks told to use one thread do), else the cores."""
    for variable in ("MINIGRAD_NUM_THREADS", "OMP_NUM_THREADS"):
        chosen = os.environ.get(variable, "").split(",")[0].strip()
        if chosen.isdigit() and int(chosen) > 0:
            return int(chosen)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_threads = _default_threads()


def get_num_threads():
    """How many threads minigrad's kernels split their work between."""
    return _threads


def set_num_threads(count):
    """Split minigrad's kernels (conv, pooling, large matmuls) between `count` threads."""
    global _threads, _pool
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, got {count!r}")
    with _lock:
        if count != _threads and _pool is not None:
            _pool.close()
            _pool = None
        _threads = count


SPIN_POLLS = 200_000  # how long a crew thread polls before it sleeps (_spin.py): ~0.3 ms
_JOBS, _RESULTS = 0, 1  # the crew's two flags


class _Crew:
    """`size` daemon threads that run chunks of a task beside the calling thread.

    Why not concurrent.futures? Its hand-off per call costs several times more than
    two C-level queues, a large share of a mid-sized GEMM. The caller runs the
    first chunk itself, then takes any still queued.
    """

    def __init__(self, size):
        from minigrad.kernels import _lazy

        _lazy.load_numba()
        from minigrad.kernels._spin import wait_for_change

        self._wait_for_change = wait_for_change
        self.inbox, self.outbox = queue.SimpleQueue(), queue.SimpleQueue()
        # [jobs posted, results posted]: bumped after each put, polled before a
        # blocking get, so a thread about to sleep sees new work in microseconds
        self.flags = np.zeros(2, dtype=np.int64)
        for number in range(size):
            threading.Thread(target=self._serve, name=f"minigrad-{number}", daemon=True).start()
        self.size = size

    def _get(self, box, flag):
        """box.get(), after polling `flag` for a while (_spin.py) if box is empty."""
        seen = int(self.flags[flag])
        try:
            return box.get_nowait()
        except queue.Empty:
            self._wait_for_change(self.flags, flag, seen, SPIN_POLLS)
            return box.get()

    def _serve(self):
        while (job := self._get(self.inbox, _JOBS)) is not None:
            index, task, start, stop = job
            try:
                self.outbox.put((index, task(start, stop), None))
            except BaseException as error:  # noqa: BLE001  (re-raised in the caller)
                self.outbox.put((index, None, error))
            self.flags[_RESULTS] += 1

    def run(self, task, chunks):
        results, errors = [None] * len(chunks), []
        for index, (start, stop) in enumerate(chunks[1:], 1):
            self.inbox.put((index, task, start, stop))
        self.flags[_JOBS] += 1
        waiting = len(chunks) - 1
        job = (0, task) + tuple(chunks[0])
        while job is not None:
            index, _, start, stop = job
            try:
                results[index] = task(start, stop)
            except BaseException as error:  # noqa: BLE001  (re-raised below)
                errors.append(error)
            try:
                job = self.inbox.get_nowait()
                waiting -= 1
            except queue.Empty:
                job = None
        for _ in range(waiting):
            index, result, error = self._get(self.outbox, _RESULTS)
            results[index] = result
            if error is not None:
                errors.append(error)
        if errors:
            raise errors[0]
        return results

    def close(self):
        for _ in range(self.size):
            self.inbox.put(None)


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
    """[task(start, stop) for (start, stop) in chunks], on get_num_threads() threads
    with single-threaded BLAS. The tasks must write disjoint outputs."""
    global _pool
    if _allocator.TUNED is None:
        _allocator.apply_once()  # minigrad's kernels are running: its malloc settings now
    if _openblas is None or not chunks:  # no chunks: an empty batch
        return [task(start, stop) for start, stop in chunks]
    with _lock:  # one kernel at a time owns the pool and the BLAS setting
        get_blas_threads, set_blas_threads = _openblas
        previous = get_blas_threads()
        set_blas_threads(1)
        try:
            if _threads == 1 or len(chunks) == 1:
                return [task(start, stop) for start, stop in chunks]
            if _pool is None:
                _pool = _Crew(_threads - 1)
            return _pool.run(task, chunks)
        finally:
            set_blas_threads(previous)


def batch_chunks(n_batch, bytes_per_sample, chunk_bytes):
    """[start, stop) sample ranges of near-equal size, each with buffers of about
    `chunk_bytes` or less, in a whole number of rounds of get_num_threads() chunks:
    64 samples of 100 KB in 2 MB chunks are 4 x 16, not 20 + 20 + 20 + 4 (whose last
    round leaves one thread idle for most of it)."""
    threads = get_num_threads()
    pieces = max(1, -(-n_batch * bytes_per_sample // max(1, chunk_bytes)))
    pieces = min(n_batch, -(-pieces // threads) * threads)
    return split(n_batch, pieces)


def blas_may_thread():
    """May a GEMM use OpenBLAS's own threads? Only until minigrad's crew first runs
    (and only with more than one thread): from then on OpenBLAS workers left spinning
    after a threaded GEMM would hold the cores the crew needs, so minigrad's GEMMs
    run BLAS single-threaded (see the module docstring). A process that never runs
    a threaded conv or pooling kernel, an MLP say, keeps OpenBLAS's threading."""
    return _pool is None and _threads > 1


def split(length, pieces, align=1):
    """[start, stop) ranges cutting range(length) into at most `pieces` near-equal
    parts, each boundary a multiple of `align`."""
    step = -(-length // max(1, pieces))
    step = max(align, -(-step // align) * align)
    return [(start, min(start + step, length)) for start in range(0, length, step)]
