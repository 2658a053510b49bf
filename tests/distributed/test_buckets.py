import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.distributed import (
    Communicator,
    DistributedError,
    average_gradients,
    plan_buckets,
)
from tests.distributed.threads import run_ranks

shape_lists = st.lists(st.lists(st.integers(1, 40), min_size=0, max_size=3).map(tuple),
                       min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(shapes=shape_lists, dtype_bits=st.lists(st.booleans(), min_size=12, max_size=12),
       bucket_kb=st.floats(0.05, 8))
def test_plan_puts_every_tensor_in_one_bucket_of_its_dtype_within_the_limit(
        shapes, dtype_bits, bucket_kb):
    dtypes = [np.float32 if bit else np.float64 for bit in dtype_bits[:len(shapes)]]
    buckets = plan_buckets(shapes, dtypes, bucket_mb=bucket_kb / 1024)
    seen = []
    for bucket in buckets:
        offset = 0
        for index, start, size, shape in bucket.members:
            assert np.dtype(dtypes[index]) == bucket.dtype and shape == shapes[index]
            assert start == offset and size == int(np.prod(shape))  # packed, no gaps
            offset += size
            seen.append(index)
        assert bucket.numel == offset
        # over the limit only when a single tensor is already larger than it
        assert bucket.numel * bucket.dtype.itemsize <= bucket_kb * 1024 or \
            len(bucket.members) == 1
    assert sorted(seen) == list(range(len(shapes)))
    for dtype in set(map(np.dtype, dtypes)):  # order kept within a dtype
        order = [i for b in buckets if b.dtype == dtype for i, *_ in b.members]
        assert order == sorted(order)


def test_plan_rejects_a_non_positive_bucket_size():
    with pytest.raises(ValueError, match="bucket_mb must be > 0, got 0"):
        plan_buckets([(2,)], [np.float32], bucket_mb=0)


def _params(rank, with_grad):
    rng = np.random.default_rng(rank)
    shapes = [(3, 4), (4,), (2, 2, 2), (5,)]
    params = [mg.tensor(np.zeros(s), requires_grad=True, dtype=np.float64) for s in shapes]
    params.append(mg.tensor(np.zeros(3, dtype=np.float32), requires_grad=True))
    for index, p in enumerate(params):
        if with_grad(rank, index):
            p.grad = mg.tensor(rng.normal(size=p.shape).astype(p.dtype))
    return params


@pytest.mark.parametrize("size", [2, 3])
def test_average_gradients_is_the_mean_over_ranks_with_missing_grads_as_zero(size):
    # parameter 3 has a gradient on rank 0 only, parameter 1 on no rank
    def with_grad(rank, index):
        return index not in (1, 3) or (index == 3 and rank == 0)

    def work(comm):
        params = _params(comm.rank, with_grad)
        average_gradients(comm, params, bucket_mb=0.0002)  # 200 bytes: several buckets
        return params

    results = run_ranks(size, work)
    local = [_params(r, with_grad) for r in range(size)]
    for index in range(5):
        if index == 1:
            assert all(params[1].grad is None for params in results)
            continue
        naive = sum(p[index].grad.numpy() if p[index].grad is not None else 0 for p in local)
        for params in results:
            np.testing.assert_allclose(params[index].grad.numpy(), naive / size, rtol=1e-6)
            assert params[index].grad.dtype == params[index].dtype


class CountingBackend:
    """Two identical ranks seen from one of them: a sum is twice the value."""
    name, rank, size = "counting", 0, 2

    def __init__(self):
        self.calls = 0

    def allreduce_(self, array):
        self.calls += 1
        array *= 2
        return array


def test_one_allreduce_per_bucket_not_per_tensor():
    backend = CountingBackend()
    comm = Communicator(backend)
    params = [mg.tensor(np.ones((10, 10), dtype=np.float32), requires_grad=True) for _ in range(20)]
    for p in params:
        p.grad = mg.tensor(np.full((10, 10), 3.0, dtype=np.float32))
    average_gradients(comm, params, bucket_mb=4.0)  # 20 * 400 bytes fit in one bucket
    assert backend.calls == 1 and comm.stats["allreduce_calls"] == 1
    assert all(np.all(p.grad.numpy() == 3.0) for p in params)  # mean of two equal grads


@pytest.fixture
def keep_grad_mode():
    """broadcast_tensors enters no_grad; threads share that global switch."""
    from minigrad.autograd import _GradMode

    enabled = _GradMode.enabled
    yield
    _GradMode.enabled = enabled


def test_broadcast_tensors_copies_rank_zeros_values_into_every_dtype(keep_grad_mode):
    def work(comm):
        tensors = [mg.tensor(np.full((2, 3), comm.rank + 0.5)),
                   mg.tensor(np.full(4, comm.rank + 0.5, dtype=np.float32)),
                   mg.tensor(np.array(7 * comm.rank + 1, dtype=np.int64))]
        comm.broadcast_tensors(tensors)
        return [t.numpy().tolist() for t in tensors]

    expected = [[[0.5] * 3] * 2, [0.5] * 4, 1]
    assert run_ranks(3, work) == [expected] * 3


def test_broadcast_refuses_ranks_with_different_models(keep_grad_mode):
    def work(comm):
        shape = (2, 3) if comm.rank == 0 else (3, 2)
        comm.broadcast_tensors([mg.tensor(np.zeros(shape))])

    with pytest.raises(DistributedError, match="the ranks hold different tensor layouts"):
        run_ranks(2, work)


def test_average_buffers_takes_the_mean_of_floating_buffers_only(keep_grad_mode):
    import minigrad.nn as nn

    def work(comm):
        layer = nn.BatchNorm1d(3)
        layer.running_mean.data[...] = comm.rank + np.arange(3)
        layer.running_var.data[...] = 2.0 ** comm.rank
        layer.num_batches_tracked.data[...] = 10 + comm.rank  # not averaged: integer
        comm.average_buffers(layer)
        return (layer.running_mean.numpy().tolist(), layer.running_var.numpy().tolist(),
                int(layer.num_batches_tracked.numpy()))

    results = run_ranks(2, work)
    assert results[0][:2] == results[1][:2] == ([0.5, 1.5, 2.5], [1.5] * 3)
    assert [r[2] for r in results] == [10, 11]
