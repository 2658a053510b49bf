"""DataLoader: iterate over a dataset in (shuffled) mini-batches of Tensors, with
torch.utils.data.DataLoader's arguments.

A sampler orders the dataset's indices, a BatchSampler groups them into batches,
the dataset gives the samples of a batch, and `collate_fn` stacks them into the
batch's arrays, which become Tensors. A TensorDataset gives a whole batch in one
fancy-indexing call (its `__getitems__`) instead of one Python call per sample.

Shuffling draws a fresh permutation from the global generator (or `generator=`)
at the start of each pass, so a seeded run sees the same batches in the same
order, and a run resumed from a checkpoint (which stores the generator's state)
continues with the very batches the uninterrupted run would have seen.
"""

import collections.abc
import numbers
import warnings

import numpy as np

from minigrad.data.sampler import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    check_bool,
    check_positive_int,
)
from minigrad.errors import ShapeError
from minigrad.rng import numpy_generator
from minigrad.tensor import Tensor

__all__ = ["DataLoader", "default_collate", "default_convert"]


# ---------------------------------------------------------------- collation
def _collate_arrays(batch):
    """default_collate's structure with NumPy arrays where it puts Tensors."""
    if not batch:
        raise ValueError("default_collate: the batch is empty")
    first = batch[0]
    if isinstance(first, Tensor):
        return _stack([sample._data for sample in batch])
    if isinstance(first, (np.ndarray, np.generic)):
        if first.dtype.kind not in "biuf":
            raise TypeError(f"default_collate: cannot collate arrays of dtype {first.dtype} "
                            f"(expected numbers or bools)")
        return _stack([np.asarray(sample) for sample in batch])
    if isinstance(first, (str, bytes)):
        return batch
    if isinstance(first, numbers.Integral):  # bool included: PyTorch keeps bools bool
        values = np.asarray(batch)
        return values.astype(np.float32) if values.dtype.kind == "f" else values
    if isinstance(first, numbers.Real):
        return np.asarray(batch, dtype=np.float64)
    if isinstance(first, collections.abc.Mapping):
        return type(first)({key: _collate_arrays([d[key] for d in batch]) for key in first})
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a namedtuple keeps its type
        return type(first)(*(_collate_arrays(field) for field in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        if any(len(sample) != len(first) for sample in batch):
            raise ShapeError(f"default_collate: the samples have different lengths "
                             f"{sorted({len(sample) for sample in batch})}")
        return [_collate_arrays(field) for field in zip(*batch)]
    raise TypeError(f"default_collate: a batch must contain Tensors, NumPy arrays, numbers, "
                    f"dicts or lists; found {type(first).__name__}")


def _stack(arrays):
    shapes = {array.shape for array in arrays}
    if len(shapes) > 1:
        raise ShapeError(f"default_collate: samples of different shapes cannot be stacked: "
                         f"{sorted(shapes)}")
    return np.stack(arrays)


def default_convert(data):
    """NumPy arrays and scalars (also inside lists, tuples and dicts) -> Tensors; Tensors,
    Python numbers and strings unchanged. Shapes are kept (no batch dimension added)."""
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind in "biuf":
        return Tensor(np.asarray(data))
    if isinstance(data, (Tensor, str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        return type(data)({key: default_convert(value) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(value) for value in data))
    if isinstance(data, (tuple, list)):
        return [default_convert(value) for value in data]
    return data


def _as_tensors(batch):
    """The NumPy arrays in a collated batch -> Tensors, every container kept as it is."""
    if isinstance(batch, np.ndarray):
        return Tensor(batch)
    if isinstance(batch, collections.abc.Mapping):
        return type(batch)({key: _as_tensors(value) for key, value in batch.items()})
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(_as_tensors(value) for value in batch))
    if isinstance(batch, (tuple, list)):
        return type(batch)(_as_tensors(value) for value in batch)
    return batch


def default_collate(batch):
    """A list of samples -> one batch, as torch.utils.data.default_collate.

    Each field is stacked along a new first dimension (batch, ...):
      Tensors and NumPy arrays keep their dtype; Python ints become int64, bools
      bool and floats float64 (PyTorch's choices); strings stay as they are;
      tuples and lists of fields give a list of batched fields (a namedtuple keeps
      its type), dicts a dict with the same keys.
    Returns Tensors in that structure.
    """
    return _as_tensors(_collate_arrays(batch))


# ---------------------------------------------------------------- the loader
_told_about_workers = False


def _say_workers_run_in_process(num_workers):
    global _told_about_workers
    if not _told_about_workers:
        _told_about_workers = True
        warnings.warn(f"DataLoader: num_workers={num_workers} is accepted for PyTorch "
                      f"compatibility, but minigrad loads every batch in the main process",
                      stacklevel=4)


def _check_non_negative_int(value, name):
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"DataLoader: {name} must be a non-negative integer, got "
                        f"{type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"DataLoader: {name} must be >= 0, got {value}")
    return int(value)


class DataLoader:
    """Mini-batches over `dataset`, with torch.utils.data.DataLoader's arguments.

    Args:
        dataset: a Dataset (len and [i]); a TensorDataset is fetched a batch at a time.
        batch_size: samples per batch (default 1); None yields single samples
            (converted to Tensors, without a batch dimension).
        shuffle: a new random order every epoch (a RandomSampler over `generator`).
        sampler: the order of indices instead (excludes shuffle).
        batch_sampler: yields whole lists of indices (excludes batch_size, shuffle,
            sampler and drop_last).
        num_workers: accepted and checked as PyTorch checks it, as are
            prefetch_factor, persistent_workers, worker_init_fn, timeout, pin_memory,
            multiprocessing_context and in_order; minigrad loads in the main process
            (it says so once when num_workers > 0) and never calls worker_init_fn.
        collate_fn: list of samples -> batch (default: `default_collate`'s stacking).
        drop_last: skip the last batch when it is smaller than batch_size.
        generator: a mg.Generator or np.random.Generator to shuffle with.
        transform: minigrad's extra: called as transform(x, y) -> (x, y) on each
            collated batch before it becomes Tensors (augmentation, mixup); with the
            default collation it sees NumPy arrays.
    Yields:
        batches of Tensors in the samples' structure: a list with one Tensor per
        field for tuple samples, a single Tensor for single arrays.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                 timeout=0, worker_init_fn=None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True, transform=None):
        shuffle = bool(shuffle)
        drop_last = check_bool(drop_last, "drop_last", "DataLoader")
        self._check_workers(num_workers, prefetch_factor, persistent_workers, timeout,
                            worker_init_fn)
        numpy_generator(generator, "DataLoader")  # reject a wrong type now
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler is mutually exclusive with shuffle "
                             "(shuffle with a RandomSampler, or leave shuffle unset)")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler is mutually exclusive with "
                                 "batch_size, shuffle, sampler and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError("DataLoader: batch_size=None (no batching) is mutually "
                                 "exclusive with drop_last")
        else:
            batch_size = check_positive_int(batch_size, "batch_size", "DataLoader")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle \
                else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.shuffle, self.collate_fn, self.transform = shuffle, collate_fn, transform
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.persistent_workers = worker_init_fn, persistent_workers
        self.prefetch_factor = 2 if num_workers and prefetch_factor is None else prefetch_factor

    @staticmethod
    def _check_workers(num_workers, prefetch_factor, persistent_workers, timeout,
                       worker_init_fn):
        num_workers = _check_non_negative_int(num_workers, "num_workers")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor needs num_workers > 0 "
                             "(leave it None without workers)")
        if prefetch_factor is not None:
            _check_non_negative_int(prefetch_factor, "prefetch_factor")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers=True needs num_workers > 0")
        if not isinstance(timeout, numbers.Real) or timeout < 0:
            raise ValueError(f"DataLoader: timeout must be a number >= 0, got {timeout!r}")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(f"DataLoader: worker_init_fn must be callable, got "
                            f"{type(worker_init_fn).__name__}")
        if num_workers > 0:
            _say_workers_run_in_process(num_workers)

    def __len__(self):
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def batch_indices(self):
        """The index arrays of one epoch, lazily (the shuffle permutation is drawn
        when the first batch is asked for)."""
        if hasattr(self.batch_sampler, "index_batches"):
            return self.batch_sampler.index_batches()
        return (np.asarray(batch, dtype=np.int64) for batch in self.batch_sampler)

    def _fetch(self, indices):
        """One batch: a NumPy structure (default collation) or collate_fn's result."""
        if self.collate_fn is None and hasattr(self.dataset, "__getitems__"):
            batch = self.dataset.__getitems__(indices)
            return list(batch) if isinstance(batch, tuple) else _collate_arrays(batch)
        samples = [self.dataset[int(i)] for i in indices]
        return (self.collate_fn or _collate_arrays)(samples)

    def __iter__(self):
        if self.batch_sampler is None:
            yield from self._single_samples()
            return
        for indices in self.batch_indices():
            batch = self._fetch(indices)
            if self.transform is not None:
                batch = self.transform(*batch) if isinstance(batch, (tuple, list)) \
                    else self.transform(batch)
            yield _as_tensors(batch)

    def _single_samples(self):
        convert = self.collate_fn or default_convert
        for index in self.sampler:
            yield default_convert(convert(self.dataset[int(index)]))
