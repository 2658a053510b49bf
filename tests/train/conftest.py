import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.data import DataLoader, TensorDataset, make_blobs


@pytest.fixture
def blobs():
    """Three well separated 2-D clusters: (train loader, val loader)."""
    mg.manual_seed(0)
    x, y = make_blobs(n_per_class=40, n_classes=3, std=0.6)
    order = np.random.default_rng(0).permutation(len(y))
    x, y = x[order], y[order]
    train = DataLoader(TensorDataset(x[:90], y[:90]), batch_size=16, shuffle=True)
    val = DataLoader(TensorDataset(x[90:], y[90:]), batch_size=32)
    return train, val


def small_mlp(seed=0, dropout=0.0):
    mg.manual_seed(seed)
    layers = [nn.Linear(2, 16), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(16, 3))
