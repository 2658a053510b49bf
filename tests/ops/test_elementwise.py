"""Elementwise ops: float64 gradchecks on generated shapes, and closed-form references."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.ops import elementwise as ew
from minigrad.testing.coverage import gradchecks
from minigrad.testing.strategies import array_pairs, arrays, shapes
from tests.helpers import GRADCHECK, QUICK, naive_unbroadcast, rng

# name -> (minigrad function, forward reference, derivative reference, value options)
UNARY = {
    "exp": (mg.exp, np.exp, np.exp, {}),
    "log": (mg.log, np.log, lambda x: 1 / x, {"low": 0.2, "high": 3.0}),
    "sqrt": (mg.sqrt, np.sqrt, lambda x: 0.5 / np.sqrt(x), {"low": 0.2, "high": 3.0}),
    "tanh": (mg.tanh, np.tanh, lambda x: 1 / np.cosh(x) ** 2, {}),
    "sigmoid": (mg.sigmoid, np.vectorize(lambda v: 1 / (1 + math.exp(-v))),
                np.vectorize(lambda v: math.exp(-v) / (1 + math.exp(-v)) ** 2), {}),
    "relu": (mg.relu, lambda x: np.where(x > 0, x, 0.0), lambda x: (x > 0) * 1.0,
             {"avoid_zero": True}),
    "abs": (mg.abs, np.abs, np.sign, {"avoid_zero": True}),
    "neg": (lambda x: -x, np.negative, lambda x: -np.ones_like(x), {}),
    "clip": (lambda x: mg.clip(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7),
             lambda x: ((x > -0.5) & (x < 0.7)) * 1.0, {}),
    "astype": (lambda x: x.astype(np.float64), lambda x: x, np.ones_like, {}),
}
UNARY_OPS = {"exp": ew.Exp, "log": ew.Log, "sqrt": ew.Sqrt, "tanh": ew.Tanh,
             "sigmoid": ew.Sigmoid, "relu": ew.ReLU, "abs": ew.Abs, "neg": ew.Neg,
             "clip": ew.Clip, "astype": ew.Cast}


def _clip_away_from_kinks(name, x):
    if name == "clip":  # finite differences straddling the clip bounds are not derivatives
        x = np.where(np.abs(x + 0.5) < 0.01, x + 0.05, x)
        x = np.where(np.abs(x - 0.7) < 0.01, x + 0.05, x)
    return x


@gradchecks(*UNARY_OPS.values())
@pytest.mark.parametrize("name", sorted(UNARY))
@GRADCHECK
@given(data=st.data())
def test_unary_gradcheck_and_gradgradcheck(name, data):
    fn, _, _, options = UNARY[name]
    x = _clip_away_from_kinks(name, data.draw(arrays(shapes(), **options)))
    t = mg.tensor(x, requires_grad=True)
    assert mg.gradcheck(fn, (t,))
    assert mg.gradgradcheck(fn, (t,))


@pytest.mark.parametrize("name", sorted(UNARY))
@QUICK
@given(data=st.data())
def test_unary_matches_closed_form(name, data):
    fn, forward, derivative, options = UNARY[name]
    x = _clip_away_from_kinks(name, data.draw(arrays(shapes(), **options)))
    upstream = rng(1).standard_normal(x.shape)
    t = mg.tensor(x, requires_grad=True)
    y = fn(t)
    np.testing.assert_allclose(y.numpy(), forward(x), rtol=1e-12, atol=1e-12)
    y.backward(upstream)
    np.testing.assert_allclose(t.grad.numpy(), upstream * derivative(x), rtol=1e-10, atol=1e-12)


@gradchecks(ew.ReLUGrad)
@GRADCHECK
@given(data=st.data())
def test_relu_backward_op_gradchecks_in_the_gradient(data):
    """ReLU's backward is an op of its own (so relu has second derivatives): linear
    in the incoming gradient, piecewise constant in the output y."""
    y = data.draw(arrays(shapes(), avoid_zero=True))
    grad = mg.tensor(rng(1).standard_normal(y.shape), requires_grad=True)
    output = mg.tensor(y, requires_grad=True)
    assert mg.gradcheck(ew.ReLUGrad.apply, (grad, output))
    assert mg.gradgradcheck(ew.ReLUGrad.apply, (grad, output))


SMOOTH_BACKWARD_OPS = {  # op -> (z(g, y), dz/dg, dz/dy), written out by hand
    "TanhGrad": (lambda g, y: g * (1 - y**2), lambda g, y: 1 - y**2, lambda g, y: -2 * g * y),
    "SigmoidGrad": (lambda g, y: g * y * (1 - y), lambda g, y: y * (1 - y),
                    lambda g, y: g * (1 - 2 * y)),
}


@gradchecks(ew.TanhGrad, ew.SigmoidGrad)
@pytest.mark.parametrize("name", sorted(SMOOTH_BACKWARD_OPS))
@GRADCHECK
@given(data=st.data())
def test_tanh_and_sigmoid_backward_ops_match_their_formulas_and_gradcheck(name, data):
    """tanh's and the sigmoid's backward are ops of their own (one op per backward
    instead of three): their values and both partial derivatives against the
    formulas, then gradcheck and gradgradcheck (tanh's third derivative)."""
    op = getattr(ew, name)
    value, by_grad, by_y = SMOOTH_BACKWARD_OPS[name]
    y = np.tanh(data.draw(arrays(shapes())))  # a possible output: inside (-1, 1)
    g = rng(1).standard_normal(y.shape)
    upstream = rng(2).standard_normal(y.shape)
    grad_t, y_t = mg.tensor(g, requires_grad=True), mg.tensor(y, requires_grad=True)
    z = op.apply(grad_t, y_t)
    np.testing.assert_allclose(z.numpy(), value(g, y), rtol=1e-12, atol=1e-12)
    z.backward(upstream)
    np.testing.assert_allclose(grad_t.grad.numpy(), upstream * by_grad(g, y), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(y_t.grad.numpy(), upstream * by_y(g, y), rtol=1e-12,
                               atol=1e-12)
    assert mg.gradcheck(op.apply, (grad_t, y_t))
    assert mg.gradgradcheck(op.apply, (grad_t, y_t))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_passes_the_gradient_where_the_output_is_positive(dtype):
    y = np.array([[2.0, 0.0, -0.0, np.nan], [1e-30, 3.0, 0.5, 7.0]], dtype=dtype)
    grad = np.array([[1.0, 2.0, 3.0, 4.0], [np.inf, -5.0, np.nan, 6.0]], dtype=dtype)
    z = ew.ReLUGrad.apply(mg.tensor(grad), mg.tensor(y)).numpy()
    assert z.dtype == dtype
    np.testing.assert_array_equal(z, np.where(y > 0, grad, 0))  # 0 where y is 0 or NaN


BINARY = {
    "add": (lambda a, b: a + b, lambda a, b, g: (g, g)),
    "sub": (lambda a, b: a - b, lambda a, b, g: (g, -g)),
    "mul": (lambda a, b: a * b, lambda a, b, g: (g * b, g * a)),
    "div": (lambda a, b: a / b, lambda a, b, g: (g / b, -g * a / b**2)),
    "pow": (lambda a, b: a ** b, lambda a, b, g: (g * b * a ** (b - 1), g * a**b * np.log(a))),
    "maximum": (mg.maximum, lambda a, b, g: (g * (a > b), g * (a < b))),
    "minimum": (mg.minimum, lambda a, b, g: (g * (a < b), g * (a > b))),
}
BINARY_OPS = {"add": ew.Add, "sub": ew.Sub, "mul": ew.Mul, "div": ew.Div, "pow": ew.Pow,
              "maximum": ew.Maximum, "minimum": ew.Minimum}


def _binary_operands(name, data):
    positive = name in ("pow", "div")
    a, b = data.draw(array_pairs(low=0.3 if positive else -2.0, high=2.0))
    if name in ("maximum", "minimum"):  # keep operands apart: no ties, no kinks
        b = np.where(np.abs(a - b) < 0.05, b + 0.1, b) if a.shape == b.shape else b + 0.013
    return a, b


@gradchecks(*BINARY_OPS.values())
@pytest.mark.parametrize("name", sorted(BINARY))
@GRADCHECK
@given(data=st.data())
def test_binary_gradcheck_with_broadcasting(name, data):
    fn, _ = BINARY[name]
    a, b = _binary_operands(name, data)
    ta, tb = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    if name in ("maximum", "minimum") and np.any(np.abs(np.subtract(a, b)) < 0.01):
        return
    assert mg.gradcheck(fn, (ta, tb))
    assert mg.gradgradcheck(fn, (ta, tb))


@pytest.mark.parametrize("name", sorted(BINARY))
@QUICK
@given(data=st.data())
def test_binary_gradients_match_formula_after_unbroadcasting(name, data):
    fn, reference = BINARY[name]
    a, b = _binary_operands(name, data)
    ta, tb = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    out = fn(ta, tb)
    upstream = rng(2).standard_normal(out.shape)
    out.backward(upstream)
    ga, gb = reference(np.broadcast_to(a, out.shape), np.broadcast_to(b, out.shape), upstream)
    np.testing.assert_allclose(ta.grad.numpy(), naive_unbroadcast(ga, a.shape), atol=1e-10)
    np.testing.assert_allclose(tb.grad.numpy(), naive_unbroadcast(gb, b.shape), atol=1e-10)


def test_maximum_splits_ties_evenly():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([1.0, 3.0], requires_grad=True)
    mg.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0] and b.grad.tolist() == [0.5, 1.0]


@gradchecks(ew.Where)
@GRADCHECK
@given(pair=array_pairs())
def test_where_gradcheck(pair):
    a, b = pair
    condition = rng(3).random(np.broadcast_shapes(a.shape, b.shape)) > 0.5
    ta, tb = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    assert mg.gradcheck(lambda x, y: mg.where(condition, x, y), (ta, tb))
    out = mg.where(condition, ta, tb)
    np.testing.assert_array_equal(out.numpy(), np.where(condition, a, b))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_float32_stays_float32(name):
    fn, _, _, _ = UNARY[name]
    if name == "astype":
        return
    t = mg.tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    y = fn(t)
    y.sum().backward()
    assert y.dtype == np.float32 and t.grad.dtype == np.float32


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_float32_and_python_scalars_stay_float32(name):
    fn, _ = BINARY[name]
    t = mg.tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    for y in (fn(t, t), fn(t, 2.0), fn(2.0, t) if name not in ("maximum", "minimum") else t):
        assert y.dtype == np.float32
    fn(t, 2.0).sum().backward()
    assert t.grad.dtype == np.float32


def test_sigmoid_is_finite_at_huge_inputs():
    x = mg.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=np.float64, requires_grad=True)
    y = mg.sigmoid(x)
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [0, 1.9287498479639178e-22, 0.5, 1, 1], rtol=1e-12)
    assert np.all(np.isfinite(x.grad.numpy()))


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(mg.ShapeError, match=r"add: cannot broadcast shapes \(2, 3\) and \(4,\)"):
        mg.zeros(2, 3) + mg.zeros(4)
    with pytest.raises(ValueError, match=r"mul: cannot broadcast"):
        mg.zeros(2, 3) * mg.zeros(2)


# ----------------------------------------------------------------- limits PyTorch defines
def test_pow_gradients_at_base_zero_follow_the_limits():
    """d(x^0)/dx = 0 everywhere (0 * 0^-1 would be nan at x = 0), d(0^e)/de = 0 for
    e >= 0 (the limit of 0^e ln 0), and 2^e ln 2 elsewhere."""
    base = mg.tensor(np.array([0.0, 0.0, 2.0, 0.0]), requires_grad=True)
    exponent = mg.tensor(np.array([0.0, 2.0, 0.0, 0.5]), requires_grad=True)
    (base ** exponent).sum().backward()
    np.testing.assert_array_equal(base.grad.numpy()[:3], [0.0, 0.0, 0.0])
    assert base.grad.numpy()[3] == np.inf  # 0.5 * 0^-0.5: a genuine infinity
    np.testing.assert_allclose(exponent.grad.numpy(), [0.0, 0.0, math.log(2), 0.0])


@pytest.mark.parity
def test_pow_and_div_gradients_at_the_edges_match_torch():
    torch = pytest.importorskip("torch")
    cases = [  # (a, b) pairs, float32: base 0, tiny and huge denominators
        (lambda a, b: a ** b, [0.0, 0.0, 2.0, 0.0, 3.0], [0.0, 2.0, 0.0, 0.5, -1.0]),
        (lambda a, b: a / b, [1e-30, 1e30, 1.0, 3.0, -2e-20], [1e-30, 1e30, 1e-10, 0.5, 1e-20]),
    ]
    for fn, a_values, b_values in cases:
        a_values, b_values = (np.array(v, dtype=np.float32) for v in (a_values, b_values))
        ours = [mg.tensor(v, requires_grad=True) for v in (a_values, b_values)]
        theirs = [torch.tensor(v, requires_grad=True) for v in (a_values, b_values)]
        fn(*ours).sum().backward()
        fn(*theirs).sum().backward()
        for mine, reference in zip(ours, theirs):
            np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-6)


def test_div_gradient_does_not_square_a_tiny_or_huge_denominator():
    """dz/db = -(a/b)/b: for a = b = 1e-30 that is -1e30 (b*b underflows to 0 and
    -a/(b*b) gave -inf); for a = b = 1e30 it is -1e-30 (b*b overflowed: 0)."""
    a = mg.tensor(np.array([1e-30, 1e30], dtype=np.float32), requires_grad=True)
    b = mg.tensor(np.array([1e-30, 1e30], dtype=np.float32), requires_grad=True)
    (a / b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [-1e30, -1e-30], rtol=1e-6)
    np.testing.assert_allclose(a.grad.numpy(), [1e30, 1e-30], rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda t: t + 1j,
    lambda t: t * np.array([1j, 2.0]),
    lambda t: mg.maximum(t, np.array([1 + 1j, 0])),
    lambda t: mg.exp(mg.tensor(np.array([1 + 2j]))),
])
def test_complex_operands_are_refused_not_truncated(call):
    """NumPy would compute in complex and the imaginary part got dropped on the
    way back; minigrad computes on the reals and says so."""
    with pytest.raises(mg.DTypeError, match=r"complex numbers are not supported"):
        call(mg.tensor(np.array([1.0, 2.0], dtype=np.float32)))
