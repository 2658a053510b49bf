"""Elementwise ops (minigrad.ops.elementwise, Erf, Softplus) against PyTorch.

Inputs broadcast against each other (size-0, size-1 axes, 0-d), come in four
memory layouts, as float32 or float64, with smooth values, ties, or the extremes
(huge, tiny, +-0, inf, NaN) wherever PyTorch defines the result.
"""

import numpy as np
import pytest
from hypothesis import strategies as st

import minigrad as mg
from minigrad.ops import elementwise as ew
from minigrad.ops.activation import erf, softplus
from minigrad.testing.strategies import broadcasting_arrays
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

TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}


def arrays(count=1, **kwargs):
    """Examples of `count` broadcasting float arrays (see broadcasting_arrays)."""
    return st.builds(Example, inputs=broadcasting_arrays(count, **kwargs), seed=seeds())


def with_params(examples, **params):
    """Add keyword arguments drawn from `params` (name -> strategy) to each example."""
    return st.tuples(examples, st.fixed_dictionaries(params)).map(
        lambda pair: Example(pair[0].inputs, pair[1], pair[0].seed))


@st.composite
def where_examples(draw):
    a, b, chooser = draw(broadcasting_arrays(3))
    condition = np.asarray(chooser > 0)
    return Example((condition, a, b), seed=draw(seeds()))


def clip_bounds():
    return st.one_of(st.none(), st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0]))


def casts():
    return with_params(arrays(), dtype=st.sampled_from([np.float32, np.float64]))


# ----------------------------------------------------------------- regions
def has_nan(*arrays):
    return any(np.isnan(a).any() for a in arrays)


POW_BASE_ZERO_SECOND_ORDER = TorchDiffers(
    "pow at base 0: torch's double backward is NaN (0 * inf in b (b-1) a**(b-2) and in "
    "b a**(b-1) log a, also summed over an empty exponent); minigrad gives the finite "
    "limit (a=0, b=2: 2, as a one-sided difference) or, at b = 1 where a**b is not twice "
    "differentiable at 0, the derivative of its own masked gradient",
    lambda e: bool(np.any(e.inputs[0] == 0)), second_order_only=True)
POW_ZERO_EXPONENT = TorchDiffers(
    "torch zeroes d(a**b)/da where b == 0 and so its derivative in b: its second "
    "derivative there is wrong (minigrad's is right)",
    lambda e: bool(np.any(e.inputs[1] == 0)), second_order_only=True)
MAXIMUM_NAN_GRADIENT = KnownDefect(
    "maximum/minimum: with a NaN operand the gradient goes to the other one only; "
    "PyTorch gives it to both",
    lambda e: has_nan(*e.inputs))
RELU_NAN_GRADIENT = KnownDefect(
    "relu: the gradient at x = NaN is 0; PyTorch passes it through (NaN > 0 is false "
    "in minigrad's mask, NaN <= 0 false in PyTorch's)",
    lambda e: has_nan(*e.inputs))
ABS_NAN_GRADIENT = KnownDefect(
    "abs: the gradient at x = NaN is NaN (sign(NaN)); PyTorch gives 0",
    lambda e: has_nan(*e.inputs))


EMPTY_OPERAND_WITH_NAN = TorchDiffers(
    "an empty operand broadcast against a NaN one: torch's double backward gives the "
    "NaN operand 0, minigrad 0 * NaN = NaN (the sum over the empty axis times b)",
    lambda e: any(a.size == 0 for a in e.inputs) and has_nan(*e.inputs),
    second_order_only=True)
SOFTPLUS_AT_THRESHOLD = TorchDiffers(
    "torch's softplus double backward treats beta * x == threshold as linear (second "
    "derivative 0) while its forward and first derivative there are the smooth branch",
    lambda e: bool(np.any(e.inputs[0] * e.params["beta"] == e.params["threshold"])),
    second_order_only=True)


# name, minigrad, torch, examples, covers (ops of OP_REGISTRY / names of F)
CASES = [
    Case("add", lambda a, b: a + b, lambda a, b: a + b, arrays(2), covers=("Add",)),
    Case("sub", lambda a, b: a - b, lambda a, b: a - b, arrays(2), covers=("Sub",)),
    Case("mul", lambda a, b: a * b, lambda a, b: a * b, arrays(2), covers=("Mul",)),
    Case("div", lambda a, b: a / b, lambda a, b: a / b, arrays(2), covers=("Div",),
         torch_differs=(EMPTY_OPERAND_WITH_NAN,)),
    Case("pow[positive base]", lambda a, b: a ** b, lambda a, b: a ** b,
         arrays(2, low=0.0, high=3.0), covers=("Pow", "Log"),
         torch_differs=(POW_ZERO_EXPONENT, POW_BASE_ZERO_SECOND_ORDER)),
    Case("neg", lambda x: -x, lambda x: -x, arrays(), covers=("Neg",)),
    Case("maximum", mg.maximum, torch.maximum, arrays(2), covers=("Maximum",),
         defects=(MAXIMUM_NAN_GRADIENT,)),
    Case("minimum", mg.minimum, torch.minimum, arrays(2), covers=("Minimum",),
         defects=(MAXIMUM_NAN_GRADIENT,)),
    Case("where", mg.where, torch.where, where_examples(), covers=("Where",)),
    Case("astype", ew.astype, lambda x, dtype: x.to(TORCH_DTYPE[dtype]), casts(),
         covers=("Cast",)),
    Case("exp", mg.exp, torch.exp, arrays(), covers=("Exp",)),
    Case("log", mg.log, torch.log, arrays(low=0.0, high=5.0), covers=("Log",)),
    Case("sqrt", mg.sqrt, torch.sqrt, arrays(low=0.0, high=5.0), covers=("Sqrt",)),
    Case("sin", mg.sin, torch.sin, arrays(), covers=("Sin", "Cos")),
    Case("cos", mg.cos, torch.cos, arrays(), covers=("Cos", "Sin")),
    Case("tanh", mg.tanh, torch.tanh, arrays(), covers=("Tanh", "TanhGrad")),
    Case("sigmoid", mg.sigmoid, torch.sigmoid, arrays(), covers=("Sigmoid", "SigmoidGrad")),
    Case("relu", mg.relu, torch.relu, arrays(), covers=("ReLU", "ReLUGrad"),
         defects=(RELU_NAN_GRADIENT,)),
    Case("abs", mg.abs, torch.abs, arrays(), covers=("Abs",), defects=(ABS_NAN_GRADIENT,)),
    Case("clip", lambda x, min, max: mg.clip(x, min, max),
         lambda x, min, max: torch.clamp(x, min, max),
         with_params(arrays(), min=clip_bounds(), max=clip_bounds()).filter(
             lambda e: (e.params["min"], e.params["max"]) != (None, None)),
         covers=("Clip",)),
    Case("erf", erf, torch.erf, arrays(), covers=("Erf",),
         tolerance={np.float32: (2e-5, 1e-6), np.float64: (1e-9, 1e-12)}),
    Case("softplus", lambda x, beta, threshold: softplus(x, beta, threshold),
         lambda x, beta, threshold: torch.nn.functional.softplus(x, beta, threshold),
         with_params(arrays(), beta=st.sampled_from([0.5, 1.0, 3.0]),
                     threshold=st.sampled_from([1.0, 20.0])),
         covers=("Softplus",), torch_differs=(SOFTPLUS_AT_THRESHOLD,)),
    Case("sign", mg.sign, torch.sign, arrays(), covers=("Sign",)),
    Case("floor", mg.floor, torch.floor, arrays(), covers=("Floor",)),
    Case("ceil", mg.ceil, torch.ceil, arrays(), covers=("Ceil",)),
    Case("trunc", mg.trunc, torch.trunc, arrays(), covers=("Trunc",)),
    Case("round", lambda x, decimals: mg.round(x, decimals=decimals),
         lambda x, decimals: torch.round(x, decimals=decimals),
         with_params(arrays(), decimals=st.sampled_from([0, 0, 1, -1])), covers=("Round",)),
]


@pytest.mark.parametrize("case", CASES, ids=example_ids(CASES))
def test_matches_torch(case, profile):
    run_case(case, profile)


# ------------------------------------------------ pinned defects, and fixed ones kept as guards
def _pinned(name, *inputs, **params):
    check_example(case_named(CASES, name), Example(tuple(inputs), params))


def test_div_gradient_with_a_tiny_denominator():
    tiny = np.finfo(np.float32).tiny
    _pinned("div", np.float32([tiny]), np.float32([tiny]))


def test_pow_second_derivative_at_a_tiny_base():
    """Fixed: a**(b-2) overflowing at a tiny base no longer makes it inf/NaN."""
    _pinned("pow[positive base]", np.float32([1e-30]), np.float32([1.5]))


def test_pow_gradient_at_base_zero():
    """Fixed: the gradients at base 0 are finite, as torch's (0 * log 0 masked)."""
    check_example(case_named(CASES, "pow[positive base]"),
                  Example((np.float64([0.0]), np.float64([2.0]))), second_order=False)


@pytest.mark.xfail(strict=True, reason=MAXIMUM_NAN_GRADIENT.reason)
def test_maximum_gradient_with_a_nan_operand():
    _pinned("maximum", np.float64([0.0]), np.float64([np.nan]))


@pytest.mark.xfail(strict=True, reason=RELU_NAN_GRADIENT.reason)
def test_relu_gradient_at_nan():
    _pinned("relu", np.float64([np.nan]))


@pytest.mark.xfail(strict=True, reason=ABS_NAN_GRADIENT.reason)
def test_abs_gradient_at_nan():
    _pinned("abs", np.float64([np.nan]))
