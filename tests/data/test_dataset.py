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
