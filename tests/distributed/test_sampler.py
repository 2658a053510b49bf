import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.data import DataLoader, TensorDataset
from minigrad.distributed import DistributedDataLoader, DistributedSampler


def naive_shard(n, k, rank, seed, epoch, mode="pad"):
    """The definition, step by step: permute, pad by cycling (or cut), deal round-robin."""
    order = list(np.random.default_rng([seed, epoch]).permutation(n))
    if mode == "pad":
        while len(order) % k:
            order.append(order[len(order) - n])
    elif mode == "drop":
        order = order[:n - n % k]
    return [index for position, index in enumerate(order) if position % k == rank]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 60), k=st.integers(1, 5), seed=st.integers(0, 2**31),
       epoch=st.integers(0, 20), mode=st.sampled_from(["pad", "drop", "uneven"]))
def test_shards_follow_the_definition_and_cover_the_data(n, k, seed, epoch, mode):
    if mode == "drop" and n < k:
        return
    shards = []
    for rank in range(k):
        sampler = DistributedSampler(n, num_replicas=k, rank=rank, seed=seed,
                                     drop_last=mode == "drop", pad=mode != "uneven")
        sampler.set_epoch(epoch)
        shard = sampler.indices().tolist()
        assert shard == naive_shard(n, k, rank, seed, epoch, mode)
        assert len(sampler) == len(shard)
        shards.append(shard)
    everything = sorted(i for shard in shards for i in shard)
    if mode == "uneven":
        assert everything == list(range(n))  # each sample exactly once
        assert max(map(len, shards)) - min(map(len, shards)) <= 1
    else:
        assert len({len(s) for s in shards}) == 1  # equal shards: no rank waits
        if mode == "pad":
            assert set(everything) == set(range(n))
            assert len(everything) == -(-n // k) * k


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 20), k=st.integers(1, 4), batch=st.integers(1, 6),
       seed=st.integers(0, 1000), epoch=st.integers(0, 5))
def test_k_ranks_of_batch_b_see_the_global_batches_of_one_rank_with_batch_kb(
        m, k, batch, seed, epoch):
    n = m * k  # no padding: the one-rank run reads the plain permutation
    data = TensorDataset(np.arange(n))

    def batches(loader):
        loader.set_epoch(epoch)
        return [b[0].numpy().tolist() for b in loader]

    single = batches(DistributedDataLoader(data, batch_size=k * batch,
                                           sampler=DistributedSampler(n, 1, 0, seed=seed)))
    per_rank = [batches(DistributedDataLoader(data, batch_size=batch,
                                              sampler=DistributedSampler(n, k, r, seed=seed)))
                for r in range(k)]
    assert all(len(steps) == len(single) for steps in per_rank)
    for step, global_batch in enumerate(single):
        union = sorted(i for steps in per_rank for i in steps[step])
        assert union == sorted(global_batch)


def test_each_epoch_reshuffles_and_the_same_epoch_repeats():
    sampler = DistributedSampler(50, num_replicas=2, rank=1, seed=3)
    first = sampler.indices().copy()
    sampler.set_epoch(1)
    assert not np.array_equal(sampler.indices(), first)
    sampler.set_epoch(0)
    np.testing.assert_array_equal(sampler.indices(), first)
    ordered = DistributedSampler(7, num_replicas=2, rank=0, shuffle=False)
    assert ordered.indices().tolist() == [0, 2, 4, 6]


def test_loader_batches_its_shard_and_advances_the_epoch_by_itself():
    data = TensorDataset(np.arange(20) * 10, np.arange(20))
    loader = DistributedDataLoader(data, batch_size=3, seed=1,
                                   sampler=DistributedSampler(20, 2, 1, seed=1))
    assert len(loader) == 4 and loader.num_samples == 10
    epoch0 = [y.numpy().tolist() for _, y in loader]
    assert [len(b) for b in epoch0] == [3, 3, 3, 1]
    assert sum(epoch0, []) == DistributedSampler(20, 2, 1, seed=1).indices().tolist()
    epoch1 = [y.numpy().tolist() for _, y in loader]
    assert epoch1 != epoch0
    loader.set_epoch(0)
    assert [y.numpy().tolist() for _, y in loader] == epoch0
    dropping = DistributedDataLoader(data, batch_size=3, drop_last=True,
                                     sampler=DistributedSampler(20, 2, 0))
    assert len(dropping) == 3 and dropping.num_samples == 9
    assert isinstance(loader, DataLoader)


def test_sampler_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"rank 2 is not in \[0, 2\)"):
        DistributedSampler(10, num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="drop_last with 1 samples and 3 ranks"):
        DistributedSampler(1, num_replicas=3, rank=0, drop_last=True)
