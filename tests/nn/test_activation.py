"""Activation modules: each equals its functional form; PReLU learns its slope."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from tests.helpers import rng

MODULES = [
    (nn.Sigmoid(), F.sigmoid), (nn.Tanh(), F.tanh), (nn.ReLU(), F.relu),
    (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)), (nn.ELU(0.5), lambda x: F.elu(x, 0.5)),
    (nn.SELU(), F.selu), (nn.GELU(), F.gelu), (nn.GELU("tanh"), lambda x: F.gelu(x, "tanh")),
    (nn.SiLU(), F.silu), (nn.Softplus(2.0, 5.0), lambda x: F.softplus(x, 2.0, 5.0)),
    (nn.Softmax(dim=1), lambda x: F.softmax(x, dim=1)),
    (nn.LogSoftmax(dim=0), lambda x: F.log_softmax(x, dim=0)),
]


@pytest.mark.parametrize("module, function", MODULES, ids=lambda m: type(m).__name__)
def test_module_matches_function(module, function):
    x = mg.tensor(rng(0).standard_normal((4, 3)) * 3)
    np.testing.assert_array_equal(module(x).numpy(), function(x).numpy())
    assert "(" in repr(module)


def test_selu_keeps_unit_statistics():
    """The self-normalising fixed point: N(0, 1) inputs keep mean ~0 and var ~1."""
    x = mg.tensor(rng(1).standard_normal(400_000))
    y = nn.SELU()(x).numpy()
    assert abs(y.mean()) < 0.01 and y.var() == pytest.approx(1.0, abs=0.01)


def test_softmax_rows_sum_to_one_and_swish_alias():
    y = nn.Softmax(dim=-1)(mg.tensor(rng(2).standard_normal((3, 5)) * 50))
    np.testing.assert_allclose(y.numpy().sum(-1), np.ones(3), rtol=1e-6)
    assert nn.Swish is nn.SiLU


def test_prelu_learns_per_channel_slopes():
    layer = nn.PReLU(num_parameters=3, init=0.25).double()
    assert np.all(layer.weight.numpy() == 0.25)
    x = mg.tensor(-np.ones((2, 3, 4)))
    layer(x).sum().backward()
    # d/da sum(a * x) over the negative inputs = sum of those x per channel = -8
    np.testing.assert_array_equal(layer.weight.grad.numpy(), np.full(3, -8.0))
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU("erf")
