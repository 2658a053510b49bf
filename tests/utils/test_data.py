"""minigrad.utils.data: PyTorch's import path for the objects of minigrad.data."""

import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
import minigrad.data
import minigrad.utils.data as data
from minigrad.utils.data import DataLoader, TensorDataset

NAMES = ["Dataset", "TensorDataset", "DataLoader", "Subset", "random_split", "Sampler",
         "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
         "WeightedRandomSampler", "BatchSampler", "default_collate", "default_convert"]


def test_the_same_objects_as_minigrad_data():
    for name in NAMES:
        assert getattr(data, name) is getattr(minigrad.data, name), name
    assert sorted(data.__all__) == sorted(NAMES)
    assert mg.utils.data is data and DataLoader is minigrad.data.DataLoader


@pytest.mark.parity
def test_every_name_is_pytorchs():
    torch_data = pytest.importorskip("torch.utils.data")
    assert [name for name in NAMES if not hasattr(torch_data, name)] == []


def test_reached_as_torch_utils_data_after_import_minigrad_as_torch():
    code = ("import minigrad as torch, numpy as np; "
            "loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset("
            "np.arange(6)), batch_size=4); assert len(loader) == 2")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_makemore_style_minibatch_loop():
    # the sampling lines of Karpathy's makemore, with `import minigrad as torch`
    torch = mg
    g = torch.Generator().manual_seed(2147483647)
    counts = torch.tensor(np.random.default_rng(0).integers(1, 9, (27, 27)).astype(np.float32))
    p = counts[0] / counts[0].sum()
    ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
    assert 0 <= ix < 27
    X = torch.randint(0, 27, (100, 3), generator=g)
    batch = torch.randint(0, X.shape[0], (32,), generator=g)
    assert X[batch].shape == (32, 3) and batch.dtype == np.int64
    C = torch.randn((27, 2), generator=g)
    assert C[X[batch]].shape == (32, 3, 2)
    loader = DataLoader(TensorDataset(X.numpy(), X.numpy()[:, 0]), batch_size=32,
                        shuffle=True, generator=g)
    assert [len(y) for _, y in loader] == [32, 32, 32, 4]
