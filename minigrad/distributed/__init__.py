"""Data-parallel training on MPI: synchronous SGD across processes and machines.

    # run with:  mpiexec -n 4 python train.py
    import minigrad.distributed as distributed

    dist = distributed.init()                         # MPI under mpiexec, else 1 process
    model = distributed.convert_sync_batchnorm(model) # optional: global BN statistics
    dist.broadcast_module(model)                      # everyone starts from rank 0's weights
    loader = distributed.DistributedDataLoader(data, batch_size=B, seed=seed)
    for epoch in range(epochs):
        loader.set_epoch(epoch)                       # same permutation, own shard
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            dist.average_gradients(model.parameters())  # Allreduce over buckets
            optimizer.step()
        metrics = dist.allreduce_metrics({"loss": ...}, count=loader.num_samples)
        if dist.is_main:
            save_checkpoint(...)                      # rank 0 only

`DistributedTrainer` does all of this inside the usual Trainer. mpi4py (the
`minigrad[mpi]` extra) is imported only when MPI is actually used, so this
package imports, and runs as a world of one process, without it.
"""

from minigrad.distributed.buckets import average_gradients, broadcast_tensors, plan_buckets
from minigrad.distributed.comm import (
    DEFAULT_TIMEOUT,
    Communicator,
    DistributedError,
    DistributedTimeoutError,
    get_world,
    init,
    launched_by_mpi,
)
from minigrad.distributed.large_batch import scale_lr, warmup_scheduler
from minigrad.distributed.sampler import DistributedDataLoader, DistributedSampler
from minigrad.distributed.sync_batchnorm import (
    AllReduceSum,
    SyncBatchNorm,
    all_reduce_sum,
    convert_sync_batchnorm,
)

__all__ = [
    "init", "get_world", "launched_by_mpi", "Communicator", "DistributedError",
    "DistributedTimeoutError", "DEFAULT_TIMEOUT", "average_gradients", "broadcast_tensors",
    "plan_buckets", "DistributedSampler", "DistributedDataLoader", "SyncBatchNorm",
    "AllReduceSum", "all_reduce_sum", "convert_sync_batchnorm", "scale_lr",
    "warmup_scheduler", "DistributedTrainer",
]


def __getattr__(name):
    # the trainer pulls in minigrad.train; import it only when asked for
    if name == "DistributedTrainer":
        from minigrad.distributed.trainer import DistributedTrainer

        return DistributedTrainer
    raise AttributeError(f"module 'minigrad.distributed' has no attribute {name!r}")
