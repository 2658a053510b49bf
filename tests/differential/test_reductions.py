"""Reductions and the softmax family (minigrad.ops.reduce) against PyTorch.

Axes: None, one (possibly negative) or several, with and without keepdims, over
shapes that may be 0-d or have size-0 axes. Max and min are compared with
torch.amax / amin, which split the gradient evenly among ties as minigrad does
(torch.max(dim) gives it to one index).
"""

import numpy as np
import pytest
from hypothesis import strategies as st

import minigrad as mg
from minigrad.testing.strategies import axes_for, float_arrays, float_dtypes, laid_out
from minigrad.testing.strategies import shapes_with_empty as shapes
from tests.differential.harness import (
    Case,
    Example,
    KnownDefect,
    TorchDiffers,
    case_named,
    check_example,
    example_ids,
    run_case,
    seeds,
)
from tests.differential.torch_or_stub import requires_torch, torch

pytestmark = [pytest.mark.parity, requires_torch]


ALL_REGIMES = ("smooth", "ties", "nonfinite", "extreme")


@st.composite
def reductions(draw, regimes=("smooth", "ties", "nonfinite"), single_axis=False,
               min_dims=0):
    """Example((x,), {axis, keepdims}) with an axis (or axes) valid for x."""
    shape = draw(shapes(min_dims=min_dims))
    dtype = draw(float_dtypes())
    x = draw(laid_out(float_arrays(shape, dtype, draw(st.sampled_from(regimes)))))
    if single_axis:
        axis = draw(st.integers(-len(shape), len(shape) - 1)) if shape else 0
        return Example((x,), {"axis": axis}, draw(seeds()))
    params = {"axis": draw(axes_for(shape)), "keepdims": draw(st.booleans())}
    return Example((x,), params, draw(seeds()))


def with_ddof(examples):
    return st.tuples(examples, st.sampled_from([0, 1])).map(
        lambda pair: Example(pair[0].inputs, {**pair[0].params, "ddof": pair[1]},
                             pair[0].seed))


def dims(axis, ndim):
    """minigrad's axis=None (every axis) as torch's dim: all axes spelled out."""
    return tuple(range(ndim)) if axis is None else axis


def first_value(result):
    """max/min: the values, whether the result is a Tensor or a (values, indices) pair."""
    return result[0] if isinstance(result, tuple) else result


# ----------------------------------------------------------------- regions
def reduced_count(example):
    x, axis = example.inputs[0], example.params["axis"]
    if axis is None:
        return x.size
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([x.shape[a] for a in axes]))


def variance_underflows(example):
    """Some reduced slice has variance 0 in its own dtype but not in float64
    (float32 [0, 1.2e-38]: the squared deviations underflow)."""
    x, axis, ddof = example.inputs[0], example.params["axis"], example.params["ddof"]
    if x.size == 0 or reduced_count(example) <= ddof:
        return False
    with np.errstate(all="ignore"):
        native = np.var(x, axis=axis, ddof=ddof)
        wide = np.var(x.astype(np.float64), axis=axis, ddof=ddof)
    return bool(np.any((native == 0) & (wide > 0)))


def has_tiny_std(example):
    x, axis = example.inputs[0], example.params["axis"]
    if x.size == 0 or reduced_count(example) <= example.params["ddof"]:
        return False
    with np.errstate(all="ignore"):
        spread = np.std(x.astype(np.float64), axis=axis, ddof=example.params["ddof"])
    return bool(np.any(spread < 1e4 * np.finfo(x.dtype).eps))


STD_SECOND_ORDER_CONDITIONING = TorchDiffers(
    "std's second derivative cancels terms of size 1/std: where std < 1e4 eps both "
    "libraries return rounding noise (0.016 vs 0 in float32 at std = 6e-8, exact 0); "
    "at std = 0 torch's is NaN where both first derivatives are 0",
    has_tiny_std, second_order_only=True)
STD_OF_AN_UNDERFLOWING_VARIANCE = KnownDefect(
    "std: where the variance underflows in float32 but the slice is not constant "
    "([0, 1.2e-38]) minigrad's std is 0 and its gradient 0 (the std = 0 convention); "
    "torch keeps std = 5.9e-39 and gives the exact gradient (-0.5, 0.5)",
    variance_underflows)
NO_DEGREES_OF_FREEDOM = TorchDiffers(
    "var/std with n - ddof <= 0: minigrad raises a clear ValueError where torch "
    "returns NaN or inf with a warning",
    lambda e: reduced_count(e) - e.params["ddof"] <= 0)


def torch_amax(x, axis, keepdims):
    return torch.amax(x, dim=dims(axis, x.ndim), keepdim=keepdims)


def torch_amin(x, axis, keepdims):
    return torch.amin(x, dim=dims(axis, x.ndim), keepdim=keepdims)


def torch_logsumexp(x, axis, keepdims):
    return torch.logsumexp(x, dim=dims(axis, x.ndim), keepdim=keepdims)


# name, minigrad, torch, examples, covers (ops of OP_REGISTRY / names of F)
CASES = [
    Case("sum", lambda x, axis, keepdims: mg.sum(x, axis=axis, keepdims=keepdims),
         lambda x, axis, keepdims: torch.sum(x, dim=dims(axis, x.ndim), keepdim=keepdims),
         reductions(), covers=("Sum",)),
    Case("mean", lambda x, axis, keepdims: mg.mean(x, axis=axis, keepdims=keepdims),
         lambda x, axis, keepdims: torch.mean(x, dim=dims(axis, x.ndim), keepdim=keepdims),
         reductions(), covers=("Sum", "Mul")),
    Case("max", lambda x, axis, keepdims: first_value(mg.max(x, axis=axis, keepdims=keepdims)),
         torch_amax, reductions(("smooth", "ties", "extreme")), covers=("Max",)),
    Case("min", lambda x, axis, keepdims: first_value(mg.min(x, axis=axis, keepdims=keepdims)),
         torch_amin, reductions(("smooth", "ties", "extreme")), covers=("Min",)),
    Case("var", lambda x, axis, keepdims, ddof: mg.var(x, axis=axis, ddof=ddof,
                                                       keepdims=keepdims),
         lambda x, axis, keepdims, ddof: torch.var(x, dim=dims(axis, x.ndim), correction=ddof,
                                                   keepdim=keepdims),
         with_ddof(reductions()), covers=("Sum", "Sub", "Mul"),
         torch_differs=(NO_DEGREES_OF_FREEDOM,)),
    Case("std", lambda x, axis, keepdims, ddof: mg.std(x, axis=axis, ddof=ddof,
                                                       keepdims=keepdims),
         lambda x, axis, keepdims, ddof: torch.std(x, dim=dims(axis, x.ndim), correction=ddof,
                                                   keepdim=keepdims),
         with_ddof(reductions()), covers=("Sqrt",),
         defects=(STD_OF_AN_UNDERFLOWING_VARIANCE,),
         torch_differs=(NO_DEGREES_OF_FREEDOM, STD_SECOND_ORDER_CONDITIONING)),
    Case("logsumexp", lambda x, axis, keepdims: mg.ops.logsumexp(x, axis=axis,
                                                                 keepdims=keepdims),
         torch_logsumexp, reductions(("smooth", "ties", "extreme")),
         covers=("Exp", "Log", "Sum", "Add")),
    Case("softmax", lambda x, axis: mg.ops.softmax(x, axis=axis),
         lambda x, axis: torch.softmax(x, dim=axis),
         reductions(ALL_REGIMES, single_axis=True, min_dims=1),
         covers=("Exp",)),
    Case("log_softmax", lambda x, axis: mg.ops.log_softmax(x, axis=axis),
         lambda x, axis: torch.log_softmax(x, dim=axis),
         reductions(ALL_REGIMES, single_axis=True, min_dims=1), covers=("Sub",)),
    Case("cumsum", lambda x, axis: mg.cumsum(x, axis),
         lambda x, axis: torch.cumsum(x, dim=axis),
         reductions(("smooth", "ties", "nonfinite"), single_axis=True), covers=("Cumsum",)),
]


@pytest.mark.parametrize("case", CASES, ids=example_ids(CASES))
def test_matches_torch(case, profile):
    run_case(case, profile)


# ------------------------------------------------ fixed defects, kept as guards
def _pinned(name, *inputs, **params):
    check_example(case_named(CASES, name), Example(tuple(inputs), params))


def test_mean_over_an_empty_axis():
    _pinned("mean", np.zeros((2, 0)), axis=1, keepdims=False)


def test_std_gradient_at_constant_input():
    """The gradient at std = 0 is 0, as torch's (the second derivative there is
    STD_SECOND_ORDER_CONDITIONING's)."""
    check_example(case_named(CASES, "std"),
                  Example((np.ones(3),), {"axis": None, "keepdims": False, "ddof": 1}),
                  second_order=False)


def test_max_of_an_empty_tensor_over_a_nonempty_axis():
    _pinned("max", np.zeros((1, 0)), axis=0, keepdims=False)


def test_logsumexp_of_an_empty_tensor():
    _pinned("logsumexp", np.zeros((0,)), axis=None, keepdims=False)


def test_softmax_of_an_empty_tensor():
    _pinned("softmax", np.zeros((2, 0)), axis=1)


def test_log_softmax_of_large_equal_logits():
    _pinned("log_softmax", np.float32([1e8, 1e8]), axis=0)


def test_softmax_of_large_equal_logits_in_float64():
    _pinned("softmax", np.float64([1e13, 1e13]), axis=0)


@pytest.mark.xfail(strict=True, reason=STD_OF_AN_UNDERFLOWING_VARIANCE.reason)
def test_std_gradient_where_the_float32_variance_underflows():
    check_example(case_named(CASES, "std"),
                  Example((np.float32([0.0, np.finfo(np.float32).tiny]),),
                          {"axis": None, "keepdims": False, "ddof": 0}),
                  second_order=False)
