"""sin, cos, log2, log10: float64 gradchecks on drawn shapes, closed-form derivatives,
and PyTorch's values and dtypes where it is installed."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.ops import trig
from minigrad.testing.coverage import gradchecks
from minigrad.testing.strategies import arrays, shapes
from tests.helpers import GRADCHECK, QUICK

# name -> (minigrad method, value of the function, its derivative, value options)
FUNCTIONS = {
    "sin": (lambda t: t.sin(), np.sin, np.cos, {}),
    "cos": (lambda t: t.cos(), np.cos, lambda x: -np.sin(x), {}),
    "log2": (lambda t: t.log2(), np.log2, lambda x: 1 / (x * math.log(2)),
             {"low": 0.2, "high": 4.0}),
    "log10": (lambda t: t.log10(), np.log10, lambda x: 1 / (x * math.log(10)),
              {"low": 0.2, "high": 4.0}),
}


@gradchecks(trig.Sin, trig.Cos)
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@GRADCHECK
@given(data=st.data())
def test_gradcheck_and_gradgradcheck(name, data):
    method, _, _, options = FUNCTIONS[name]
    x = mg.tensor(data.draw(arrays(shapes(), **options)), requires_grad=True)
    assert mg.gradcheck(method, (x,))
    assert mg.gradgradcheck(method, (x,))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@QUICK
@given(data=st.data())
def test_value_and_derivative_match_the_closed_form(name, data):
    method, value, derivative, options = FUNCTIONS[name]
    x = data.draw(arrays(shapes(min_dims=1), **options))
    t = mg.tensor(x, requires_grad=True)
    y = method(t)
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), value(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.grad.numpy(), derivative(x), rtol=1e-10, atol=1e-12)


def test_integer_input_gives_float32_as_in_pytorch():
    x = mg.tensor([0, 1, 2])
    assert x.dtype == np.int64
    for name in ("sin", "cos"):
        y = FUNCTIONS[name][0](x)
        assert y.dtype == np.float32, name
        np.testing.assert_allclose(y.numpy(), FUNCTIONS[name][1](np.array([0.0, 1.0, 2.0])),
                                   rtol=1e-6)


@pytest.mark.parity
def test_against_pytorch():
    torch = pytest.importorskip("torch")
    x = np.linspace(0.1, 3.0, 7)
    for name in FUNCTIONS:
        ours = mg.tensor(x, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        FUNCTIONS[name][0](ours).sum().backward()
        getattr(theirs, name)().sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
