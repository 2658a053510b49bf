"""DistributedTrainer: the Trainer with the changes synchronous data parallelism needs.

One step of synchronous data-parallel SGD on rank r of K:

    x_r, y_r = next batch of rank r's shard           (DistributedSampler)
    loss_r = loss(model(x_r), y_r)                    (mean over the B local samples)
    loss_r.backward()
    g <- (1/K) sum_r grad(loss_r)                     (Allreduce over buckets)
      = grad of the mean loss over the K*B samples of the global batch
    clip(g); optimizer.step()                         (identical on every rank)

Every rank starts from rank 0's weights and applies the same averaged gradient,
so the replicas stay identical without ever sending weights again. Around the
step: metrics are reduced over ranks; BatchNorm running statistics, which
differ between ranks unless SyncBatchNorm is used, are averaged after each
epoch; only rank 0 logs, shows progress bars and writes checkpoints, history
and plots (the others wait at a barrier, so none runs ahead of a checkpoint
being written).
"""

import numpy as np

from minigrad.distributed.comm import get_world
from minigrad.rng import get_rng_state, set_rng_state
from minigrad.train.history import History
from minigrad.train.trainer import Trainer

__all__ = ["DistributedTrainer"]


class DistributedTrainer(Trainer):
    """Trainer(...) plus `comm` (default: the world communicator) and `bucket_mb`.

    The train loader should be a DistributedDataLoader (each rank its shard);
    evaluation loaders may be sharded (pass num_classes, so that a rank with an
    empty shard still takes part in reducing the confusion matrix) or full (then
    every rank computes the same numbers and nothing is reduced).
    """

    def __init__(self, model, optimizer, *args, comm=None, bucket_mb=4.0, **kwargs):
        super().__init__(model, optimizer, *args, **kwargs)
        self.comm = comm or get_world()
        self.bucket_mb = bucket_mb
        if not self.comm.is_main:
            self.progress = False
            self.log = lambda line: None
        self.comm.broadcast_module(self.model)
        self.comm.diversify_rng()

    def after_backward(self):
        """Average the gradients over the ranks, so every replica takes the same step."""
        self.comm.average_gradients(self.model.parameters(), self.bucket_mb)

    def _run_epoch(self, train_loader, val_loader):
        """The epoch's history row, plus the seconds this rank spent in Allreduce."""
        before = self.comm.stats["allreduce_seconds"]
        row = super()._run_epoch(train_loader, val_loader)
        row["allreduce_time"] = self.comm.stats["allreduce_seconds"] - before
        return row

    def _reduce(self, metrics, loader):
        count = getattr(loader, "num_samples", None)
        if count is None:
            count = len(loader.dataset)
        return self.comm.allreduce_metrics(metrics, count)

    def train_epoch(self, loader):
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(self.epoch)  # the shared permutation of this epoch
        metrics = super().train_epoch(loader)
        # per-rank BatchNorm drifts apart in its running statistics: share their mean
        self.comm.average_buffers(self.model)
        return self._reduce(metrics, loader)

    def evaluate(self, loader):
        metrics = super().evaluate(loader)
        if getattr(loader, "sampler", None) is None:
            return metrics  # every rank saw the whole set: nothing to combine
        confusion = self.last_confusion
        if confusion is None and self.num_classes:  # this rank's shard was empty
            confusion = np.zeros((self.num_classes, self.num_classes), dtype=np.int64)
        if confusion is not None:
            self.last_confusion = self.comm.allreduce(confusion)
        return self._reduce(metrics, loader)

    def resume(self, path):
        """Rank 0 reads the checkpoint and sends its contents to the others, so the
        file need not exist on every host; then each rank takes its own random stream.
        Any number of ranks can resume it; keep K*B to continue the same run."""
        state = None
        if self.comm.is_main:
            state = {"info": super().resume(path), "rng": get_rng_state(),
                     "optimizer": self.optimizer.state_dict(),
                     "scheduler": self.scheduler.state_dict() if self.scheduler else None,
                     "epoch": self.epoch, "history": self.history.rows, "best": self.best,
                     "early_stopping": self.early_stopping.state_dict()
                     if self.early_stopping is not None else None}
        state = self.comm.broadcast_object(state)
        if not self.comm.is_main:
            self._load_loop_state(state)
        self.comm.broadcast_module(self.model)
        self.comm.diversify_rng()
        return state["info"]

    def _load_loop_state(self, state):
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        set_rng_state(state["rng"])
        self.epoch, self.history, self.best = state["epoch"], History(state["history"]), \
            state["best"]
        if self.early_stopping is not None and state["early_stopping"]:
            self.early_stopping.load_state_dict(state["early_stopping"])

    def _save_epoch(self, improved):
        if self.comm.is_main:
            super()._save_epoch(improved)
        self.comm.barrier()

    def _save_final(self):
        if self.comm.is_main:
            super()._save_final()
        self.comm.barrier()
