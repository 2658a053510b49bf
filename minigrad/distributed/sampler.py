"""Each rank its own shard of every epoch: DistributedSampler and a loader over it.

Every rank draws the same permutation of the N samples (a generator seeded
with (seed, epoch), shared by construction, never communicated), pads it by
repeating its first indices to a multiple of K (or drops the tail), and takes
every K-th index starting at its rank:

    order = permutation_{seed, epoch}(N)            padded to T = K * ceil(N / K)
    shard_r = order[r], order[r + K], order[r + 2K], ...          (T / K indices)

Striding (rather than cutting order into K blocks) makes step j of the K ranks,
each with batch B, cover exactly the positions order[j*K*B : (j+1)*K*B]: the very
global batch that one process with batch K*B sees at step j. So K ranks
reproduce the single-process run (up to float rounding), and a run can be
resumed with another K as long as the global batch K*B stays the same.
"""

import numpy as np

from minigrad.data.loader import DataLoader

__all__ = ["DistributedSampler", "DistributedDataLoader"]


class DistributedSampler:
    """The indices of one rank's shard of an epoch.

    Args:
        num_samples: N, the dataset's length (or the dataset itself).
        num_replicas, rank: K and r (default: from `comm` or the world communicator).
        shuffle: a new permutation every epoch (seeded by (seed, epoch)).
        seed: shared by all ranks.
        drop_last: drop the last N mod K samples instead of padding with repeats.
        pad: False leaves the shards uneven (sizes differ by at most one) and every
            sample seen exactly once: for evaluation, with counts-weighted means.
    Call set_epoch(e) before each epoch so the permutation changes.
    """

    def __init__(self, num_samples, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False, pad=True, comm=None):
        if num_replicas is None or rank is None:
            from minigrad.distributed.comm import get_world

            comm = comm or get_world()
            num_replicas = comm.size if num_replicas is None else num_replicas
            rank = comm.rank if rank is None else rank
        n = num_samples if isinstance(num_samples, (int, np.integer)) else len(num_samples)
        if not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: rank {rank} is not in [0, {num_replicas})")
        if drop_last and n < num_replicas:
            raise ValueError(f"DistributedSampler: drop_last with {n} samples and "
                             f"{num_replicas} ranks would leave every shard empty")
        self.dataset_size, self.num_replicas, self.rank = int(n), int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last, self.pad = shuffle, int(seed), drop_last, pad
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = int(epoch)

    @property
    def total_size(self):
        """T: N rounded down (drop_last) or up (padding) to a multiple of K."""
        k = self.num_replicas
        if not self.pad and not self.drop_last:
            return self.dataset_size
        return (self.dataset_size // k) * k if self.drop_last else -(-self.dataset_size // k) * k

    def global_order(self):
        """The epoch's order of all T positions, identical on every rank."""
        n = self.dataset_size
        if self.shuffle:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(n)
        else:
            order = np.arange(n)
        if self.total_size <= n:
            return order[:self.total_size]
        repeats = -(-self.total_size // n)  # padding may exceed N when N < K
        return np.tile(order, repeats)[:self.total_size]

    def indices(self):
        """This rank's shard: global_order()[rank::K], T / K indices."""
        return self.global_order()[self.rank::self.num_replicas]

    def __iter__(self):
        return iter(self.indices().tolist())

    def __len__(self):
        """This rank's shard size."""
        return len(range(self.rank, self.total_size, self.num_replicas))


class DistributedDataLoader(DataLoader):
    """A DataLoader over one rank's shard: batches of `batch_size` (per rank) taken in
    order from sampler.indices().

    Args:
        dataset: as for DataLoader.
        batch_size: B, the per-rank batch; the global batch is K * B.
        sampler: a DistributedSampler (default: one over the dataset with `seed`,
            `shuffle` and the world communicator).
        drop_last: drop the last, smaller batch of the shard.
    set_epoch(e) selects the epoch's permutation; without it, each pass over the
    loader advances the epoch by one.
    """

    def __init__(self, dataset, batch_size=1, sampler=None, shuffle=True, seed=0,
                 drop_last=False, collate_fn=None, transform=None, comm=None):
        super().__init__(dataset, batch_size=batch_size, shuffle=False, drop_last=drop_last,
                         collate_fn=collate_fn, transform=transform)
        self.sampler = sampler or DistributedSampler(len(dataset), shuffle=shuffle, seed=seed,
                                                     comm=comm)

    def set_epoch(self, epoch):
        self.sampler.set_epoch(epoch)

    @property
    def num_samples(self):
        """How many samples this rank sees per epoch (shard size, padding included)."""
        shard = len(self.sampler)
        return shard - shard % self.batch_size if self.drop_last else shard

    def __len__(self):
        shard = len(self.sampler)
        return shard // self.batch_size if self.drop_last else -(-shard // self.batch_size)

    def batch_indices(self):
        shard = self.sampler.indices()
        self.sampler.set_epoch(self.sampler.epoch + 1)
        stop = len(shard) - len(shard) % self.batch_size if self.drop_last else len(shard)
        return [shard[i:i + self.batch_size] for i in range(0, stop, self.batch_size)]
