"""DataLoader: iterate over a dataset in (shuffled) mini-batches of Tensors.

Shuffling draws a fresh permutation from the global generator
(minigrad.rng.default_generator()) at the start of each pass, so a seeded run
sees the same batches in the same order, and a run resumed from a checkpoint
(which stores the generator's state) continues with the very batches the
uninterrupted run would have seen.
"""

import numpy as np

from minigrad.rng import default_generator
from minigrad.tensor import Tensor

__all__ = ["DataLoader", "default_collate"]


def default_collate(samples):
    """A list of sample tuples -> a tuple of stacked arrays (batch, ...)."""
    first = samples[0]
    if isinstance(first, tuple | list):
        return tuple(np.stack([np.asarray(s[k]) for s in samples]) for k in range(len(first)))
    return np.stack([np.asarray(s) for s in samples])


class DataLoader:
    """Mini-batches over `dataset`.

    Args:
        dataset: a Dataset (len and [i]); a TensorDataset is fetched a batch at a time.
        batch_size: samples per batch.
        shuffle: a new random order every epoch (global generator unless `generator`).
        drop_last: skip the last batch when it is smaller than batch_size.
        collate_fn: list of samples -> tuple of arrays (default: stack each field).
        transform: a batch transform called as transform(x, y) -> (x, y) on the
            collated NumPy arrays before they become Tensors (augmentation, mixup).
        generator: an np.random.Generator to shuffle with instead of the global one.
    Yields:
        tuples of Tensors, one per field, each (batch, ...); a dataset of single
        arrays yields single Tensors.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False,
                 collate_fn=None, transform=None, generator=None):
        if int(batch_size) < 1:
            raise ValueError(f"DataLoader: batch_size must be >= 1, got {batch_size}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.transform = transform
        self.generator = generator

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def batch_indices(self):
        """The index arrays of one epoch (draws the shuffle permutation)."""
        n = len(self.dataset)
        if self.shuffle:
            order = (self.generator or default_generator()).permutation(n)
        else:
            order = np.arange(n)
        stop = n - n % self.batch_size if self.drop_last else n
        return [order[i:i + self.batch_size] for i in range(0, stop, self.batch_size)]

    def _fetch(self, indices):
        if self.collate_fn is None and hasattr(self.dataset, "__getitems__"):
            batch = self.dataset.__getitems__(indices)
            if isinstance(batch, tuple):
                return batch
            return default_collate(batch)
        samples = [self.dataset[int(i)] for i in indices]
        return (self.collate_fn or default_collate)(samples)

    def __iter__(self):
        for indices in self.batch_indices():
            batch = self._fetch(indices)
            if self.transform is not None:
                batch = self.transform(*batch) if isinstance(batch, tuple) else \
                    self.transform(batch)
            if isinstance(batch, tuple):
                yield tuple(Tensor(np.asarray(field)) for field in batch)
            else:
                yield Tensor(np.asarray(batch))
