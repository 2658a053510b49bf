"""The communicator: who am I, how many are we, and the three collectives data
parallelism needs (Allreduce, Bcast, Barrier), on MPI or in a single process.

    dist = minigrad.distributed.init()     # MPI under mpiexec, else one process
    dist.rank, dist.size, dist.is_main     # 0..K-1, K, rank == 0
    dist.allreduce_(array)                 # in place: array <- sum over ranks
    dist.broadcast_(array, root=0)         # in place: array <- root's array

MPI (Message Passing Interface, the standard of cluster computing) does the
transport, the process launch (mpiexec) and the collective algorithms; mpi4py
gives Python access to it. Nothing here opens a socket itself.

Failure handling. A plain MPI collective waits forever for a rank that died or
hangs. Two guards bound that wait:
  * `init()` installs an exception hook: a rank whose Python code raises prints
    its traceback and calls MPI_Abort, which makes mpiexec kill every rank and
    exit non-zero;
  * every collective is started non-blocking (Iallreduce, Ibcast, Ibarrier) and
    polled until `timeout` seconds have passed; then it raises
    DistributedTimeoutError naming the collective, which the hook turns into an
    Abort as well. A rank stuck in a long computation or a lost host therefore
    ends the run within `timeout` seconds, with a clear message.
"""

import os
import sys
import time
import traceback

import numpy as np

from minigrad.errors import MinigradError

__all__ = ["Communicator", "LocalBackend", "MPIBackend", "DistributedError",
           "DistributedTimeoutError", "init", "get_world", "launched_by_mpi",
           "DEFAULT_TIMEOUT"]

# seconds a collective may wait for the slowest rank before the run is aborted;
# generous, because rank 0 may be writing a checkpoint while the others wait
DEFAULT_TIMEOUT = float(os.environ.get("MINIGRAD_DIST_TIMEOUT", "600"))

# set by the launchers of MPICH/Intel MPI (PMI), Open MPI, PMIx and MVAPICH
_LAUNCHER_VARIABLES = ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                       "MV2_COMM_WORLD_SIZE")


class DistributedError(MinigradError, RuntimeError):
    """Misuse of the communicator, or MPI is needed but not available."""


class DistributedTimeoutError(DistributedError):
    """A collective did not complete within the communicator's timeout."""


def launched_by_mpi():
    """True when this process was started by mpiexec/mpirun/srun (any of the usual MPIs)."""
    return any(name in os.environ for name in _LAUNCHER_VARIABLES)


# ----------------------------------------------------------------- backends
class LocalBackend:
    """One process, world size 1: every collective is the identity."""

    rank, size, name = 0, 1, "local"

    def allreduce_(self, array):
        return array

    def broadcast_(self, array, root):
        return array

    def barrier(self):
        pass

    def abort(self, code):
        os._exit(code)


class MPIBackend:
    """MPI through mpi4py on COMM_WORLD (or the communicator given).

    Args:
        comm: an mpi4py communicator (default MPI.COMM_WORLD).
        timeout: seconds each collective may take, or None to block without limit.
    """

    name = "mpi"

    def __init__(self, comm=None, timeout=DEFAULT_TIMEOUT):
        from mpi4py import MPI

        self.MPI = MPI
        self.comm = comm if comm is not None else MPI.COMM_WORLD
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.timeout = timeout

    def allreduce_(self, array):
        if self.timeout is None:
            self.comm.Allreduce(self.MPI.IN_PLACE, array, op=self.MPI.SUM)
        else:
            self._wait(self.comm.Iallreduce(self.MPI.IN_PLACE, array, op=self.MPI.SUM),
                       f"Allreduce of {array.size} {array.dtype} values")
        return array

    def broadcast_(self, array, root):
        if self.timeout is None:
            self.comm.Bcast(array, root=root)
        else:
            self._wait(self.comm.Ibcast(array, root=root),
                       f"Bcast of {array.size} {array.dtype} values from rank {root}")
        return array

    def barrier(self):
        if self.timeout is None:
            self.comm.Barrier()
        else:
            self._wait(self.comm.Ibarrier(), "Barrier")

    def abort(self, code):
        self.comm.Abort(code)

    def _wait(self, request, what):
        """Poll `request` until done; raise after `timeout` seconds.

        MPI moves a non-blocking collective forward only inside MPI calls, so the
        first 50 ms are polled without pause, as a blocking MPI call would spin,
        yielding the core between polls (as MPICH does) in case a late rank shares
        it. Only a rank kept waiting longer, e.g. while rank 0 writes a checkpoint,
        sleeps between polls (doubling up to 1 ms).
        """
        start = time.perf_counter()
        pause = 0.0
        while not request.Test():
            waited = time.perf_counter() - start
            if waited > self.timeout:
                raise DistributedTimeoutError(
                    f"rank {self.rank} of {self.size}: {what} did not complete within "
                    f"{self.timeout:g} s; another rank has failed, hangs or is unreachable "
                    f"(raise the limit with init(timeout=...) or MINIGRAD_DIST_TIMEOUT)")
            if waited > 0.05:
                pause = min(1e-3, max(2 * pause, 2e-5))
                time.sleep(pause)
            else:
                os.sched_yield()


# ----------------------------------------------------------------- communicator
class Communicator:
    """Rank, size and collectives on NumPy arrays, plus timing of the Allreduce calls.

    The model-level helpers (broadcast_module, average_gradients, metric
    reduction) are written once on top of these primitives, so a single process
    (LocalBackend) runs exactly the same code path as K MPI ranks.

    Attributes:
        rank, size, is_main (rank == 0), backend ("local" or "mpi").
        stats: {"allreduce_calls", "allreduce_seconds", "allreduce_bytes"} so far.
    """

    def __init__(self, backend=None):
        self._backend = backend or LocalBackend()
        self.stats = {"allreduce_calls": 0, "allreduce_seconds": 0.0, "allreduce_bytes": 0}

    rank = property(lambda self: self._backend.rank)
    size = property(lambda self: self._backend.size)
    backend = property(lambda self: self._backend.name)

    @property
    def is_main(self):
        """True on rank 0, the one rank that logs, plots and writes checkpoints."""
        return self.rank == 0

    def __repr__(self):
        return f"Communicator(backend={self.backend!r}, rank={self.rank}, size={self.size})"

    # ------------------------------------------------------------- primitives
    def allreduce_(self, array):
        """array <- sum of `array` over all ranks, in place. array: contiguous ndarray."""
        _check_buffer("allreduce_", array)
        start = time.perf_counter()
        self._backend.allreduce_(array)
        self.stats["allreduce_seconds"] += time.perf_counter() - start
        self.stats["allreduce_calls"] += 1
        self.stats["allreduce_bytes"] += array.nbytes
        return array

    def allreduce(self, value):
        """Sum over ranks of a number or array (a new float64/int64 array; input untouched)."""
        array = np.array(value, copy=True)
        if array.dtype.kind == "f":
            array = array.astype(np.float64)
        elif array.dtype.kind in "biu":
            array = array.astype(np.int64)
        return self.allreduce_(np.ascontiguousarray(array))

    def broadcast_(self, array, root=0):
        """array <- root's array, in place, on every rank (shapes must agree)."""
        _check_buffer("broadcast_", array)
        return self._backend.broadcast_(array, root)

    def broadcast_object(self, value, root=0):
        """Any picklable value from `root` to every rank (two Bcasts: length, bytes)."""
        import pickle

        payload = pickle.dumps(value) if self.rank == root else b""
        length = self.broadcast_(np.array([len(payload)], dtype=np.int64), root)
        buffer = np.frombuffer(payload, dtype=np.uint8).copy() if self.rank == root else \
            np.empty(int(length[0]), dtype=np.uint8)
        self.broadcast_(buffer, root)
        return pickle.loads(buffer.tobytes())

    def barrier(self):
        """Wait until every rank has arrived here."""
        self._backend.barrier()

    def abort(self, code=1):
        """End every rank of the job now (MPI_Abort); mpiexec exits non-zero."""
        sys.stdout.flush()
        sys.stderr.flush()
        time.sleep(0.2)  # let mpiexec forward the message before it kills the job
        self._backend.abort(code)
        os._exit(code)  # MPI_Abort may return before mpiexec has ended this process

    # ------------------------------------------------------------- model helpers
    def broadcast_module(self, module, root=0):
        """Copy every parameter and buffer of `module` from `root` to all ranks."""
        from minigrad.distributed.buckets import broadcast_tensors

        broadcast_tensors(self, list(module.parameters()) + list(module.buffers()), root)

    def broadcast_tensors(self, tensors, root=0):
        from minigrad.distributed.buckets import broadcast_tensors

        broadcast_tensors(self, list(tensors), root)

    def average_gradients(self, params, bucket_mb=4.0):
        """p.grad <- mean over ranks of p.grad, Allreduce over flattened buckets."""
        from minigrad.distributed.buckets import average_gradients

        average_gradients(self, params, bucket_mb)

    def average_buffers(self, module):
        """Floating buffers of `module` (BatchNorm running statistics) <- their mean
        over ranks; needed with per-rank BatchNorm, a no-op with SyncBatchNorm."""
        from minigrad.distributed.buckets import average_tensors

        average_tensors(self, list(module.buffers()))

    def allreduce_metrics(self, metrics, count=1):
        """Means over this rank's `count` samples -> means over all ranks' samples.

        metrics: {name: float}; the result weights each rank by its count, so shards
        of different sizes give the exact global mean. One Allreduce for all of them.
        """
        names = sorted(metrics)
        # a rank with no samples (N < K in evaluation) has nan means: send zeros
        values = [float(metrics[name]) * count if count else 0.0 for name in names]
        values.append(float(count))
        total = self.allreduce(np.array(values, dtype=np.float64))
        return {name: float(total[i] / total[-1]) for i, name in enumerate(names)}

    # ------------------------------------------------------------- rank 0 only
    def print(self, *args, **kwargs):
        """print() on rank 0 only."""
        if self.is_main:
            print(*args, **kwargs)

    def main_only(self, function):
        """Decorator: run `function` on rank 0 only (returns None elsewhere)."""
        import functools

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            return function(*args, **kwargs) if self.is_main else None

        return wrapper

    def diversify_rng(self):
        """Give each rank its own stream of the global generator (dropout masks and
        augmentations must differ between shards), deterministically.

        Rank 0 keeps its generator untouched; rank r > 0 reseeds with a hash of the
        shared state and r, so the run is repeatable for a given seed and K.
        """
        import hashlib

        from minigrad.rng import get_rng_state, manual_seed

        if self.rank == 0:
            return
        digest = hashlib.sha256(get_rng_state().encode()).digest()
        manual_seed(np.random.SeedSequence([int.from_bytes(digest[:8], "little"), self.rank]))


def _check_buffer(op, array):
    if not isinstance(array, np.ndarray) or not array.flags.c_contiguous:
        raise DistributedError(f"{op}: expected a C-contiguous np.ndarray, got "
                               f"{type(array).__name__}"
                               + (f" of shape {array.shape}" if hasattr(array, "shape") else ""))


# ----------------------------------------------------------------- the world
_WORLD = None


def _install_failure_hook(world):
    """On an uncaught exception: print it with the rank, then abort the whole job."""
    previous = sys.excepthook

    def hook(kind, value, trace):
        if world.size == 1:
            previous(kind, value, trace)
            return
        message = "".join(traceback.format_exception(kind, value, trace))
        sys.stderr.write(f"minigrad.distributed: rank {world.rank} of {world.size} failed; "
                         f"aborting all ranks.\n{message}")
        world.abort(1)

    sys.excepthook = hook


def init(backend="auto", timeout=DEFAULT_TIMEOUT):
    """Create (once) and return the process-wide Communicator.

    Args:
        backend: "auto" (MPI when launched by mpiexec, else one process), "mpi"
            (needs mpi4py; a lone `python` then runs as an MPI world of 1) or "local".
        timeout: seconds a collective may wait for the other ranks (None: forever).
    Raises DistributedError when MPI is required but mpi4py is not installed.
    """
    global _WORLD
    if _WORLD is not None:
        return _WORLD
    if backend not in ("auto", "mpi", "local"):
        raise DistributedError(f"init: backend must be 'auto', 'mpi' or 'local', got "
                               f"{backend!r}")
    use_mpi = backend == "mpi" or (backend == "auto" and launched_by_mpi())
    if use_mpi:
        try:
            impl = MPIBackend(timeout=timeout)
        except ImportError as exc:
            raise DistributedError(
                "init: this process was started by an MPI launcher (or backend='mpi'), but "
                f"mpi4py cannot be imported ({exc}); install the extra: "
                "pip install 'minigrad[mpi]'") from exc
    else:
        impl = LocalBackend()
    _WORLD = Communicator(impl)
    _install_failure_hook(_WORLD)
    return _WORLD


def get_world():
    """The Communicator made by init(), or a single-process one if init() was not called."""
    return _WORLD if _WORLD is not None else Communicator()
