"""How a differential case runs: one minigrad function, its PyTorch twin, and a
hypothesis strategy that draws the arguments for both.

A `Case` is one row of a family's table (test_elementwise.py, test_reductions.py,
...). For every drawn `Example`, `check_example`

1. runs both forwards and compares shape, dtype and values (NaN where PyTorch
   has NaN, the same infinities, elsewhere within the case's tolerance);
2. backpropagates the same random upstream gradient v through both and compares
   the input gradients  v^T J;
3. where it is cheap and defined (everything finite), differentiates
   <grad, w> once more for a random w and compares those Hessian-vector products
   (mg.grad(create_graph=True) against torch.autograd.grad(create_graph=True)).

If PyTorch rejects the input (it raises), minigrad must raise too.

A known defect is a `KnownDefect`: a one-line reason and a predicate naming the
precise input region it covers. The case's hypothesis test skips that region
(so it stays green on everything else) and the family module pins the region
with an explicit xfail(strict=True) example that turns red once the defect is
fixed.
"""

import contextlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.autograd import OP_REGISTRY, Function
from tests.differential.torch_or_stub import torch

# (rtol, atol) per dtype; atol is scaled by max(1, the largest finite |reference|).
DEFAULT_TOLERANCE = {np.float32: (1e-5, 1e-6), np.float64: (1e-10, 1e-12)}
GRADIENT_SLACK = 10  # gradients compound one more op's rounding: tolerances x this

# case name -> the registry ops its examples ran, forward or backward
SEEN_OPS = {}
# examples compared in this session (conftest reports the count)
EXAMPLES_CHECKED = [0]


@dataclass(frozen=True)
class Example:
    """The arguments of one run: `inputs` are float arrays that both libraries
    differentiate (or integer arrays, passed as they are); `params` are keyword
    arguments (NumPy arrays become torch tensors for the torch side); `seed` draws
    the upstream gradient v and the direction w of the second-order check."""

    inputs: tuple
    params: dict = field(default_factory=dict)
    seed: int = 0

    def __repr__(self):
        arrays = ", ".join(f"{a.dtype}{list(a.shape)} {_layout(a)} {a.tolist()!r}"
                           for a in self.inputs)
        return f"Example(inputs=[{arrays}], params={self.params!r}, seed={self.seed})"


def _layout(array):
    if array.ndim == 0 or array.flags.c_contiguous:
        return "C"
    return "F" if array.flags.f_contiguous else f"strides={array.strides}"


@dataclass(frozen=True)
class Region:
    """An input region where minigrad and PyTorch legitimately or knowingly differ:
    `reason` (one line) and `applies(example)`, true on exactly those inputs.
    second_order_only: only the second-order check is skipped there."""

    reason: str
    applies: Callable[[Example], bool]
    second_order_only: bool = False


KnownDefect = Region  # a minigrad defect (pinned by a strict xfail example test)
TorchDiffers = Region  # PyTorch's own choice or quirk, documented where it is used


@dataclass
class Case:
    """One row of a family table.

    name:      the test id (e.g. "sum", "cross_entropy[weights]").
    minigrad:  f(*inputs, **params) -> Tensor, on minigrad tensors.
    torch:     the same on torch tensors.
    examples:  a strategy of Example.
    covers:    the names this case vouches for: ops of OP_REGISTRY (each must run in
               some example, forward or backward, or the case fails) and public
               names of minigrad.nn.functional.
    tolerance: {dtype: (rtol, atol)} where the default is too tight for a
               legitimately different rounding (a composed formula, a long sum).
    grad, second_order: which derivative checks run.
    defects:   KnownDefect regions the hypothesis test skips.
    torch_differs: TorchDiffers regions, skipped the same way.
    """

    name: str
    minigrad: Callable[..., Any]
    torch: Callable[..., Any]
    examples: st.SearchStrategy
    covers: tuple = ()
    tolerance: dict = field(default_factory=dict)
    grad: bool = True
    second_order: bool = True
    defects: tuple = ()
    torch_differs: tuple = ()

    def tolerances(self, dtype):
        dtype = np.dtype(dtype).type
        return self.tolerance.get(dtype, DEFAULT_TOLERANCE.get(dtype, (0.0, 0.0)))

    @property
    def registry_ops(self):
        return {name for name in self.covers if name in OP_REGISTRY}


# ----------------------------------------------------------------- running a case
def run_case(case, profile):
    """Run case's hypothesis test under the named settings profile."""

    @settings(settings.get_profile(profile))
    @given(case.examples)
    def differential(example):
        second_order = case.second_order
        for region in case.defects + case.torch_differs:
            if region.applies(example):
                assume(region.second_order_only)
                second_order = False
        note(repr(example))
        check_example(case, example, second_order)
        EXAMPLES_CHECKED[0] += 1

    differential()
    missing = case.registry_ops - SEEN_OPS.get(case.name, set())
    assert not missing, f"{case.name}: declares {sorted(missing)} but no example ran them"


def check_example(case, example, second_order=None):
    """Forward, gradient and second-order comparison of one example (see module doc).
    second_order: run that check (default: case.second_order)."""
    second_order = case.second_order if second_order is None else second_order
    mg_inputs, torch_inputs = _twin_inputs(case, example)
    torch_params = {key: _to_torch(value) for key, value in example.params.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = case.torch(*torch_inputs, **torch_params)
        except (RuntimeError, ValueError, IndexError, TypeError) as error:
            with pytest.raises(Exception), np.errstate(all="ignore"):  # noqa: B017
                case.minigrad(*mg_inputs, **example.params)
            note(f"torch rejects it ({error}); minigrad raises too")
            return
        with np.errstate(all="ignore"), _recording_ops(SEEN_OPS.setdefault(case.name, set())):
            actual = case.minigrad(*mg_inputs, **example.params)
            _compare_forward(case, actual, expected)
            if case.grad and expected.requires_grad:
                _compare_derivatives(case, example, mg_inputs, torch_inputs, actual, expected,
                                     second_order)


def _twin_inputs(case, example):
    mg_inputs, torch_inputs = [], []
    for array in example.inputs:
        differentiable = case.grad and array.dtype.kind == "f"
        mg_inputs.append(mg.Tensor(array, requires_grad=differentiable))
        torch_inputs.append(torch.tensor(np.array(array, order="C"),
                                         requires_grad=differentiable))
    return mg_inputs, torch_inputs


def _to_torch(value):
    if isinstance(value, np.ndarray):
        return torch.tensor(np.array(value, order="C"))
    return value


def _numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().numpy(force=True)  # force: PyTorch's lazy zero tensors
    return np.asarray(value)


def assert_close(actual, expected, rtol, atol, what):
    """Shapes equal, NaN exactly where `expected` has NaN, then
    |actual - expected| <= atol * max(1, max finite |expected|) + rtol |expected|."""
    actual, expected = np.asarray(actual), _numpy(expected)
    assert actual.shape == expected.shape, \
        f"{what}: minigrad shape {actual.shape}, torch shape {expected.shape}"
    nan_differs = np.isnan(actual) != np.isnan(expected)
    if nan_differs.any():
        where = tuple(int(i) for i in np.argwhere(nan_differs)[0])
        pytest.fail(f"{what}: NaN positions differ, first at {where}: minigrad "
                    f"{actual[where]!r}, torch {expected[where]!r}")
    finite = expected[np.isfinite(expected)]
    scale = max(1.0, float(np.max(np.abs(finite)))) if finite.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol * scale,
                               equal_nan=True, err_msg=what)


def _compare_forward(case, actual, expected):
    expected_dtype = _numpy(expected).dtype
    assert actual.dtype == expected_dtype, \
        f"{case.name}: minigrad returns {actual.dtype}, torch {expected_dtype}"
    rtol, atol = case.tolerances(expected_dtype)
    assert_close(actual.numpy(), expected, rtol, atol, f"{case.name}: forward")


def _differentiated(inputs):
    return [t for t in inputs if t.requires_grad]


def _compare_derivatives(case, example, mg_inputs, torch_inputs, actual, expected,
                         second_order):
    rng = np.random.default_rng(example.seed)
    mg_leaves, torch_leaves = _differentiated(mg_inputs), _differentiated(torch_inputs)
    v = rng.standard_normal(expected.shape).astype(_numpy(expected).dtype)
    rtol, atol = case.tolerances(v.dtype)
    rtol, atol = rtol * GRADIENT_SLACK, atol * GRADIENT_SLACK
    mg_grads = mg.grad([actual], mg_leaves, grad_outputs=[mg.Tensor(v)], retain_graph=True,
                       allow_unused=True)
    torch_grads = torch.autograd.grad([expected], torch_leaves, [torch.tensor(v)],
                                      retain_graph=True, allow_unused=True)
    for index, (mine, theirs, leaf) in enumerate(zip(mg_grads, torch_grads, torch_leaves)):
        assert_close(_zeros_if_none(mine, leaf), _zeros_if_none(theirs, leaf), rtol, atol,
                     f"{case.name}: gradient of input {index}")
    everything_finite = all(np.isfinite(_numpy(g)).all() for g in torch_grads if g is not None)
    everything_finite &= bool(np.isfinite(_numpy(expected)).all())
    if second_order and everything_finite:
        _compare_second_order(case, rng, mg_leaves, torch_leaves, actual, expected, v,
                              rtol * GRADIENT_SLACK, atol * GRADIENT_SLACK)


def _compare_second_order(case, rng, mg_leaves, torch_leaves, actual, expected, v, rtol,
                          atol):
    """Differentiate <v^T J(x), w> (w random) with respect to x and to v: a
    Hessian-vector product in x (for a scalar output), and J w in v, so the
    backward of the backward is checked whole, as gradgradcheck does."""
    mg_v = mg.Tensor(v, requires_grad=True)
    torch_v = torch.tensor(v, requires_grad=True)
    mg_grads = mg.grad([actual], mg_leaves, grad_outputs=[mg_v], create_graph=True,
                       allow_unused=True)
    torch_grads = torch.autograd.grad([expected], torch_leaves, [torch_v], create_graph=True,
                                      allow_unused=True)
    directions = [rng.standard_normal(leaf.shape).astype(_numpy(leaf).dtype)
                  for leaf in torch_leaves]
    mg_dot = sum((g * mg.Tensor(w)).sum() for g, w in zip(mg_grads, directions)
                 if g is not None and g.requires_grad)
    torch_dot = sum((g * torch.tensor(w)).sum() for g, w in zip(torch_grads, directions)
                    if g is not None and g.requires_grad)
    mg_wrt, torch_wrt = mg_leaves + [mg_v], torch_leaves + [torch_v]
    mg_hv = (mg.grad([mg_dot], mg_wrt, allow_unused=True)
             if isinstance(mg_dot, mg.Tensor) else [None] * len(mg_wrt))
    torch_hv = (torch.autograd.grad([torch_dot], torch_wrt, allow_unused=True)
                if isinstance(torch_dot, torch.Tensor) else [None] * len(torch_wrt))
    names = [f"input {i}" for i in range(len(mg_leaves))] + ["the upstream gradient"]
    for name, mine, theirs, leaf in zip(names, mg_hv, torch_hv, torch_wrt):
        assert_close(_zeros_if_none(mine, leaf), _zeros_if_none(theirs, leaf), rtol, atol,
                     f"{case.name}: second derivative (grad of <grad, w>) in {name}")


def _zeros_if_none(gradient, leaf):
    if gradient is None:
        return np.zeros(tuple(leaf.shape), dtype=_numpy(leaf).dtype)
    return _numpy(gradient)


@contextlib.contextmanager
def _recording_ops(seen):
    """Add the name of every op applied inside the block (forward or backward) to seen."""
    original = Function.__dict__["apply"]

    def apply(cls, *args, **kwargs):
        seen.add(cls.__name__)
        return original.__func__(cls, *args, **kwargs)

    Function.apply = classmethod(apply)
    try:
        yield
    finally:
        Function.apply = original


# ----------------------------------------------------------------- for the family tables
def example_ids(cases):
    return [case.name for case in cases]


def case_named(cases, name):
    (case,) = [case for case in cases if case.name == name]
    return case


def seeds():
    return st.integers(0, 2**32 - 1)
