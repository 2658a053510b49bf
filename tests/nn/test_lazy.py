"""Lazy layers: sizes from the first input, the ordinary layer afterwards, and the
same numbers as the eager layer built with the same draws."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.errors import ShapeError


def test_lazy_layers_take_their_sizes_from_the_first_input():
    model = nn.Sequential(nn.LazyConv2d(4, 3, padding=1), nn.LazyBatchNorm2d(), nn.ReLU(),
                          nn.Flatten(), nn.LazyLinear(5), nn.LazyBatchNorm1d())
    assert model[0].has_uninitialized_params()
    model(mg.randn(2, 3, 6, 6))
    assert type(model[0]) is nn.Conv2d and model[0].weight.shape == (4, 3, 3, 3)
    assert model[0].in_channels == 3 and model[0].padding == 1
    assert type(model[1]) is nn.BatchNorm2d and model[1].running_mean.shape == (4,)
    assert type(model[4]) is nn.Linear and model[4].weight.shape == (5, 4 * 6 * 6)
    assert model[4].in_features == 144
    assert type(model[5]) is nn.BatchNorm1d and model[5].num_features == 5


def test_an_optimiser_made_before_the_first_call_updates_the_real_weights():
    layer = nn.LazyLinear(2)
    optimizer = optim.SGD(layer.parameters(), lr=0.5)
    x = mg.randn(3, 4)
    layer(x).sum().backward()
    before = layer.weight.numpy().copy()
    optimizer.step()
    np.testing.assert_allclose(layer.weight.numpy(), before - 0.5 * layer.weight.grad.numpy())


def test_the_first_call_draws_as_the_eager_layer_does():
    mg.manual_seed(3)
    eager = nn.Linear(4, 2)
    mg.manual_seed(3)
    lazy = nn.LazyLinear(2)
    x = mg.ones(1, 4)
    np.testing.assert_array_equal(lazy(x).numpy(), eager(x).numpy())


def test_without_bias_and_errors():
    layer = nn.LazyLinear(3, bias=False)
    layer(mg.zeros(2, 5))
    assert layer.bias is None and layer.weight.shape == (3, 5)
    with pytest.raises(ShapeError, match="LazyConv2d: expected an"):
        nn.LazyConv2d(2, 3)(mg.zeros(2, 3))
