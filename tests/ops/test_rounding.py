"""sign, floor, ceil, round and trunc (minigrad/ops/elementwise.py): values against
hand-written rules, zero gradients, dtypes, and PyTorch parity."""

import math

import numpy as np
import pytest
from hypothesis import given

import minigrad as mg
from minigrad.ops import elementwise as ew
from minigrad.testing.coverage import gradchecks
from minigrad.testing.strategies import arrays, shapes
from tests.helpers import GRADCHECK


def _round_half_even(value, decimals=0):
    """Python's round on a float is half-to-even, computed exactly (decimal digits)."""
    return round(value, decimals)


RULES = {  # name -> the rule for one Python float, written without NumPy
    "sign": lambda v: (v > 0) - (v < 0),
    "floor": math.floor,
    "ceil": math.ceil,
    "trunc": math.trunc,
    "round": _round_half_even,
}


def _off_the_jumps(x):
    """Values k/4 + 0.1: at least 0.1 from every integer and half-integer (where the
    finite differences would straddle a jump)."""
    return np.floor(x * 4) / 4 + 0.1


@gradchecks(ew.Sign, ew.Floor, ew.Ceil, ew.Trunc, ew.Round)
@pytest.mark.parametrize("name", sorted(RULES))
@GRADCHECK
@given(x=arrays(shapes()))
def test_rounding_values_and_zero_gradients(name, x):
    x = _off_the_jumps(x)
    fn = getattr(mg, name)
    t = mg.tensor(x, requires_grad=True)
    expected = np.vectorize(lambda v: float(RULES[name](float(v))))(x) if x.size else x
    np.testing.assert_array_equal(fn(t).numpy(), expected)
    np.testing.assert_array_equal(getattr(t, name)().numpy(), expected)
    assert mg.gradcheck(fn, (t,))
    assert mg.gradgradcheck(lambda v: fn(v) * v, (t,))
    fn(t).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.zeros(x.shape))


def test_round_halves_to_even_and_decimals():
    x = mg.tensor([0.5, 1.5, 2.5, -0.5, -1.5, 3.5], dtype=mg.float64)
    np.testing.assert_array_equal(mg.round(x).numpy(), [0.0, 2.0, 2.0, -0.0, -2.0, 4.0])
    y = mg.tensor([0.25, 0.35, 1234.5678, -0.125], dtype=mg.float64)
    expected = [_round_half_even(float(v), 2) for v in y.numpy()]
    np.testing.assert_allclose(y.round(decimals=2).numpy(), expected, rtol=1e-15)
    np.testing.assert_array_equal(mg.round(mg.tensor([1250.0, 1350.0]), decimals=-2).numpy(),
                                  [1200.0, 1400.0])


def test_integer_inputs_keep_their_dtype():
    ints = mg.tensor([-3, 0, 7], dtype=mg.int32)
    for name in RULES:
        result = getattr(mg, name)(ints)
        assert result.dtype == np.int32
    assert mg.sign(ints).tolist() == [-1, 0, 1] and mg.floor(ints).tolist() == [-3, 0, 7]
    assert mg.sign(mg.tensor([True, False])).tolist() == [True, False]
    for name in ("floor", "ceil", "round", "trunc"):  # PyTorch: not implemented for Bool
        with pytest.raises(mg.DTypeError, match=f"{name}: not defined for bool tensors"):
            getattr(mg, name)(mg.tensor([True]))
    assert mg.floor(mg.tensor([1.7], dtype=mg.float32)).dtype == np.float32


def test_sign_of_nan_is_zero_and_the_gradient_ignores_nan_upstream():
    x = mg.tensor([np.nan, -0.0, -2.0], requires_grad=True)
    np.testing.assert_array_equal(mg.sign(x).numpy(), [0.0, 0.0, -1.0])
    mg.floor(x).backward(mg.tensor([np.nan, 1.0, 1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


def test_bad_arguments():
    with pytest.raises(mg.DTypeError, match=r"round: decimals=1 needs a floating-point "
                                            r"tensor, got dtype int64"):
        mg.round(mg.tensor([1, 2]), decimals=1)
    with pytest.raises(TypeError, match=r"round: decimals must be an int, got 1.5"):
        mg.round(mg.tensor([1.0]), decimals=1.5)


@pytest.mark.parity
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rounding_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    x = np.array([-2.5, -1.5, -0.5, -0.0, 0.0, 0.5, 1.5, 2.5, 0.125, 1.35, 2.675, -7.45,
                  np.nan, np.inf, -np.inf, 123.456], dtype=dtype)
    for name in RULES:
        ours, theirs = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ours_out, theirs_out = getattr(mg, name)(ours), getattr(torch, name)(theirs)
        assert str(ours_out.dtype) == str(theirs_out.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours_out.numpy(), theirs_out.detach().numpy(), name)
        ours_out.sum().backward()
        theirs_out.sum().backward()
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    for decimals in (-1, 1, 2):
        np.testing.assert_array_equal(
            mg.round(mg.tensor(x), decimals=decimals).numpy(),
            torch.round(torch.tensor(x), decimals=decimals).numpy(), f"decimals={decimals}")
    ints = np.array([-3, 0, 4], dtype=np.int64)
    for name in RULES:
        ours, theirs = getattr(mg, name)(mg.tensor(ints)), getattr(torch, name)(
            torch.tensor(ints))
        assert ours.dtype == np.int64 and theirs.dtype == torch.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
