"""Dropout and Dropout2d: inverted scaling, drop rate, identity at test time, seeding."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


def test_dropout_drop_rate_and_inverted_scaling():
    mg.manual_seed(0)
    x = mg.ones(1000, 1000)
    y = F.dropout(x, p=0.3).numpy()
    assert (y == 0).mean() == pytest.approx(0.3, abs=0.003)
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    assert y.mean() == pytest.approx(1.0, abs=0.005)  # expectation preserved
    assert y.dtype == np.float32


def test_dropout_is_identity_in_eval_and_at_p_zero():
    layer = nn.Dropout(0.5)
    x = mg.randn(4, 5)
    layer.eval()
    assert layer(x) is x
    assert F.dropout(x, 0.0) is x
    assert np.all(F.dropout(x, 1.0).numpy() == 0)


def test_dropout_gradient_uses_the_same_mask():
    mg.manual_seed(1)
    x = mg.tensor(np.full((50, 50), 2.0), requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy() / 2.0)
    x64 = mg.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)

    def fixed_mask(v):
        mg.manual_seed(7)  # the same mask on every call: a fixed linear map
        return F.dropout(v, 0.5)

    assert mg.gradcheck(fixed_mask, (x64,))


def test_dropout_is_repeatable_under_manual_seed():
    mg.manual_seed(2)
    first = F.dropout(mg.ones(100), 0.5).numpy()
    mg.manual_seed(2)
    np.testing.assert_array_equal(F.dropout(mg.ones(100), 0.5).numpy(), first)


def test_dropout2d_zeroes_whole_channels():
    mg.manual_seed(3)
    y = nn.Dropout2d(0.5)(mg.ones(20, 30, 4, 4)).numpy()
    per_channel = y.reshape(20, 30, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert (per_channel[..., 0] == 0).mean() == pytest.approx(0.5, abs=0.07)
    with pytest.raises(ValueError, match=r"dropout2d: expected \(N, C, H, W\)"):
        F.dropout2d(mg.ones(3, 4), 0.5)
    with pytest.raises(ValueError, match="between 0 and 1, got 1.5"):
        F.dropout(mg.ones(3), 1.5)


def test_dropout2d_gradcheck_with_a_fixed_mask():
    x = mg.tensor(np.random.default_rng(1).standard_normal((2, 3, 2, 2)), requires_grad=True)

    def fixed_mask(v):
        mg.manual_seed(8)
        return F.dropout2d(v, 0.4)

    assert mg.gradcheck(fixed_mask, (x,))
    assert mg.gradgradcheck(fixed_mask, (x,))
