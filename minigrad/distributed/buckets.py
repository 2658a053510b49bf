"""Flattened buckets: many tensors, few collectives.

One Allreduce per parameter tensor would pay the collective's latency (tens of
microseconds locally, far more across hosts) once per tensor; a ResNet has
dozens of them. Instead the gradients are copied into a few contiguous buffers
of about `bucket_mb` megabytes each (one dtype per buffer), each buffer is
reduced with one call, and the averages are copied back:

    bucket = [g_1.ravel(), g_2.ravel(), ..., g_j.ravel(), present_1, ..., present_j]
    Allreduce(SUM)  ->  g_i <- bucket[slice_i] / K

`present_i` is 1 where rank r has a gradient for parameter i. After the sum it
counts the ranks that had one: 0 means no rank did, and the gradient stays None
on every rank; otherwise a rank without one contributes zeros, as its share of
the mean loss does not depend on that parameter. Every rank thus ends with the
same gradients and takes the same optimiser step.
"""

import zlib

import numpy as np

from minigrad.autograd import no_grad
from minigrad.distributed.comm import DistributedError
from minigrad.tensor import Tensor

__all__ = ["plan_buckets", "average_gradients", "broadcast_tensors", "average_tensors"]


class Bucket:
    """Which tensors (by index) share one flat buffer of `dtype`, and where."""

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        self.members = []   # (tensor index, offset, size, shape)
        self.numel = 0

    def add(self, index, shape):
        size = int(np.prod(shape, dtype=np.int64))
        self.members.append((index, self.numel, size, tuple(shape)))
        self.numel += size

    def __repr__(self):
        return f"Bucket({self.dtype}, {len(self.members)} tensors, {self.numel} values)"


def plan_buckets(shapes, dtypes, bucket_mb=4.0):
    """Group tensors into buckets of one dtype and at most bucket_mb megabytes each.

    Tensors keep their order within a dtype; a tensor larger than the limit gets
    a bucket of its own. Returns a list of Bucket.
    """
    if bucket_mb <= 0:
        raise ValueError(f"plan_buckets: bucket_mb must be > 0, got {bucket_mb}")
    limit = bucket_mb * 2**20
    buckets, open_bucket = [], {}
    for index, (shape, dtype) in enumerate(zip(shapes, dtypes)):
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        bucket = open_bucket.get(dtype)
        if bucket is None or (bucket.members and (bucket.numel * dtype.itemsize + nbytes
                                                  > limit)):
            bucket = open_bucket[dtype] = Bucket(dtype)
            buckets.append(bucket)
        bucket.add(index, shape)
    return buckets


def _check_same_layout(comm, shapes, dtypes, what):
    """Ranks must hold tensors of identical shapes; compare a checksum of the layout."""
    # crc32, not hash(): str hashes are salted differently in every process
    signature = zlib.crc32(repr([(tuple(s), str(d)) for s, d in zip(shapes, dtypes)]).encode())
    total = comm.allreduce(np.array([signature, 1], dtype=np.int64))
    if total[0] != signature * total[1]:
        raise DistributedError(f"{what}: the ranks hold different tensor layouts "
                               f"({len(shapes)} tensors on rank {comm.rank}); every rank "
                               f"must build the same model")


def average_gradients(comm, params, bucket_mb=4.0):
    """p.grad <- (1/K) sum_r p.grad on rank r, for every p in params.

    Args:
        comm: a Communicator.
        params: the parameters (Tensors), in the same order on every rank.
        bucket_mb: size of one flattened bucket, in megabytes.
    One Allreduce per bucket. Gradients keep their dtype.
    """
    params = [p for p in params if p.requires_grad]
    if comm.size == 1 or not params:
        return
    buckets = plan_buckets([p.shape for p in params], [p.dtype for p in params], bucket_mb)
    for bucket in buckets:
        buffer = np.zeros(bucket.numel + len(bucket.members), dtype=bucket.dtype)
        flags = buffer[bucket.numel:]
        for slot, (index, offset, size, _) in enumerate(bucket.members):
            grad = params[index].grad
            if grad is not None:
                buffer[offset:offset + size] = grad._data.ravel()
                flags[slot] = 1
        comm.allreduce_(buffer)
        buffer[:bucket.numel] /= comm.size
        for slot, (index, offset, size, shape) in enumerate(bucket.members):
            if flags[slot] > 0:
                params[index].grad = Tensor(buffer[offset:offset + size].reshape(shape).copy())


def broadcast_tensors(comm, tensors, root=0):
    """Every tensor's data <- root's, in place (flattened buckets, one Bcast each).

    Used at start-up for parameters and buffers (BatchNorm running statistics,
    step counters), so that every rank starts from rank 0's initialisation.
    """
    if comm.size == 1 or not tensors:
        return
    shapes, dtypes = [t.shape for t in tensors], [t.dtype for t in tensors]
    _check_same_layout(comm, shapes, dtypes, "broadcast_tensors")
    for bucket in plan_buckets(shapes, dtypes, bucket_mb=16.0):
        buffer = np.empty(bucket.numel, dtype=bucket.dtype)
        for index, offset, size, _ in bucket.members:
            buffer[offset:offset + size] = tensors[index]._data.ravel()
        comm.broadcast_(buffer, root)
        with no_grad():
            for index, offset, size, shape in bucket.members:
                tensors[index].copy_(buffer[offset:offset + size].reshape(shape))


def average_tensors(comm, tensors, bucket_mb=4.0):
    """Every floating tensor's data <- its mean over ranks, in place (bucketed).

    For BatchNorm's running statistics when each rank normalised with its own
    batch statistics: their mean over ranks estimates the population statistics
    from K times as many batches as any one rank saw, and makes every replica
    (and the checkpoint rank 0 writes) evaluate with the same values. Integer
    tensors (step counters, equal on every rank) are left alone.
    """
    tensors = [t for t in tensors if t.dtype.kind == "f"]
    if comm.size == 1 or not tensors:
        return
    buckets = plan_buckets([t.shape for t in tensors], [t.dtype for t in tensors], bucket_mb)
    for bucket in buckets:
        buffer = np.empty(bucket.numel, dtype=bucket.dtype)
        for index, offset, size, _ in bucket.members:
            buffer[offset:offset + size] = tensors[index]._data.ravel()
        comm.allreduce_(buffer)
        buffer /= comm.size
        with no_grad():
            for index, offset, size, shape in bucket.members:
                tensors[index].copy_(buffer[offset:offset + size].reshape(shape))
