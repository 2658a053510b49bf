"""Initialisation: statistics (mean, std, bounds) on large tensors against the
closed-form targets, fan rules for conv weights, gains, orthogonality, seeding."""

import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.errors import ShapeError
from minigrad.nn import init


def big(*shape):
    return nn.Parameter(np.empty(shape, dtype=np.float32))


def test_calculate_gain_values():
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("conv2d") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swishy'"):
        init.calculate_gain("swishy")


def test_constant_fills():
    w = big(3, 4)
    assert np.all(init.zeros_(w).numpy() == 0)
    assert np.all(init.ones_(w).numpy() == 1)
    assert np.all(init.constant_(w, 0.5).numpy() == 0.5)
    assert w.dtype == np.float32


def test_uniform_and_normal_statistics():
    mg.manual_seed(0)
    w = init.uniform_(big(1000, 1000), -2.0, 3.0)
    assert w.numpy().min() >= -2.0 and w.numpy().max() < 3.0
    assert w.numpy().mean() == pytest.approx(0.5, abs=0.01)
    assert w.numpy().std() == pytest.approx(5 / math.sqrt(12), rel=0.01)
    w = init.normal_(big(1000, 1000), 1.0, 0.5)
    assert w.numpy().mean() == pytest.approx(1.0, abs=0.002)
    assert w.numpy().std() == pytest.approx(0.5, rel=0.01)


@pytest.mark.parametrize("shape, fan_in, fan_out", [
    ((400, 250), 250, 400),
    ((64, 32, 3, 3), 32 * 9, 64 * 9),   # conv: fan_in = Cin * kh * kw
    ((128, 16, 5, 1), 16 * 5, 128 * 5),
])
def test_fans_drive_xavier_and_kaiming_statistics(shape, fan_in, fan_out):
    mg.manual_seed(1)
    xavier_bound = math.sqrt(6 / (fan_in + fan_out))
    w = init.xavier_uniform_(big(*shape), gain=2.0)
    assert np.abs(w.numpy()).max() <= 2.0 * xavier_bound
    assert np.abs(w.numpy()).max() > 0.99 * 2.0 * xavier_bound
    assert w.numpy().std() == pytest.approx(2.0 * xavier_bound / math.sqrt(3), rel=0.02)
    w = init.xavier_normal_(big(*shape))
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / (fan_in + fan_out)), rel=0.02)
    w = init.kaiming_uniform_(big(*shape), nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / fan_in)
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.99 * bound
    w = init.kaiming_normal_(big(*shape), mode="fan_out", nonlinearity="relu")
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / fan_out), rel=0.02)
    assert abs(w.numpy().mean()) < 0.02 * w.numpy().std()


def test_kaiming_a_sqrt5_is_the_pytorch_linear_default():
    mg.manual_seed(2)
    layer = nn.Linear(500, 800)
    bound = 1 / math.sqrt(500)
    assert np.abs(layer.weight.numpy()).max() <= bound
    assert np.abs(layer.weight.numpy()).max() > 0.99 * bound
    assert layer.weight.numpy().std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    assert np.abs(layer.bias.numpy()).max() <= bound


def test_orthogonal_rows_or_columns_are_orthonormal():
    mg.manual_seed(3)
    tall = init.orthogonal_(nn.Parameter(np.empty((50, 20))))
    np.testing.assert_allclose(tall.numpy().T @ tall.numpy(), np.eye(20), atol=1e-12)
    wide = init.orthogonal_(nn.Parameter(np.empty((20, 5, 2, 2))), gain=3.0)
    flat = wide.numpy().reshape(20, -1)
    np.testing.assert_allclose(flat @ flat.T, 9 * np.eye(20), atol=1e-11)


def test_orthogonal_is_haar_distributed_on_average():
    """Without the sign fix Q's diagonal is biased; with it each entry has mean 0."""
    mg.manual_seed(4)
    diagonals = [init.orthogonal_(nn.Parameter(np.empty((3, 3)))).numpy().diagonal()
                 for _ in range(2000)]
    assert np.abs(np.mean(diagonals, axis=0)).max() < 0.05


def test_trunc_normal_respects_bounds():
    mg.manual_seed(5)
    w = init.trunc_normal_(big(300, 300), std=1.0, a=-1.0, b=1.5)
    assert w.numpy().min() >= -1.0 and w.numpy().max() <= 1.5


def test_manual_seed_makes_init_repeatable():
    mg.manual_seed(6)
    first = nn.Linear(4, 3).weight.numpy().copy()
    mg.manual_seed(6)
    np.testing.assert_array_equal(nn.Linear(4, 3).weight.numpy(), first)


def test_fan_needs_two_dimensions():
    with pytest.raises(ShapeError, match=r"at least 2 dimensions, got shape \(5,\)"):
        init.xavier_uniform_(big(5))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_normal_(big(3, 3), mode="fan_avg")


@pytest.mark.parity
def test_gains_and_fans_parity_with_torch():
    torch = pytest.importorskip("torch")
    for name in ("linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"):
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert init.calculate_gain("leaky_relu", 0.3) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.3))
    for shape in ((5, 7), (8, 3, 3, 2), (4, 6, 5)):
        ours = init._calculate_fan_in_and_fan_out(nn.Parameter(np.empty(shape)))
        theirs = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        assert ours == theirs
