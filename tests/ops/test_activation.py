"""Activation ops: float64 gradchecks on generated shapes, closed-form references
written with math.*, stability at +-1e4, and PyTorch parity when torch is installed."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.errors import ShapeError
from minigrad.kernels.special import erf as erf_kernel
from minigrad.kernels.special import erf_reference
from minigrad.ops import activation as A
from minigrad.testing.coverage import gradchecks
from minigrad.testing.strategies import arrays, shapes
from tests.helpers import GRADCHECK, QUICK, rng

ALPHA, SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _scalar(f):
    return np.vectorize(f, otypes=[np.float64])


# name -> (function, scalar reference value, scalar reference derivative, value options)
ACTIVATIONS = {
    "erf": (A.erf, math.erf, lambda v: 2 / math.sqrt(math.pi) * math.exp(-v * v), {}),
    "softplus": (A.softplus, lambda v: math.log1p(math.exp(v)),
                 lambda v: 1 / (1 + math.exp(-v)), {}),
    "softplus_beta": (lambda x: A.softplus(x, beta=2.0, threshold=3.0),
                      lambda v: v if 2 * v > 3 else math.log1p(math.exp(2 * v)) / 2,
                      lambda v: 1.0 if 2 * v > 3 else 1 / (1 + math.exp(-2 * v)),
                      {"low": -3.0, "high": 3.0}),
    "leaky_relu": (lambda x: A.leaky_relu(x, 0.1), lambda v: v if v > 0 else 0.1 * v,
                   lambda v: 1.0 if v > 0 else 0.1, {"avoid_zero": True}),
    "elu": (lambda x: A.elu(x, 0.7), lambda v: v if v > 0 else 0.7 * (math.exp(v) - 1),
            lambda v: 1.0 if v > 0 else 0.7 * math.exp(v), {"avoid_zero": True}),
    "selu": (A.selu, lambda v: SCALE * (v if v > 0 else ALPHA * (math.exp(v) - 1)),
             lambda v: SCALE * (1.0 if v > 0 else ALPHA * math.exp(v)), {"avoid_zero": True}),
    "gelu": (A.gelu, lambda v: v * 0.5 * (1 + math.erf(v / math.sqrt(2))),
             lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2)))
             + v * math.exp(-v * v / 2) / math.sqrt(2 * math.pi), {}),
    "gelu_tanh": (lambda x: A.gelu(x, "tanh"),
                  lambda v: 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi)
                                                     * (v + 0.044715 * v ** 3))),
                  None, {}),
    "silu": (A.silu, lambda v: v / (1 + math.exp(-v)),
             lambda v: (1 + math.exp(-v) + v * math.exp(-v)) / (1 + math.exp(-v)) ** 2, {}),
}


@gradchecks(A.Erf, A.Softplus)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@GRADCHECK
@given(data=st.data())
def test_gradcheck_and_gradgradcheck(name, data):
    fn, _, _, options = ACTIVATIONS[name]
    x = data.draw(arrays(shapes(max_dims=2), **options))
    t = mg.tensor(x, requires_grad=True)
    assert mg.gradcheck(fn, (t,))
    assert mg.gradgradcheck(fn, (t,))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@QUICK
@given(data=st.data())
def test_matches_scalar_formula(name, data):
    fn, value, derivative, options = ACTIVATIONS[name]
    x = data.draw(arrays(shapes(), **options))
    t = mg.tensor(x, requires_grad=True)
    y = fn(t)
    np.testing.assert_allclose(y.numpy(), _scalar(value)(x), rtol=1e-12, atol=1e-14)
    if derivative is not None:
        upstream = rng(2).standard_normal(x.shape)
        y.backward(upstream)
        np.testing.assert_allclose(t.grad.numpy(), upstream * _scalar(derivative)(x),
                                   rtol=1e-10, atol=1e-12)


def test_gelu_tanh_is_close_to_exact():
    x = mg.tensor(np.linspace(-5, 5, 1001))
    assert np.max(np.abs(A.gelu(x).numpy() - A.gelu(x, "tanh").numpy())) < 1e-3


@gradchecks(A.Erf)
def test_erf_kernel_matches_math_erf_in_both_dtypes():
    x = rng(3).standard_normal(200) * 3
    np.testing.assert_allclose(erf_kernel(x), erf_reference(x), rtol=0, atol=1e-15)
    single = erf_kernel(x.astype(np.float32))
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, erf_reference(x), atol=1e-6)
    assert mg.gradcheck(A.erf, (mg.tensor(x[:5], requires_grad=True),))


@pytest.mark.parametrize("name", ["softplus", "elu", "selu", "gelu", "gelu_tanh", "silu",
                                  "leaky_relu"])
def test_finite_values_and_grads_at_huge_inputs(name):
    fn = ACTIVATIONS[name][0]
    for dtype in (np.float32, np.float64):
        t = mg.tensor(np.array([-1e4, -50.0, 50.0, 1e4], dtype=dtype), requires_grad=True)
        y = fn(t)
        y.sum().backward()
        assert y.dtype == dtype and t.grad.dtype == dtype
        assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(t.grad.numpy()))
        np.testing.assert_allclose(y.numpy()[-1], 1e4 * (SCALE if name == "selu" else 1),
                                   rtol=1e-6)


def test_softplus_rejects_non_positive_beta():
    with pytest.raises(ValueError, match="softplus: beta must be positive, got 0"):
        A.softplus(mg.tensor([1.0]), beta=0)


@QUICK
@given(data=st.data(), channels=st.integers(1, 4), shared=st.booleans())
def test_prelu_against_per_channel_loop(data, channels, shared):
    x = data.draw(arrays((2, channels, 3), avoid_zero=True))
    slopes = rng(4).uniform(-0.5, 0.5, 1 if shared else channels)
    expected = np.empty_like(x)
    for n, c, i in np.ndindex(x.shape):
        a = slopes[0] if shared else slopes[c]
        expected[n, c, i] = x[n, c, i] if x[n, c, i] > 0 else a * x[n, c, i]
    out = A.prelu(mg.tensor(x), mg.tensor(slopes))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13)


@GRADCHECK
@given(data=st.data(), channels=st.integers(1, 3))
def test_prelu_gradcheck_in_input_and_weight(data, channels):
    x = mg.tensor(data.draw(arrays((2, channels, 2), avoid_zero=True)), requires_grad=True)
    weight = mg.tensor(rng(5).uniform(0.1, 0.4, channels), requires_grad=True)
    assert mg.gradcheck(A.prelu, (x, weight))
    assert mg.gradgradcheck(A.prelu, (x, weight))


def test_prelu_shape_error_names_shapes():
    with pytest.raises(ShapeError, match=r"prelu: weight of shape \(3,\) does not fit input "
                                         r"of shape \(2, 4\)"):
        A.prelu(mg.zeros(2, 4), mg.zeros(3))


@GRADCHECK
@given(data=st.data(), pool=st.integers(1, 3), groups=st.integers(1, 3))
def test_maxout_against_loop_and_gradcheck(data, pool, groups):
    x = data.draw(arrays((2, groups * pool)))
    expected = np.array([[max(row[g * pool:(g + 1) * pool]) for g in range(groups)]
                         for row in x])
    t = mg.tensor(x, requires_grad=True)
    np.testing.assert_array_equal(A.maxout(t, pool).numpy(), expected)
    x = x + np.arange(x.size).reshape(x.shape) * 1e-3  # no ties: max is differentiable
    assert mg.gradcheck(lambda v: A.maxout(v, pool), (mg.tensor(x, requires_grad=True),))


def test_maxout_rejects_indivisible_features():
    with pytest.raises(ShapeError, match="maxout: dimension 1 of input shape \\(2, 5\\) has 5 "
                                         "features, not a multiple of pool_size=2"):
        A.maxout(mg.zeros(2, 5), 2)


# ----------------------------------------------------------------- PyTorch parity
TORCH_NAMES = {
    "softplus_beta": ("softplus", {"beta": 2.0, "threshold": 3.0}),
    "leaky_relu": ("leaky_relu", {"negative_slope": 0.1}),
    "elu": ("elu", {"alpha": 0.7}),
    "selu": ("selu", {}),
    "gelu": ("gelu", {}),
    "gelu_tanh": ("gelu", {"approximate": "tanh"}),
    "silu": ("silu", {}),
    "softplus": ("softplus", {}),
}


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(TORCH_NAMES))
def test_parity_with_torch(name):
    torch = pytest.importorskip("torch")
    fn = ACTIVATIONS[name][0]
    torch_name, kwargs = TORCH_NAMES[name]
    x = np.concatenate([rng(6).standard_normal(50) * 4, [-30.0, 30.0, 0.5]])
    upstream = rng(7).standard_normal(x.shape)
    t = mg.tensor(x, requires_grad=True)
    fn(t).backward(upstream)
    reference = torch.tensor(x, requires_grad=True)
    out = getattr(torch.nn.functional, torch_name)(reference, **kwargs)
    out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(fn(mg.tensor(x)).numpy(), out.detach().numpy(), rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(t.grad.numpy(), reference.grad.numpy(), rtol=1e-10, atol=1e-13)
