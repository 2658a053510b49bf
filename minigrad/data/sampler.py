"""Samplers: the order in which a DataLoader visits a dataset, as in torch.utils.data.

A sampler yields dataset indices (Python ints); a BatchSampler groups them into
lists. minigrad's own samplers also answer `index_chunks()`, the epoch's indices as
int64 arrays drawn a chunk at a time, which lets the BatchSampler cut batches by
slicing and the DataLoader fetch each batch by fancy indexing. Chunks keep an
epoch lazy: makemore's "infinite" loader asks RandomSampler for 10**10 samples.

Random samplers draw from `generator` (a mg.Generator or an np.random.Generator)
or, without one, from the global generator that mg.manual_seed seeds, as their
iteration proceeds: every pass is a new draw, and a seeded run repeats.
"""

import numpy as np

from minigrad.creation import multinomial
from minigrad.rng import numpy_generator

CHUNK = 65536  # indices drawn at once by RandomSampler with replacement

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


def check_positive_int(value, name, owner):
    """`value` as an int >= 1, else TypeError (not an int) or ValueError (< 1)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be a positive integer, got "
                        f"{type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value}")
    return int(value)


def check_bool(value, name, owner):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got "
                        f"{type(value).__name__} {value!r}")
    return bool(value)


class Sampler:
    """Base class: subclasses define `__iter__` (yielding indices) and `__len__`."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class _ChunkedSampler(Sampler):
    """A sampler whose epoch comes as int64 arrays (see index_chunks)."""

    def index_chunks(self):
        raise NotImplementedError

    def __iter__(self):
        for chunk in self.index_chunks():
            yield from chunk.tolist()


class SequentialSampler(_ChunkedSampler):
    """0, 1, ..., len(data_source) - 1, in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def index_chunks(self):
        yield np.arange(len(self.data_source), dtype=np.int64)

    def __len__(self):
        return len(self.data_source)


class RandomSampler(_ChunkedSampler):
    """Random indices into data_source, num_samples of them (default: its length).

    Without replacement each epoch is `permutation(N)` from the generator; asking for
    more than N samples concatenates further permutations, the last one cut short.
    With replacement the indices are `integers(0, N, k)`, k = CHUNK at a time.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = check_bool(replacement, "replacement", "RandomSampler")
        if num_samples is not None:
            num_samples = check_positive_int(num_samples, "num_samples", "RandomSampler")
        self._num_samples = num_samples
        self.generator = generator
        numpy_generator(generator, "RandomSampler")  # reject a wrong type now

    @property
    def num_samples(self):
        # read at each epoch, so a dataset that grows is seen whole, as in PyTorch
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def index_chunks(self):
        n, wanted = len(self.data_source), self.num_samples
        rng = numpy_generator(self.generator, "RandomSampler")
        if self.replacement:
            for start in range(0, wanted, CHUNK):
                yield rng.integers(0, n, min(CHUNK, wanted - start), dtype=np.int64)
            return
        whole, rest = divmod(wanted, n) if n else (0, 0)
        for _ in range(whole):
            yield rng.permutation(n)
        if rest:
            yield rng.permutation(n)[:rest]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(_ChunkedSampler):
    """The given indices in a random order (`permutation(len(indices))`), each epoch anew."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator
        numpy_generator(generator, "SubsetRandomSampler")

    def index_chunks(self):
        order = numpy_generator(self.generator, "SubsetRandomSampler").permutation(
            len(self.indices))
        yield np.asarray(self.indices, dtype=np.int64)[order]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(_ChunkedSampler):
    """num_samples indices in [0, len(weights)), index k drawn with probability
    weights[k] / sum(weights); the draw is `mg.multinomial` (see there), for example
    to oversample rare classes with weights = 1 / class_count[label].
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        owner = "WeightedRandomSampler"
        self.num_samples = check_positive_int(num_samples, "num_samples", owner)
        self.replacement = check_bool(replacement, "replacement", owner)
        weights = np.asarray(weights._data if hasattr(weights, "_data") else weights,
                             dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(f"{owner}: weights must be 1-D, got shape {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError(f"{owner}: weights must be finite, >= 0 and not all zero")
        if not self.replacement and self.num_samples > len(weights):
            raise ValueError(f"{owner}: cannot draw {self.num_samples} samples without "
                             f"replacement from {len(weights)} weights")
        self.weights = weights
        self.generator = generator
        numpy_generator(generator, owner)

    def index_chunks(self):
        drawn = multinomial(self.weights, self.num_samples, self.replacement,
                            generator=self.generator)
        yield drawn.numpy()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of batch_size consecutive indices from `sampler` (any iterable of indices);
    the last, shorter list is dropped when drop_last is True.

        list(BatchSampler(range(10), 3, drop_last=False))
        [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        self.sampler = sampler
        self.batch_size = check_positive_int(batch_size, "batch_size", "BatchSampler")
        self.drop_last = check_bool(drop_last, "drop_last", "BatchSampler")

    def index_batches(self):
        """One epoch's batches as int64 arrays, lazily: slices of the sampler's chunks
        when it has index_chunks, else grouped as the sampler yields its indices."""
        if not hasattr(self.sampler, "index_chunks"):
            yield from (np.asarray(batch, dtype=np.int64) for batch in self._grouped())
            return
        size, pending = self.batch_size, np.zeros(0, dtype=np.int64)
        for chunk in self.sampler.index_chunks():
            pending = np.concatenate([pending, chunk]) if len(pending) else chunk
            whole = len(pending) - len(pending) % size
            for start in range(0, whole, size):
                yield pending[start:start + size]
            pending = pending[whole:]
        if len(pending) and not self.drop_last:
            yield pending

    def _grouped(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __iter__(self):
        if hasattr(self.sampler, "index_chunks"):
            return (batch.tolist() for batch in self.index_batches())
        return self._grouped()

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
