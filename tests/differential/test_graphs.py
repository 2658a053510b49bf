"""Random computation graphs: chains and diamonds of ops on a few (3, 3) inputs,
ending in a scalar, so the second-order check of the harness is a true
Hessian-vector product, mg.grad(create_graph=True) against
torch.autograd.grad(create_graph=True), through every op the graph picked."""

import numpy as np
import pytest
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.testing.strategies import float_arrays, float_dtypes, laid_out
from tests.differential.harness import Case, Example, example_ids, run_case, seeds
from tests.differential.torch_or_stub import requires_torch, torch

pytestmark = [pytest.mark.parity, requires_torch]
TF = torch.nn.functional

SIDE = 3
PERMUTATION = np.array([2, 0, 1])

# name -> (minigrad, torch), each taking one or two (3, 3) tensors
UNARY = {
    "tanh": (mg.tanh, torch.tanh),
    "sigmoid": (mg.sigmoid, torch.sigmoid),
    "softplus": (F.softplus, TF.softplus),
    "gelu": (F.gelu, TF.gelu),
    "silu": (F.silu, TF.silu),
    "square": (lambda x: x * x, lambda x: x * x),
    "softmax": (lambda x: F.softmax(x, dim=1), lambda x: TF.softmax(x, dim=1)),
    "log_softmax": (lambda x: F.log_softmax(x, dim=0), lambda x: TF.log_softmax(x, dim=0)),
    "centre": (lambda x: x - x.mean(axis=0, keepdims=True),
               lambda x: x - x.mean(dim=0, keepdim=True)),
    "logsumexp": (lambda x: x.logsumexp(axis=1, keepdims=True) + x * 0.5,
                  lambda x: x.logsumexp(dim=1, keepdim=True) + x * 0.5),
    "transpose": (lambda x: x.transpose(0, 1), lambda x: x.transpose(0, 1)),
    "reshape": (lambda x: x.reshape(SIDE * SIDE).reshape(SIDE, SIDE),
                lambda x: x.reshape(SIDE * SIDE).reshape(SIDE, SIDE)),
    "rows": (lambda x: x[PERMUTATION], lambda x: x[torch.tensor(PERMUTATION)]),
    "exp_of_tanh": (lambda x: mg.exp(mg.tanh(x)), lambda x: torch.exp(torch.tanh(x))),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1)),
    "matmul": (lambda a, b: a @ b * (1 / SIDE), lambda a, b: a @ b * (1 / SIDE)),
    "maximum": (mg.maximum, torch.maximum),
    "cat_rows": (lambda a, b: mg.cat([a[:1], b[1:]], axis=0),
                 lambda a, b: torch.cat([a[:1], b[1:]], dim=0)),
}


@st.composite
def programs(draw):
    """Up to 3 inputs and 2-6 steps; each step applies an op to earlier values,
    so values are reused (diamonds) as well as chained."""
    dtype = draw(float_dtypes())
    count = draw(st.integers(1, 3))
    inputs = tuple(draw(laid_out(float_arrays((SIDE, SIDE), dtype, "smooth", -2.0, 2.0)))
                   for _ in range(count))
    steps, available = [], count
    for _ in range(draw(st.integers(2, 6))):
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(sorted(UNARY))),
                          draw(st.integers(0, available - 1))))
        else:
            steps.append((draw(st.sampled_from(sorted(BINARY))),
                          draw(st.integers(0, available - 1)),
                          draw(st.integers(0, available - 1))))
        available += 1
    return Example(inputs, {"program": tuple(steps)}, draw(seeds()))


def run(program, library, inputs):
    """Evaluate the program with library 0 (minigrad) or 1 (torch); a scalar out."""
    values = list(inputs)
    for name, *operands in program:
        op = (UNARY.get(name) or BINARY[name])[library]
        values.append(op(*(values[i] for i in operands)))
    return (values[-1] * values[-1]).sum() + values[-1].sum()


GRAPH_TOLERANCE = {np.float32: (1e-4, 1e-5), np.float64: (1e-9, 1e-11)}

CASES = [
    Case("random graph", lambda *xs, program: run(program, 0, xs),
         lambda *xs, program: run(program, 1, xs), programs(), tolerance=GRAPH_TOLERANCE),
]


@pytest.mark.parametrize("case", CASES, ids=example_ids(CASES))
def test_matches_torch(case, profile):
    run_case(case, profile)
