"""K ranks as K threads of one process: a test backend for the collectives.

Each rank runs `work(comm)` in its own thread with a Communicator whose
allreduce_/broadcast_ meet the other threads at a barrier. Only for code that
does not touch the global autograd mode (threads share it).
"""

import threading

import numpy as np

from minigrad.distributed import Communicator


class _Exchange:
    def __init__(self, size):
        self.size = size
        self.barrier = threading.Barrier(size, timeout=20)
        self.slots = [None] * size


class ThreadBackend:
    name = "threads"

    def __init__(self, exchange, rank):
        self.exchange, self.rank, self.size = exchange, rank, exchange.size

    def allreduce_(self, array):
        self.exchange.slots[self.rank] = array.copy()
        self.exchange.barrier.wait()
        total = np.sum(self.exchange.slots, axis=0, dtype=array.dtype)
        self.exchange.barrier.wait()
        array[...] = total
        return array

    def broadcast_(self, array, root):
        if self.rank == root:
            self.exchange.slots[root] = array.copy()
        self.exchange.barrier.wait()
        array[...] = self.exchange.slots[root]
        self.exchange.barrier.wait()
        return array

    def barrier(self):
        self.exchange.barrier.wait()

    def abort(self, code):
        raise RuntimeError(f"abort({code})")


def run_ranks(size, work):
    """[work(comm_r) for r in range(size)], each in its own thread; re-raises errors."""
    exchange = _Exchange(size)
    results, errors = [None] * size, []

    def body(rank):
        try:
            results[rank] = work(Communicator(ThreadBackend(exchange, rank)))
        except BaseException as exc:  # surface it in the test's thread
            errors.append(exc)
            exchange.barrier.abort()

    threads = [threading.Thread(target=body, args=(r,)) for r in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
