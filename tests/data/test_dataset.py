import numpy as np
import pytest

import minigrad as mg
from minigrad.data import Subset, TensorDataset, random_split
from minigrad.errors import ShapeError


def test_tensor_dataset_indexes_rows_of_every_array():
    x = np.arange(20).reshape(10, 2)
    y = mg.tensor(np.arange(10) * 3)
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi, [8, 9])
    assert yi == 12
    xb, yb = ds.__getitems__(np.array([1, 3]))
    np.testing.assert_array_equal(yb, [3, 9])
    with pytest.raises(ShapeError, match=r"first dimension: shapes \[\(10, 2\), \(9,\)\]"):
        TensorDataset(x, np.zeros(9))


def test_random_split_is_a_disjoint_cover():
    mg.manual_seed(0)
    ds = TensorDataset(np.arange(103))
    parts = random_split(ds, [0.7, 0.2, 0.1])
    assert [len(p) for p in parts] == [73, 20, 10]  # 72.1+20.6+10.3: one leftover to part 0
    seen = np.concatenate([[p[i][0] for i in range(len(p))] for p in parts])
    np.testing.assert_array_equal(np.sort(seen), np.arange(103))
    assert [len(p) for p in random_split(ds, [100, 3])] == [100, 3]
    with pytest.raises(ValueError, match="do not add up"):
        random_split(ds, [50, 50])


def test_subset_of_subset_fetches_batches():
    ds = TensorDataset(np.arange(10) * 10)
    inner = Subset(ds, [9, 8, 7, 6])
    outer = Subset(inner, [3, 0])
    (batch,) = outer.__getitems__([0, 1])
    np.testing.assert_array_equal(batch, [60, 90])


@pytest.mark.parity
@pytest.mark.parametrize("n,lengths", [
    (10, [0.5, 0.5]), (10, [0.35, 0.35, 0.3]), (103, [0.7, 0.2, 0.1]), (10, [1.0, 0.0]),
    (7, [0.1] * 10), (10, [3, 7]), (5, [0.25, 0.25, 0.25, 0.25]),
])
def test_random_split_lengths_match_pytorch(n, lengths):
    torch_data = pytest.importorskip("torch.utils.data")
    theirs = [len(part) for part in torch_data.random_split(range(n), lengths)]
    assert [len(part) for part in random_split(TensorDataset(np.arange(n)), lengths)] == theirs


@pytest.mark.parity
@pytest.mark.parametrize("lengths", [[0.5, 0.6], [5, 6], [0.3, 0.3]])
def test_random_split_refuses_what_pytorch_refuses(lengths):
    torch_data = pytest.importorskip("torch.utils.data")
    with pytest.raises(ValueError):
        torch_data.random_split(range(10), lengths)
    with pytest.raises(ValueError, match="random_split"):
        random_split(TensorDataset(np.arange(10)), lengths)


def test_random_split_draws_from_its_generator():
    ds = TensorDataset(np.arange(12))
    for make in (lambda: mg.Generator().manual_seed(3), lambda: np.random.default_rng(3)):
        parts = random_split(ds, [0.5, 0.5], generator=make())
        order = np.random.default_rng(3).permutation(12)
        np.testing.assert_array_equal(parts[0].indices, order[:6])
        np.testing.assert_array_equal(parts[1].indices, order[6:])
    with pytest.raises(TypeError, match="random_split: generator must be"):
        random_split(ds, [6, 6], generator=3)
