"""Gradient checkpointing: identical values and gradients with and without it,
gradcheck/gradgradcheck in float64, replayed dropout masks, closure parameters,
and that intermediate activations are really not kept."""

import gc
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.testing.coverage import gradchecks
from minigrad.testing.strategies import arrays
from minigrad.utils import checkpoint, checkpoint_sequential
from minigrad.utils.recompute import Checkpoint
from tests.helpers import GRADCHECK, rng


def mlp(depth=4, width=6, dropout=0.0):
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.Tanh()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers).double()


def gradients(model, x, run):
    model.zero_grad()
    x.grad = None
    out = run(model, x)
    (out * out).sum().backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    return out.numpy().copy(), x.grad.numpy().copy(), grads


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_identical_values_and_gradients(dropout):
    mg.manual_seed(0)
    model = mlp(dropout=dropout)
    x = mg.tensor(rng(1).standard_normal((5, 6)), requires_grad=True)
    mg.manual_seed(1)
    plain = gradients(model, x, lambda m, v: m(v))
    mg.manual_seed(1)
    whole = gradients(model, x, lambda m, v: checkpoint(m, v))
    mg.manual_seed(1)
    pieces = gradients(model, x, lambda m, v: checkpoint_sequential(m, 3, v))
    for other in (whole, pieces):
        np.testing.assert_array_equal(other[0], plain[0])
        np.testing.assert_array_equal(other[1], plain[1])
        for ours, reference in zip(other[2], plain[2]):
            np.testing.assert_array_equal(ours, reference)


def test_recomputation_leaves_the_generator_where_it_was():
    mg.manual_seed(2)
    model = mlp(depth=2, dropout=0.5)
    x = mg.tensor(rng(2).standard_normal((3, 6)), requires_grad=True)
    out = checkpoint(model, x)
    state = mg.get_rng_state()
    out.sum().backward()
    assert mg.get_rng_state() == state


@gradchecks(Checkpoint)
@GRADCHECK
@given(data=st.data(), rows=st.integers(1, 3), width=st.integers(1, 3))
def test_gradcheck_and_gradgradcheck(data, rows, width):
    x = mg.tensor(data.draw(arrays((rows, width))), requires_grad=True)
    w = mg.tensor(rng(3).standard_normal((width, width)), requires_grad=True)
    b = mg.tensor(rng(4).standard_normal(width), requires_grad=True)

    def fn(x, w, b):
        return checkpoint(lambda v: F.linear(v, w, b).tanh() * v, x, parameters=[w, b])

    assert mg.gradcheck(fn, (x, w, b))
    assert mg.gradgradcheck(fn, (x, w, b))


@pytest.mark.parametrize("create_graph", [False, True])
def test_segment_after_other_ops_matches_plain_backward(create_graph):
    """Upstream leaves get their gradient once (through the graph), and an upstream
    retain_grad sees exactly one gradient, with or without create_graph."""
    generator = rng(8)
    x, w0, w = (mg.tensor(generator.standard_normal(shape), requires_grad=True)
                for shape in ((2, 3), (3, 3), (3, 3)))

    def segment(h):
        return (h @ w).tanh() * h

    results = []
    for run in (segment, lambda h: checkpoint(segment, h)):
        hidden = (x @ w0).tanh()
        hidden.retain_grad()
        run(hidden).sum().backward(create_graph=create_graph)
        results.append([t.grad.numpy().copy() for t in (x, w0, w, hidden)])
        x.grad = w0.grad = w.grad = None
    for ours, reference in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, reference, rtol=1e-14, atol=1e-15)


def test_double_backward_through_a_segment_after_other_ops():
    generator = rng(9)
    x, w0, w = (mg.tensor(generator.standard_normal(shape), requires_grad=True)
                for shape in ((2, 3), (3, 3), (3, 3)))

    def fn(x, w0, w):
        return checkpoint(lambda h: (h @ w).tanh() * h, (x @ w0).tanh(), parameters=[w])

    assert mg.gradgradcheck(fn, (x, w0, w))


def test_closure_parameters_get_gradients_through_backward():
    w = mg.tensor(rng(5).standard_normal((3, 3)), requires_grad=True)
    x = mg.tensor(rng(6).standard_normal((2, 3)), requires_grad=True)
    (x @ w).tanh().sum().backward()
    expected_w, expected_x = w.grad.numpy().copy(), x.grad.numpy().copy()
    w.grad = x.grad = None
    checkpoint(lambda v: (v @ w).tanh(), x).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), expected_w, rtol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), expected_x, rtol=1e-14)


def test_module_parameters_work_with_mg_grad():
    model = mlp(depth=2)
    x = mg.tensor(rng(7).standard_normal((4, 6)), requires_grad=True)
    params = list(model.parameters())
    expected = mg.grad(model(x).sum(), params)
    ours = mg.grad(checkpoint(model, x).sum(), params)
    for a, b in zip(ours, expected):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-14)


def test_forward_keeps_no_intermediate_activations():
    """The hidden activation inside the segment is garbage once forward returns."""
    kept = []

    def segment(v):
        hidden = (v * 2).tanh()
        kept.append(weakref.ref(hidden))
        return hidden * 3

    x = mg.tensor(np.ones((4, 4)), requires_grad=True)
    out = checkpoint(segment, x)
    gc.collect()
    assert kept[0]() is None
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * (1 - np.tanh(2.0) ** 2))


def test_without_grad_it_is_a_plain_call_and_errors_are_clear():
    x = mg.tensor(np.ones(3))
    assert not checkpoint(lambda v: v * 2, x).requires_grad
    with pytest.raises(TypeError, match="checkpoint: the function must return one Tensor"):
        checkpoint(lambda v: (v, v), mg.tensor(np.ones(3), requires_grad=True))
    with pytest.raises(ValueError, match="segments must be in 1..2"):
        checkpoint_sequential([nn.Identity(), nn.Identity()], 3, x)
