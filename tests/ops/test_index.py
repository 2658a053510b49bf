"""Indexing: basic and advanced reads, repeated-index accumulation, differentiable writes."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.ops import index as index_ops
from minigrad.testing.coverage import gradchecks
from minigrad.testing.strategies import arrays, shapes
from tests.helpers import GRADCHECK, rng


@st.composite
def basic_index(draw, shape):
    items = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "all"]))
        if kind == "int":
            items.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.integers(0, n - 1))
            items.append(slice(start, draw(st.integers(start + 1, n)),
                               draw(st.integers(1, 2))))
        else:
            items.append(slice(None))
    return tuple(items)


@gradchecks(index_ops.GetItem, index_ops.IndexAdd)
@GRADCHECK
@given(x=arrays(shapes(min_dims=1)), data=st.data())
def test_basic_indexing(x, data):
    index = data.draw(basic_index(x.shape))
    t = mg.tensor(x, requires_grad=True)
    np.testing.assert_array_equal(t[index].numpy(), x[index])
    assert mg.gradcheck(lambda v: v[index], (t,))
    assert mg.gradgradcheck(lambda v: v[index] ** 2, (t,))


@GRADCHECK
@given(x=arrays(shapes(min_dims=1)), data=st.data())
def test_integer_array_indexing_accumulates_repeats(x, data):
    picks = data.draw(st.lists(st.integers(0, x.shape[0] - 1), min_size=1, max_size=6))
    t = mg.tensor(x, requires_grad=True)
    y = t[np.array(picks)]
    upstream = rng(6).standard_normal(y.shape)
    y.backward(upstream)
    expected = np.zeros_like(x)
    for row, pick in enumerate(picks):  # the loop a student would write
        expected[pick] += upstream[row]
    np.testing.assert_allclose(t.grad.numpy(), expected, atol=1e-12)
    assert mg.gradcheck(lambda v: v[picks] * 1.5, (mg.tensor(x, requires_grad=True),))


def test_boolean_mask_and_mixed_indexing():
    x = rng().standard_normal((4, 5))
    t = mg.tensor(x, requires_grad=True)
    mask = x > 0
    np.testing.assert_array_equal(t[mask].numpy(), x[mask])
    t[mask].sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), mask * 1.0)
    rows, cols = mg.tensor(np.array([0, 3, 3])), np.array([1, 1, 1])
    assert mg.gradcheck(lambda v: v[rows, cols], (mg.tensor(x, requires_grad=True),))
    assert mg.gradcheck(lambda v: v[1:, [0, 0, 2]], (mg.tensor(x, requires_grad=True),))


@gradchecks(index_ops.IndexPut)
def test_setitem_is_differentiable_on_non_leaves():
    x = mg.tensor(rng().standard_normal((3, 4)), requires_grad=True)
    v = mg.tensor(rng(1).standard_normal(4), requires_grad=True)

    def write_row(base, value):
        y = base * 1.0
        y[1] = value * 2
        return y

    assert mg.gradcheck(write_row, (x, v))
    assert mg.gradgradcheck(lambda b, value: write_row(b, value) ** 2, (x, v))
    y = write_row(x, v)
    y.sum().backward()
    expected = np.ones((3, 4))
    expected[1] = 0
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    np.testing.assert_array_equal(v.grad.numpy(), np.full(4, 2.0))
    assert mg.gradcheck(lambda b, value: mg.ops.index_put(b, (slice(None), 0), value[:3]),
                        (x, v))


def test_index_errors():
    t = mg.zeros(2, 3)
    with pytest.raises(IndexError, match=r"getitem: .*\(tensor shape \(2, 3\)\)"):
        t[5]
    with pytest.raises(IndexError, match="integer or boolean"):
        t[np.array([0.5])]
    with pytest.raises(mg.ShapeError, match=r"setitem: cannot assign a value of shape \(4,\)"):
        t[0] = np.zeros(4)
