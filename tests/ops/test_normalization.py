"""Normalisation functions: gradchecks (batch norm in training mode included), naive
per-channel / per-group loops as references, running statistics, PyTorch parity."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.errors import ShapeError
from minigrad.kernels import norm as norm_kernels
from minigrad.ops.normalization import (
    BatchNormalize,
    _normalize,
    _normalize_axis1,
    batch_norm,
    group_norm,
    layer_norm,
)
from minigrad.testing.coverage import gradchecks
from minigrad.testing.strategies import arrays
from tests.helpers import GRADCHECK, QUICK, rng


def naive_normalize(values, eps):
    """Normalise one flat group of numbers with explicit sums."""
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    mu = sum(values) / n
    var = sum((v - mu) ** 2 for v in values) / n
    return (values - mu) / np.sqrt(var + eps), mu, var


def naive_batch_norm(x, gamma, beta, eps):
    out = np.empty_like(x, dtype=np.float64)
    for c in range(x.shape[1]):
        block = x[:, c]
        normalized, _, _ = naive_normalize(block.ravel(), eps)
        out[:, c] = normalized.reshape(block.shape) * gamma[c] + beta[c]
    return out


def naive_group_norm(x, groups, gamma, beta, eps):
    n, channels = x.shape[:2]
    size = channels // groups
    out = np.empty_like(x, dtype=np.float64)
    for i in range(n):
        for g in range(groups):
            block = x[i, g * size:(g + 1) * size]
            normalized, _, _ = naive_normalize(block.ravel(), eps)
            out[i, g * size:(g + 1) * size] = normalized.reshape(block.shape)
    scale = gamma.reshape((1, channels) + (1,) * (x.ndim - 2))
    return out * scale + beta.reshape(scale.shape)


def batch_shapes():
    return st.tuples(st.integers(2, 4), st.integers(1, 3),
                     st.lists(st.integers(1, 3), max_size=2)).map(
        lambda t: (t[0], t[1]) + tuple(t[2]))


def _params(channels, seed=0):
    generator = rng(seed)
    return (mg.tensor(generator.uniform(0.5, 1.5, channels), requires_grad=True),
            mg.tensor(generator.standard_normal(channels), requires_grad=True))


@gradchecks(BatchNormalize)
@GRADCHECK
@given(data=st.data())
def test_batch_norm_training_gradcheck_and_gradgradcheck(data):
    x = mg.tensor(data.draw(arrays(batch_shapes())), requires_grad=True)
    gamma, beta = _params(x.shape[1])

    def fn(x, gamma, beta):
        return batch_norm(x, None, None, gamma, beta, training=True)

    assert mg.gradcheck(fn, (x, gamma, beta))
    assert mg.gradgradcheck(fn, (x, gamma, beta))


@GRADCHECK
@given(data=st.data())
def test_batch_norm_eval_gradcheck(data):
    x = mg.tensor(data.draw(arrays(batch_shapes())), requires_grad=True)
    gamma, beta = _params(x.shape[1])
    mean, var = rng(1).standard_normal(x.shape[1]), rng(2).uniform(0.5, 2, x.shape[1])
    assert mg.gradcheck(lambda x, g, b: batch_norm(x, mean, var, g, b, training=False),
                        (x, gamma, beta))


@QUICK
@given(data=st.data(), momentum=st.floats(0.05, 0.9))
def test_batch_norm_matches_loop_and_updates_running_stats(data, momentum):
    x = data.draw(arrays(batch_shapes()))
    channels = x.shape[1]
    gamma, beta = _params(channels, 3)
    running_mean, running_var = np.full(channels, 0.3), np.full(channels, 2.0)
    y = batch_norm(mg.tensor(x), running_mean, running_var, gamma, beta, training=True,
                   momentum=momentum, eps=1e-3)
    np.testing.assert_allclose(y.numpy(), naive_batch_norm(x, gamma.numpy(), beta.numpy(), 1e-3),
                               rtol=1e-9, atol=1e-10)
    for c in range(channels):
        values = x[:, c].ravel()
        n = values.size
        mu = sum(values) / n
        unbiased = sum((v - mu) ** 2 for v in values) / (n - 1)
        assert running_mean[c] == pytest.approx((1 - momentum) * 0.3 + momentum * mu)
        assert running_var[c] == pytest.approx((1 - momentum) * 2.0 + momentum * unbiased)


def test_batch_norm_eval_uses_running_stats():
    x = rng(4).standard_normal((5, 2, 3))
    mean, var = np.array([1.0, -2.0]), np.array([4.0, 0.25])
    y = batch_norm(mg.tensor(x), mean, var, training=False, eps=0.0)
    expected = (x - mean[None, :, None]) / np.sqrt(var)[None, :, None]
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-13)


def test_batch_norm_errors_name_shapes():
    with pytest.raises(ShapeError, match=r"batch_norm: weight has shape \(2,\) but input of "
                                         r"shape \(4, 3\) has 3 channels"):
        batch_norm(mg.zeros(4, 3), None, None, mg.ones(2), None, training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_norm(mg.zeros(1, 3), None, None, training=True)


@GRADCHECK
@given(data=st.data(), trailing=st.integers(1, 2))
def test_layer_norm_gradcheck_and_loop(data, trailing):
    x = data.draw(arrays(st.lists(st.integers(1, 3), min_size=trailing, max_size=3)
                         .map(tuple)))
    normalized_shape = x.shape[x.ndim - trailing:]
    generator = rng(5)
    gamma = mg.tensor(generator.uniform(0.5, 1.5, normalized_shape), requires_grad=True)
    beta = mg.tensor(generator.standard_normal(normalized_shape), requires_grad=True)
    t = mg.tensor(x, requires_grad=True)

    def fn(t, gamma, beta):
        return layer_norm(t, normalized_shape, gamma, beta, eps=1e-3)

    lead = x.shape[:x.ndim - trailing]
    expected = np.empty_like(x)
    for index in np.ndindex(lead):
        normalized, _, _ = naive_normalize(x[index].ravel(), 1e-3)
        expected[index] = normalized.reshape(normalized_shape) * gamma.numpy() + beta.numpy()
    np.testing.assert_allclose(fn(t, gamma, beta).numpy(), expected, rtol=1e-9, atol=1e-10)
    assert mg.gradcheck(fn, (t, gamma, beta))
    assert mg.gradgradcheck(fn, (t, gamma, beta))


@GRADCHECK
@given(data=st.data(), groups=st.integers(1, 3), per_group=st.integers(1, 2))
def test_group_norm_gradcheck_and_loop(data, groups, per_group):
    channels = groups * per_group
    x = data.draw(arrays(st.tuples(st.integers(1, 2), st.just(channels),
                                   st.integers(1, 3)).map(tuple)))
    gamma, beta = _params(channels, 6)
    t = mg.tensor(x, requires_grad=True)

    def fn(t, gamma, beta):
        return group_norm(t, groups, gamma, beta, eps=1e-3)

    np.testing.assert_allclose(fn(t, gamma, beta).numpy(),
                               naive_group_norm(x, groups, gamma.numpy(), beta.numpy(), 1e-3),
                               rtol=1e-9, atol=1e-10)
    assert mg.gradcheck(fn, (t, gamma, beta))
    assert mg.gradgradcheck(fn, (t, gamma, beta))


def test_layer_and_group_norm_errors():
    with pytest.raises(ShapeError, match=r"layer_norm: input shape \(2, 3\) does not end with "
                                         r"normalized_shape \(4,\)"):
        layer_norm(mg.zeros(2, 3), 4)
    with pytest.raises(ShapeError, match="group_norm: input of shape \\(2, 3, 4\\) must be "
                                         "\\(N, C, ...\\) with C divisible by num_groups=2"):
        group_norm(mg.zeros(2, 3, 4), 2)


def test_float32_stays_float32():
    x = mg.tensor(rng(7).standard_normal((4, 2, 3)).astype(np.float32), requires_grad=True)
    gamma = mg.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    for y in (batch_norm(x, None, None, gamma, None, training=True),
              layer_norm(x, (3,)), group_norm(x, 2, gamma)):
        assert y.dtype == np.float32
        y.sum().backward()
        assert x.grad.dtype == np.float32


@pytest.mark.parity
def test_parity_with_torch():
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    x = rng(8).standard_normal((4, 6, 3, 2))
    gamma, beta = rng(9).uniform(0.5, 1.5, 6), rng(10).standard_normal(6)
    mean, var = np.zeros(6), np.ones(6)
    t_mean, t_var = torch.zeros(6, dtype=torch.float64), torch.ones(6, dtype=torch.float64)
    ours = batch_norm(mg.tensor(x), mean, var, mg.tensor(gamma), mg.tensor(beta),
                      training=True, momentum=0.2)
    theirs = TF.batch_norm(torch.tensor(x), t_mean, t_var, torch.tensor(gamma),
                           torch.tensor(beta), training=True, momentum=0.2)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mean, t_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(var, t_var.numpy(), rtol=1e-12)
    np.testing.assert_allclose(group_norm(mg.tensor(x), 3, mg.tensor(gamma)).numpy(),
                               TF.group_norm(torch.tensor(x), 3, torch.tensor(gamma)).numpy(),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer_norm(mg.tensor(x), (3, 2)).numpy(),
                               TF.layer_norm(torch.tensor(x), (3, 2)).numpy(),
                               rtol=1e-10, atol=1e-12)


@QUICK
@given(data=st.data(), dtype=st.sampled_from([np.float32, np.float64]))
def test_batch_normalize_node_matches_the_composition_of_ops(data, dtype):
    """The one-node batch norm, with and without its affine step, against the same
    formula written as mean/var/sqrt ops (then * gamma + beta): values, the
    gradients of a plain backward (NumPy closed form) and Hessian-vector products
    (the closed form in ops, create_graph=True), for x and for gamma and beta."""
    shape = data.draw(batch_shapes())
    affine = data.draw(st.booleans())
    x_np = rng(3).standard_normal(shape).astype(dtype)
    gamma_np = rng(5).uniform(0.5, 1.5, shape[1]).astype(dtype)
    beta_np = rng(6).standard_normal(shape[1]).astype(dtype)
    axes = (0,) + tuple(range(2, len(shape)))
    channel = (1, shape[1]) + (1,) * (len(shape) - 2)
    probe = rng(4).standard_normal(shape).astype(dtype)
    tol = 2e-4 if dtype == np.float32 else 1e-10
    results = []

    def one_node(t, gamma, beta):
        return _normalize_axis1(t, (shape[0], shape[1], -1), 1e-3,
                                *((gamma, beta) if affine else ()))[0]

    def composed(t, gamma, beta):
        y = _normalize(t, axes, 1e-3)
        return y * gamma.reshape(channel) + beta.reshape(channel) if affine else y

    for normalise in (one_node, composed):
        inputs = [mg.tensor(a, requires_grad=True) for a in (x_np, gamma_np, beta_np)]
        y = normalise(*inputs)
        wrt = inputs if affine else inputs[:1]
        grads = mg.grad((y * y * mg.tensor(probe)).sum(), wrt, create_graph=True)
        hvps = mg.grad(sum((g * g).sum() for g in grads), wrt)
        plain = [mg.tensor(a, requires_grad=True) for a in (x_np, gamma_np, beta_np)]
        (normalise(*plain) * mg.tensor(probe)).sum().backward()
        results.append([y.numpy()] + [g.numpy() for g in grads] + [h.numpy() for h in hvps]
                       + [p.grad.numpy() for p in plain[:len(wrt)]])
        assert y.dtype == dtype and plain[0].grad.dtype == dtype
    for ours, reference in zip(*results):
        np.testing.assert_allclose(ours, reference, rtol=tol, atol=tol)


@QUICK
@given(shape=batch_shapes(), dtype=st.sampled_from([np.float32, np.float64]))
def test_batch_norm_kernel_statistics_match_numpy(shape, dtype):
    """Per-channel mean, biased variance and 1/sqrt(var + eps) of the compiled loops
    against NumPy's reductions over every axis but 1."""
    x = (rng(5).standard_normal(shape) * 3 + 1).astype(dtype)
    axes = (0,) + tuple(range(2, len(shape)))
    _, x_hat, mean, var, inv_std = norm_kernels.batch_normalize(x, 1e-5)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(mean, x.astype(float).mean(axis=axes), rtol=tol, atol=tol)
    np.testing.assert_allclose(var, x.astype(float).var(axis=axes), rtol=tol, atol=tol)
    np.testing.assert_allclose(inv_std, 1 / np.sqrt(x.astype(float).var(axis=axes) + 1e-5),
                               rtol=tol)
    assert x_hat.dtype == inv_std.dtype == dtype


def test_batch_norm_of_integers_normalises_in_float32():
    """Integers normalise in the default float dtype, float32 (ops/_promote.py)."""
    y = batch_norm(mg.tensor(np.array([[1, 2], [3, 5]])), None, None, training=True, eps=0.0)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), [[-1.0, -1.0], [1.0, 1.0]])
