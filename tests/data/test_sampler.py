"""minigrad.data.sampler: the samplers of torch.utils.data, with their checks."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from minigrad.data import sampler as sampler_module


def seeded(seed=0):
    return mg.Generator().manual_seed(seed)


@pytest.mark.parity
@pytest.mark.parametrize("n", [0, 1, 7, 10])
@pytest.mark.parametrize("batch_size", [1, 3, 10, 11])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sequential_batches_match_pytorch(n, batch_size, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    theirs = torch_data.BatchSampler(torch_data.SequentialSampler(range(n)), batch_size,
                                     drop_last)
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    # a plain iterable of indices (no index_chunks) is grouped the same way
    assert list(BatchSampler(range(n), batch_size, drop_last)) == list(theirs)
    assert list(SequentialSampler(range(n))) == list(torch_data.SequentialSampler(range(n)))


def test_samplers_yield_python_ints():
    for sampler in (SequentialSampler(range(3)), RandomSampler(range(3)),
                    SubsetRandomSampler([4, 5]), WeightedRandomSampler([1.0, 2.0], 3)):
        assert all(type(i) is int for i in sampler)
    assert all(type(i) is int for batch in BatchSampler(RandomSampler(range(5)), 2, False)
               for i in batch)


def test_random_sampler_draws_a_new_permutation_each_epoch_from_its_generator():
    sampler = RandomSampler(range(20), generator=seeded(3))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == list(range(20)) and first != second
    expected = np.random.default_rng(3)
    assert list(RandomSampler(range(20), generator=seeded(3))) == \
        expected.permutation(20).tolist()
    mg.manual_seed(8)  # without a generator: the global one
    assert list(RandomSampler(range(5))) == np.random.default_rng(8).permutation(5).tolist()


def test_random_sampler_num_samples_and_replacement():
    more = list(RandomSampler(range(4), num_samples=10, generator=seeded()))
    assert len(more) == 10 and all(np.bincount(more) >= 2) and all(np.bincount(more) <= 3)
    assert sorted(more[:4]) == [0, 1, 2, 3] and sorted(more[4:8]) == [0, 1, 2, 3]
    fewer = list(RandomSampler(range(10), num_samples=4, generator=seeded()))
    assert len(set(fewer)) == 4
    drawn = list(RandomSampler(range(5), replacement=True, num_samples=50_000,
                               generator=seeded()))
    assert len(RandomSampler(range(5), replacement=True, num_samples=7)) == 7
    repeats = list(RandomSampler(range(100), replacement=True, generator=seeded()))
    assert len(repeats) == 100 and len(set(repeats)) < 90  # expected 63 distinct
    np.testing.assert_allclose(np.bincount(drawn) / 50_000, 0.2, atol=0.01)


def test_subset_random_sampler_permutes_its_indices():
    sampler = SubsetRandomSampler([5, 6, 7, 9], generator=seeded(1))
    assert sorted(sampler) == [5, 6, 7, 9] and len(sampler) == 4
    orders = {tuple(sampler) for _ in range(50)}
    assert len(orders) > 10


def test_weighted_sampler_follows_the_weights():
    drawn = list(WeightedRandomSampler([1.0, 0.0, 3.0], 40_000, generator=seeded()))
    np.testing.assert_allclose(np.bincount(drawn, minlength=3) / 40_000, [0.25, 0, 0.75],
                               atol=0.01)
    distinct = list(WeightedRandomSampler([1, 2, 3, 4], 4, replacement=False))
    assert sorted(distinct) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="cannot draw 5 samples without replacement"):
        WeightedRandomSampler([1.0, 2.0], 5, replacement=False)
    with pytest.raises(ValueError, match="finite, >= 0 and not all zero"):
        WeightedRandomSampler([0.1, -0.9], 3)


@pytest.mark.parity
@pytest.mark.parametrize("make", [
    lambda data: data.RandomSampler(range(10), num_samples=0),
    lambda data: data.RandomSampler(range(10), num_samples=2.5),
    lambda data: data.RandomSampler(range(10), num_samples="3"),
    lambda data: data.RandomSampler(range(10), num_samples=-3),
    lambda data: data.RandomSampler(range(10), replacement="x"),
    lambda data: data.WeightedRandomSampler([0.1, 0.9], 0),
    lambda data: data.WeightedRandomSampler([0.1, 0.9], 2.5),
    lambda data: data.WeightedRandomSampler([[0.1, 0.9]], 3),
    lambda data: data.WeightedRandomSampler([0.1, 0.9], 3, replacement="x"),
    lambda data: data.BatchSampler(range(10), 2.7, False),
    lambda data: data.BatchSampler(range(10), 0, False),
    lambda data: data.BatchSampler(range(10), True, False),
    lambda data: data.BatchSampler(range(10), 3, "no"),
])
def test_bad_sampler_arguments_are_refused_as_pytorch_refuses_them(make):
    torch_data = pytest.importorskip("torch.utils.data")
    import minigrad.data as ours

    with pytest.raises((TypeError, ValueError)):
        make(torch_data)
    with pytest.raises((TypeError, ValueError)) as error:
        make(ours)
    message = str(error.value)
    assert message.split(":")[0] in {"RandomSampler", "WeightedRandomSampler", "BatchSampler"}
    assert any(name in message for name in ("num_samples", "replacement", "weights",
                                            "batch_size", "drop_last"))


def test_count_checks_say_type_or_value():
    with pytest.raises(TypeError, match=r"num_samples must be a positive integer, got float 2.5"):
        RandomSampler(range(3), num_samples=2.5)
    with pytest.raises(ValueError, match=r"num_samples must be a positive integer, got 0"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="generator must be"):
        RandomSampler(range(3), generator=42)


def test_a_custom_sampler_is_batched_lazily():
    class Evens(Sampler):
        def __iter__(self):
            return iter(range(0, 10, 2))

        def __len__(self):
            return 5

    assert list(BatchSampler(Evens(), 2, drop_last=False)) == [[0, 2], [4, 6], [8]]
    assert [b.tolist() for b in BatchSampler(Evens(), 2, True).index_batches()] == \
        [[0, 2], [4, 6]]


def test_batches_cut_across_chunk_boundaries(monkeypatch):
    monkeypatch.setattr(sampler_module, "CHUNK", 5)
    sampler = RandomSampler(range(10), replacement=True, num_samples=23, generator=seeded())
    for drop_last, sizes in ((False, [4, 4, 4, 4, 4, 3]), (True, [4, 4, 4, 4, 4])):
        batches = list(BatchSampler(sampler, 4, drop_last))
        assert [len(b) for b in batches] == sizes
        sampler.generator.manual_seed(0)
        assert sum(batches, []) == list(sampler)[:sum(sizes)]
        sampler.generator.manual_seed(0)


def test_makemores_infinite_loader_stays_lazy():
    """makemore's InfiniteDataLoader: RandomSampler(replacement=True, num_samples=1e10)."""
    from minigrad.data import DataLoader, TensorDataset

    dataset = TensorDataset(np.arange(100))
    sampler = RandomSampler(dataset, replacement=True, num_samples=int(1e10))
    loader = DataLoader(dataset, sampler=sampler, batch_size=32)
    assert len(loader) == 312_500_000
    batches = iter(loader)
    first_three = [next(batches)[0].numpy() for _ in range(3)]
    assert all(b.shape == (32,) and b.min() >= 0 and b.max() < 100 for b in first_three)
