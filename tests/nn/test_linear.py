"""Linear, DropConnectLinear, Maxout, Identity, Flatten."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.testing.strategies import arrays
from tests.helpers import GRADCHECK, rng


@GRADCHECK
@given(data=st.data(), n_in=st.integers(1, 3), n_out=st.integers(1, 3),
       lead=st.lists(st.integers(1, 2), max_size=2))
def test_linear_gradcheck_and_loop(data, n_in, n_out, lead):
    x = mg.tensor(data.draw(arrays(tuple(lead) + (n_in,))), requires_grad=True)
    w = mg.tensor(rng(1).standard_normal((n_out, n_in)), requires_grad=True)
    b = mg.tensor(rng(2).standard_normal(n_out), requires_grad=True)
    expected = np.zeros(tuple(lead) + (n_out,))
    for index in np.ndindex(tuple(lead)):
        for o in range(n_out):
            expected[index + (o,)] = b.numpy()[o] + sum(w.numpy()[o, i] * x.numpy()[index + (i,)]
                                                     for i in range(n_in))
    np.testing.assert_allclose(F.linear(x, w, b).numpy(), expected, rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(F.linear, (x, w, b))
    assert mg.gradgradcheck(F.linear, (x, w, b))


def test_linear_module_shapes_dtype_and_no_bias():
    layer = nn.Linear(3, 5)
    assert layer.weight.shape == (5, 3) and layer.bias.shape == (5,)
    y = layer(mg.randn(2, 7, 3))
    assert y.shape == (2, 7, 5) and y.dtype == np.float32
    bare = nn.Linear(3, 5, bias=False)
    assert bare.bias is None and [n for n, _ in bare.named_parameters()] == ["weight"]
    np.testing.assert_allclose(bare(mg.ones(1, 3)).numpy(), bare.weight.numpy().sum(1)[None],
                               rtol=1e-6)


def test_dropconnect_masks_weights_in_training_only():
    mg.manual_seed(0)
    layer = nn.DropConnectLinear(200, 300, bias=False, p=0.4)
    x = mg.tensor(np.eye(200, dtype=np.float32))
    layer.eval()
    np.testing.assert_allclose(layer(x).numpy(), layer.weight.numpy().T, rtol=1e-6)
    layer.train()
    effective = layer(x).numpy().T  # row o = the masked weights of output o
    dropped = effective == 0
    assert dropped.mean() == pytest.approx(0.4, abs=0.01)
    np.testing.assert_allclose(effective[~dropped], layer.weight.numpy()[~dropped] / 0.6,
                               rtol=1e-5)
    assert nn.DropConnect is nn.DropConnectLinear


def test_maxout_module_takes_the_max_of_pieces():
    mg.manual_seed(1)
    layer = nn.Maxout(3, 2, pool_size=4)
    x = mg.randn(5, 3)
    pieces = layer.linear(x).numpy().reshape(5, 2, 4)
    np.testing.assert_array_equal(layer(x).numpy(), pieces.max(axis=2))


def test_identity_and_flatten():
    x = mg.randn(2, 3, 4, 5)
    assert nn.Identity(54, unused=1)(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
