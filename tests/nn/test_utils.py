"""Gradient clipping against the definition (norm of the concatenated gradients),
against torch.nn.utils, and its edge cases."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    parameters_to_vector,
    vector_to_parameters,
)

QUICK = settings(max_examples=25, deadline=None, derandomize=True)


def params_with_grads(seed, shapes=((3, 2), (4,), ()), scale=1.0, dtype=np.float64):
    generator = np.random.default_rng(seed)
    params = []
    for shape in shapes:
        p = mg.tensor(generator.normal(size=shape).astype(dtype), requires_grad=True)
        p.grad = mg.tensor((scale * generator.normal(size=shape)).astype(dtype))
        params.append(p)
    return params


def reference_norm(grads, p):
    """||concat(g_1, ..., g_k)||_p by an explicit loop over every element."""
    values = [abs(float(x)) for g in grads for x in np.asarray(g).ravel()]
    if p == math.inf:
        return max(values)
    return sum(v ** p for v in values) ** (1 / p)


@QUICK
@given(st.integers(0, 2**16), st.sampled_from([1.0, 2.0, 3.0, math.inf]),
       st.floats(0.05, 20.0), st.floats(0.1, 10.0))
def test_clip_grad_norm_matches_the_definition(seed, norm_type, max_norm, scale):
    params = params_with_grads(seed, scale=scale)
    before = [p.grad.numpy().copy() for p in params]
    total = clip_grad_norm_(params, max_norm, norm_type=norm_type)
    expected_total = reference_norm(before, norm_type)
    assert float(total) == pytest.approx(expected_total, rel=1e-12)
    coef = min(1.0, max_norm / (expected_total + 1e-6))
    for p, g in zip(params, before):
        np.testing.assert_allclose(p.grad.numpy(), coef * g, rtol=1e-12)
    after = reference_norm([p.grad.numpy() for p in params], norm_type)
    assert after <= max_norm * (1 + 1e-9)
    if expected_total < max_norm:  # under the bound: (almost) untouched
        np.testing.assert_allclose(after, expected_total, rtol=1e-6)


@pytest.mark.parity
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_norm_matches_torch(norm_type, dtype):
    torch = pytest.importorskip("torch")
    params = params_with_grads(3, scale=5.0, dtype=dtype)
    torch_params = []
    for p in params:
        t = torch.tensor(p.numpy().copy(), requires_grad=True)
        t.grad = torch.tensor(p.grad.numpy().copy())
        torch_params.append(t)
    total = clip_grad_norm_(params, 1.5, norm_type)
    torch_total = torch.nn.utils.clip_grad_norm_(torch_params, 1.5, norm_type)
    tolerance = 1e-12 if dtype == np.float64 else 1e-6
    assert total.dtype == dtype
    np.testing.assert_allclose(float(total), float(torch_total), rtol=tolerance)
    for p, t in zip(params, torch_params):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=tolerance, atol=1e-7)


def test_clip_grad_norm_skips_missing_grads_and_accepts_one_tensor():
    params = params_with_grads(0)
    params[1].grad = None
    total = clip_grad_norm_(iter(params), 1e9)
    assert float(total) == pytest.approx(reference_norm([params[0].grad.numpy(),
                                                         params[2].grad.numpy()], 2))
    single = params_with_grads(1, shapes=((5,),))[0]
    expected = np.linalg.norm(single.grad.numpy())
    assert float(clip_grad_norm_(single, 1.0)) == pytest.approx(expected)
    assert np.linalg.norm(single.grad.numpy()) == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_with_no_grads_returns_zero():
    p = mg.tensor(np.ones(3), requires_grad=True)
    assert float(clip_grad_norm_([p], 1.0)) == 0.0


def test_clip_grad_norm_nonfinite():
    params = params_with_grads(0)
    params[0].grad.data[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is inf"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert float(clip_grad_norm_(params, 1.0)) == math.inf  # allowed by default
    assert np.isnan(params[0].grad.numpy()[0, 0])  # inf * 0: the bad step stays visible


def test_clip_grad_norm_bad_norm_type():
    with pytest.raises(ValueError, match="norm_type must be positive, got -1.0"):
        clip_grad_norm_(params_with_grads(0), 1.0, norm_type=-1)


def test_clip_grad_norm_rejects_non_tensors():
    with pytest.raises(TypeError, match="item 0 is ndarray"):
        clip_grad_norm_([np.ones(3)], 1.0)


@QUICK
@given(st.integers(0, 2**16), st.floats(0.0, 3.0))
def test_clip_grad_value_clamps_each_element(seed, clip_value):
    params = params_with_grads(seed, scale=2.0)
    before = [p.grad.numpy().copy() for p in params]
    clip_grad_value_(params, clip_value)
    for p, g in zip(params, before):
        expected = [min(max(x, -clip_value), clip_value) for x in g.ravel()]
        np.testing.assert_array_equal(p.grad.numpy().ravel(), expected)


def test_clip_grad_value_keeps_float32_and_rejects_negative():
    params = params_with_grads(0, dtype=np.float32, scale=4.0)
    clip_grad_value_(params, 0.5)
    assert all(p.grad.dtype == np.float32 and np.abs(p.grad.numpy()).max() <= 0.5 for p in params)
    with pytest.raises(ValueError, match="clip_value must be >= 0, got -1.0"):
        clip_grad_value_(params, -1)


def test_parameters_vector_round_trip():
    params = params_with_grads(0)
    vector = parameters_to_vector(params)
    assert vector.shape == (11,)
    np.testing.assert_array_equal(vector.numpy()[:6], params[0].numpy().ravel())
    vector_to_parameters(np.arange(11.0), params)
    np.testing.assert_array_equal(params[1].numpy(), [6.0, 7.0, 8.0, 9.0])
    assert params[2].numpy() == 10.0
    with pytest.raises(ValueError, match=r"vector has shape \(3,\) but the parameters hold 11"):
        vector_to_parameters(np.zeros(3), params)
