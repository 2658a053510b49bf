"""ReLU and erf: kernels.special against its twins in reference.special, NaN included."""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.kernels import special as fast
from minigrad.reference import special as twin
from tests.helpers import QUICK, rng


@QUICK
@given(size=st.integers(0, 50), dtype=st.sampled_from([np.float32, np.float64]))
def test_relu_and_its_backward_agree_with_their_twins(size, dtype):
    x = rng(0).standard_normal(size).astype(dtype)
    x[::7] = 0.0
    x[::5] = np.nan
    y = twin.relu(x)
    np.testing.assert_array_equal(fast.relu(x), y)  # NaN stays NaN in both
    assert y.dtype == dtype and np.isnan(y[::5]).all() and (y[~np.isnan(y)] >= 0).all()
    grad = rng(1).standard_normal(size).astype(dtype)
    np.testing.assert_array_equal(fast.relu_backward(grad, y), twin.relu_backward(grad, y))


def test_erf_agrees_with_its_twin_and_math_erf():
    x = np.linspace(-4, 4, 41)
    np.testing.assert_allclose(fast.erf(x), twin.erf(x), rtol=0, atol=1e-15)
    assert twin.erf(np.array([0.5]))[0] == math.erf(0.5)


def test_reference_mode_sends_relu_to_its_twin(monkeypatch):
    calls = []
    monkeypatch.setattr(twin, "relu", lambda x: calls.append("relu") or np.maximum(x, 0))
    monkeypatch.setattr(twin, "relu_backward",
                        lambda g, y: calls.append("backward") or g * (y > 0))
    x = mg.tensor(np.array([-1.0, 2.0]), requires_grad=True)
    with mg.reference_mode():
        mg.relu(x).sum().backward()
    mg.relu(x).sum().backward()
    assert calls == ["relu", "backward"]
