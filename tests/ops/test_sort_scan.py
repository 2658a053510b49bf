"""cumsum, sort, argsort and topk: gradchecks, loop references, errors, and PyTorch
parity (values, int64 indices, gradients, ties) when torch is installed."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.ops import reduce
from minigrad.testing.coverage import gradchecks
from minigrad.testing.strategies import arrays, shapes
from tests.helpers import GRADCHECK, QUICK, rng


@st.composite
def array_and_dim(draw, min_dims=1):
    x = draw(arrays(shapes(min_dims=min_dims)))
    return x, draw(st.integers(-x.ndim, x.ndim - 1))


def naive_cumsum(x, dim):
    out = np.zeros(x.shape)
    for position in np.ndindex(x.shape):
        earlier = list(position)
        earlier[dim] = slice(0, position[dim] + 1)
        out[position] = sum(x[tuple(earlier)].ravel().tolist())
    return out


@gradchecks(reduce.Cumsum)
@GRADCHECK
@given(case=array_and_dim())
def test_cumsum_matches_the_loop_and_gradchecks(case):
    x, dim = case
    t = mg.tensor(x, requires_grad=True)
    np.testing.assert_allclose(mg.cumsum(t, dim).numpy(), naive_cumsum(x, dim % x.ndim),
                               atol=1e-12)
    assert mg.gradcheck(lambda v: v.cumsum(dim), (t,))
    assert mg.gradgradcheck(lambda v: mg.cumsum(v, dim) ** 2, (t,))


@QUICK
@given(case=array_and_dim())
def test_cumsum_gradient_is_the_reverse_running_sum(case):
    x, dim = case
    upstream = rng(3).standard_normal(x.shape)
    t = mg.tensor(x, requires_grad=True)
    mg.cumsum(t, dim).backward(upstream)
    axis = dim % x.ndim
    expected = np.zeros(x.shape)
    for position in np.ndindex(x.shape):  # dx_j = sum over i >= j of dy_i
        later = list(position)
        later[axis] = slice(position[axis], None)
        expected[position] = upstream[tuple(later)].sum()
    np.testing.assert_allclose(t.grad.numpy(), expected, atol=1e-12)


def test_cumsum_dtypes_and_scalars():
    assert mg.cumsum(mg.tensor([1, 2], dtype=mg.int32), 0).dtype == np.int64
    assert mg.cumsum(mg.tensor([True, True]), 0).tolist() == [1, 2]
    assert mg.cumsum(mg.tensor([1, 2]), 0, dtype=mg.float64).dtype == np.float64
    assert mg.cumsum(mg.tensor(3.0), -1).shape == ()


def naive_sort(row, descending):
    """Selection sort of a list, ties kept in order: (values, indices)."""
    remaining = list(enumerate(row))
    values, indices = [], []
    while remaining:
        pick = 0
        for k, (_, value) in enumerate(remaining):
            if (value > remaining[pick][1]) if descending else (value < remaining[pick][1]):
                pick = k
        index, value = remaining.pop(pick)
        values.append(value)
        indices.append(index)
    return values, indices


def naive_sort_along(x, dim, descending):
    moved = np.moveaxis(x, dim, -1)
    values, indices = np.zeros(moved.shape), np.zeros(moved.shape, dtype=np.int64)
    for position in np.ndindex(moved.shape[:-1]):
        values[position], indices[position] = naive_sort(moved[position].tolist(), descending)
    return np.moveaxis(values, -1, dim), np.moveaxis(indices, -1, dim)


@st.composite
def with_ties(draw):
    """Arrays drawn from a few values, so ties are common."""
    shape = draw(shapes(min_dims=1))
    values = st.sampled_from([-1.0, 0.0, 0.5, 2.0])
    x = np.asarray(draw(st.lists(values, min_size=int(np.prod(shape)),
                                 max_size=int(np.prod(shape))))).reshape(shape)
    return x, draw(st.integers(-x.ndim, x.ndim - 1)), draw(st.booleans())


@QUICK
@given(case=with_ties())
def test_sort_and_argsort_match_a_stable_selection_sort(case):
    x, dim, descending = case
    values, indices = naive_sort_along(x, dim % x.ndim, descending)
    result = mg.sort(mg.tensor(x), dim, descending=descending, stable=True)
    np.testing.assert_array_equal(result.values.numpy(), values)
    np.testing.assert_array_equal(result.indices.numpy(), indices)
    assert result.indices.dtype == np.int64
    np.testing.assert_array_equal(mg.tensor(x).argsort(dim, descending).numpy(), indices)


@QUICK
@given(case=with_ties(), data=st.data())
def test_topk_takes_the_first_k_of_the_sorted_order(case, data):
    x, dim, largest = case
    k = data.draw(st.integers(0, x.shape[dim]))
    values, indices = naive_sort_along(x, dim % x.ndim, descending=largest)
    result = mg.tensor(x).topk(k, dim, largest=largest)
    np.testing.assert_array_equal(result.values.numpy(), np.take(values, range(k), dim))
    np.testing.assert_array_equal(np.take_along_axis(x, result.indices.numpy(), dim),
                                  result.values.numpy())


def _distinct(shape, seed):
    size = int(np.prod(shape))
    return (rng(seed).permutation(size) * 0.37 - size * 0.15).reshape(shape)


@GRADCHECK
@given(case=array_and_dim(), descending=st.booleans(), data=st.data())
def test_sorted_values_gradcheck(case, descending, data):
    x, dim = case
    x = _distinct(x.shape, 0)  # away from ties, where sorting is not differentiable
    k = data.draw(st.integers(1, x.shape[dim]))
    t = mg.tensor(x, requires_grad=True)
    assert mg.gradcheck(lambda v: mg.sort(v, dim, descending).values, (t,))
    assert mg.gradgradcheck(lambda v: mg.topk(v, k, dim, largest=descending).values ** 2, (t,))


def test_sort_gradient_goes_to_the_positions_the_values_came_from():
    x = mg.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, indices = x.sort()
    values.backward(mg.tensor([10.0, 20.0, 30.0]))
    np.testing.assert_array_equal(indices.numpy(), [1, 2, 0])
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 10.0, 20.0])
    x.grad = None
    x.topk(1).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 0.0])


def test_nan_sorts_as_the_largest_value():
    x = mg.tensor([1.0, np.nan, -2.0])
    np.testing.assert_array_equal(x.sort().indices.numpy(), [2, 0, 1])
    np.testing.assert_array_equal(x.sort(descending=True).indices.numpy(), [1, 0, 2])


@pytest.mark.parametrize("call, error, message", [
    (lambda t: mg.cumsum(t, 2), mg.AxisError, r"cumsum: axis 2 is out of range"),
    (lambda t: mg.sort(t, -3), mg.AxisError, r"sort: axis -3 is out of range"),
    (lambda t: mg.topk(t, 5, 1), ValueError,
     r"topk: k = 5 is out of range for dimension 1 of size 4 \(tensor of shape \(3, 4\)\)"),
    (lambda t: mg.topk(t, -1), ValueError, r"topk: k = -1 is out of range"),
    (lambda t: mg.topk(t, 1.5), TypeError, r"topk: k must be an int, got 1.5"),
    (lambda t: mg.sort(t > 0), mg.DTypeError, r"sort: cannot sort a bool tensor"),
])
def test_bad_arguments_name_the_op_and_the_values(call, error, message):
    with pytest.raises(error, match=message):
        call(mg.zeros(3, 4))


# ----------------------------------------------------------------- PyTorch parity
@pytest.mark.parity
def test_cumsum_sort_topk_match_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[0.5, -1.0, 0.5, 2.0], [3.0, 3.0, -1.0, 0.0], [1.0, 2.0, 2.0, 2.0]])
    cases = [  # (minigrad, torch): the values output and the indices output (or None)
        (lambda v: (v.cumsum(-1), None), lambda v: (v.cumsum(-1), None)),
        (lambda v: mg.sort(v, -1, stable=True), lambda v: torch.sort(v, dim=-1, stable=True)),
        (lambda v: mg.sort(v, 0, True, stable=True),
         lambda v: torch.sort(v, dim=0, descending=True, stable=True)),
        (lambda v: (v.argsort(dim=-2, stable=True) * 1, None),
         lambda v: (v.argsort(dim=-2, stable=True) * 1, None)),
        (lambda v: (mg.topk(v, 2, -1).values, None), lambda v: (torch.topk(v, 2, -1).values, None)),
        (lambda v: (mg.topk(v, 3, 0, largest=False).values, None),
         lambda v: (torch.topk(v, 3, 0, largest=False).values, None)),
    ]
    for number, (ours_fn, theirs_fn) in enumerate(cases):
        ours, theirs = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        (ours_values, ours_indices), (theirs_values, theirs_indices) = ours_fn(ours), \
            theirs_fn(theirs)
        assert str(ours_values.dtype) == str(theirs_values.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours_values.numpy(), theirs_values.detach().numpy())
        if ours_indices is not None:  # stable sorts: indices are defined on ties too
            assert ours_indices.dtype == np.int64
            np.testing.assert_array_equal(ours_indices.numpy(), theirs_indices.numpy())
        if theirs_values.requires_grad:
            upstream = rng(number).standard_normal(ours_values.shape)
            ours_values.backward(upstream)
            theirs_values.backward(torch.tensor(upstream))
            if number < 4:  # topk's tie-breaking among equal values is torch's own
                np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(),
                                           rtol=1e-12)
            np.testing.assert_allclose(ours.grad.numpy().sum(), theirs.grad.numpy().sum(),
                                       rtol=1e-12)


@pytest.mark.parity
def test_topk_gradient_without_ties_matches_torch():
    torch = pytest.importorskip("torch")
    x = _distinct((3, 5), 1)
    ours, theirs = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours_result, theirs_result = ours.topk(3, dim=-1), theirs.topk(3, dim=-1)
    np.testing.assert_array_equal(ours_result.indices.numpy(), theirs_result.indices.numpy())
    (ours_result.values ** 2).sum().backward()
    (theirs_result.values ** 2).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
