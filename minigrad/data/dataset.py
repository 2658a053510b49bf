"""Datasets: anything with `len(ds)` and `ds[i]`, as in torch.utils.data.

A `TensorDataset` also answers `ds.__getitems__(indices)` with whole batches by
fancy indexing, so the DataLoader fetches a batch in one NumPy call instead of
one Python call per sample.
"""

import numpy as np

from minigrad.errors import ShapeError
from minigrad.rng import numpy_generator
from minigrad.tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split"]


class Dataset:
    """Base class: subclasses define `__getitem__(index)` and `__len__()`."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


def _as_array(value):
    return value._data if isinstance(value, Tensor) else np.asarray(value)


class TensorDataset(Dataset):
    """Samples are rows of equally long arrays: ds[i] = (a[i], b[i], ...).

    Args:
        *arrays: np.ndarrays or Tensors, all with the same first dimension N.
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array")
        self.arrays = tuple(_as_array(a) for a in arrays)
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) != 1:
            raise ShapeError(f"TensorDataset: arrays differ in their first dimension: "
                             f"shapes {[a.shape for a in self.arrays]}")

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def __getitems__(self, indices):
        """A whole batch at once: tuple of arrays (len(indices), ...)."""
        return tuple(a[indices] for a in self.arrays)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices):
        chosen = self.indices[np.asarray(indices)]
        if hasattr(self.dataset, "__getitems__"):
            return self.dataset.__getitems__(chosen)
        return [self.dataset[int(i)] for i in chosen]


def _split_lengths(total, lengths):
    """Integer lengths from counts, or from fractions summing to 1 (remainder goes
    round-robin to the first parts, as PyTorch does)."""
    lengths = list(lengths)
    if all(isinstance(n, (int, np.integer)) for n in lengths):
        counts = [int(n) for n in lengths]
    elif abs(sum(lengths) - 1.0) < 1e-6 and all(0 <= f <= 1 for f in lengths):
        counts = [int(np.floor(total * f)) for f in lengths]
        for i in range(total - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        raise ValueError(f"random_split: lengths {lengths} are neither counts nor "
                         f"fractions summing to 1")
    if sum(counts) != total or min(counts) < 0:
        raise ValueError(f"random_split: lengths {counts} do not add up to the "
                         f"dataset's length {total}")
    return counts


def random_split(dataset, lengths, generator=None):
    """Split `dataset` into disjoint random `Subset`s of the given lengths.

    `lengths` are counts summing to len(dataset) or fractions summing to 1.
    The order is `permutation(len(dataset))` from `generator` (a mg.Generator or an
    np.random.Generator), by default the global one.
    """
    counts = _split_lengths(len(dataset), lengths)
    order = numpy_generator(generator, "random_split").permutation(len(dataset))
    bounds = np.cumsum([0] + counts)
    return [Subset(dataset, order[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:])]
