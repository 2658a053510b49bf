import numpy as np
import pytest

import minigrad as mg
from minigrad.data import DataLoader, Dataset, TensorDataset


class Squares(Dataset):
    """A map-style dataset without batch fetching: exercises the per-sample path."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i


@pytest.mark.parametrize("drop_last,expected", [(False, [3, 3, 1]), (True, [3, 3])])
def test_batches_cover_dataset_in_order(drop_last, expected):
    loader = DataLoader(Squares(), batch_size=3, drop_last=drop_last)
    batches = list(loader)
    assert [len(b[1]) for b in batches] == expected
    assert len(loader) == len(expected)
    x, y = batches[0]
    assert isinstance(x, mg.Tensor) and x.shape == (3, 2)
    np.testing.assert_array_equal(x.data[:, 1], [0, 1, 4])


def test_shuffle_is_a_permutation_that_follows_the_seed():
    ds = TensorDataset(np.arange(50))
    loader = DataLoader(ds, batch_size=8, shuffle=True)
    mg.manual_seed(11)
    first = np.concatenate([b[0].data for b in loader])
    second = np.concatenate([b[0].data for b in loader])
    assert sorted(first) == list(range(50)) and not np.array_equal(first, np.arange(50))
    assert not np.array_equal(first, second)  # a new order every epoch
    mg.manual_seed(11)
    expected = np.random.default_rng(11).permutation(50)  # same generator, same draw
    np.testing.assert_array_equal(np.concatenate([b[0].data for b in loader]), expected)


def test_transform_sees_numpy_batches_and_can_change_targets():
    ds = TensorDataset(np.ones((4, 1, 2, 2), np.float32), np.arange(4))

    def double_and_onehot(x, y):
        return 2 * x, np.eye(4, dtype=np.float32)[y]

    (x, y), = list(DataLoader(ds, batch_size=4, transform=double_and_onehot))
    assert float(x.data.sum()) == 32.0 and y.shape == (4, 4)


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        DataLoader(TensorDataset(np.arange(3)), batch_size=0)
