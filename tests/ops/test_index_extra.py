"""gather, scatter, scatter_add, index_select and the slicing ops built on indexing
(narrow, split, chunk, unbind, flip, roll): gradchecks, loop references, errors,
and PyTorch parity when torch is installed."""

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
def index_along(draw, min_dims=1):
    """(x, dim, index): index of x's rank, no longer than x off `dim`, values in range."""
    x = draw(arrays(shapes(min_dims=min_dims)))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    axis = dim % x.ndim
    shape = tuple(draw(st.integers(1, 4)) if d == axis else draw(st.integers(1, n))
                  for d, n in enumerate(x.shape))
    index = np.asarray(draw(st.lists(st.integers(0, x.shape[axis] - 1),
                                     min_size=int(np.prod(shape)),
                                     max_size=int(np.prod(shape)))), dtype=np.int64)
    return x, dim, index.reshape(shape)


def _target(position, dim, index):
    """The input position that index's entry at `position` names (the loop's view)."""
    target = list(position)
    target[dim] = index[position]
    return tuple(target)


def naive_gather(x, dim, index):
    out = np.zeros(index.shape)
    for position in np.ndindex(index.shape):
        out[position] = x[_target(position, dim % x.ndim, index)]
    return out


def naive_scatter(x, dim, index, src, add):
    out = x.copy()
    for position in np.ndindex(index.shape):
        value = src if np.ndim(src) == 0 else src[position]
        target = _target(position, dim % x.ndim, index)
        out[target] = out[target] + value if add else value
    return out


def unique_along(index, dim):
    """index with distinct targets: scatter's result is then defined (no races)."""
    seen, keep = set(), np.ones(index.shape, dtype=bool)
    for position in np.ndindex(index.shape):
        target = _target(position, dim % index.ndim, index)
        keep[position] = target not in seen
        seen.add(target)
    return keep.all()


# ----------------------------------------------------------------- gather and scatter
@gradchecks(index_ops.GetItem, index_ops.IndexAdd)
@GRADCHECK
@given(case=index_along())
def test_gather_matches_the_loop_and_gradchecks(case):
    x, dim, index = case
    t = mg.tensor(x, requires_grad=True)
    np.testing.assert_array_equal(mg.gather(t, dim, index).numpy(), naive_gather(x, dim, index))
    assert t.gather(dim, mg.tensor(index)).shape == index.shape
    assert mg.gradcheck(lambda v: mg.gather(v, dim, index), (t,))
    assert mg.gradgradcheck(lambda v: mg.gather(v, dim, index) ** 2, (t,))


@gradchecks(index_ops.IndexPut)
@GRADCHECK
@given(case=index_along(), data=st.data())
def test_scatter_matches_the_loop_and_gradchecks(case, data):
    x, dim, index = case
    if not unique_along(index, dim):
        index = np.zeros_like(index)[tuple(slice(0, 1) for _ in index.shape)]
    src = data.draw(arrays(tuple(n + data.draw(st.integers(0, 1)) for n in index.shape)))
    t, s = mg.tensor(x, requires_grad=True), mg.tensor(src, requires_grad=True)
    np.testing.assert_array_equal(mg.scatter(t, dim, index, s).numpy(),
                                  naive_scatter(x, dim, index, src, add=False))
    np.testing.assert_array_equal(t.scatter(dim, index, value=-3.0).numpy(),
                                  naive_scatter(x, dim, index, -3.0, add=False))
    assert mg.gradcheck(lambda v, w: mg.scatter(v, dim, index, w), (t, s))
    assert mg.gradgradcheck(lambda v, w: mg.scatter(v, dim, index, w) ** 2, (t, s))


@GRADCHECK
@given(case=index_along(), data=st.data())
def test_scatter_add_matches_the_loop_and_gradchecks(case, data):
    x, dim, index = case  # repeated targets are allowed here: they add up
    src = data.draw(arrays(index.shape))
    t, s = mg.tensor(x, requires_grad=True), mg.tensor(src, requires_grad=True)
    np.testing.assert_allclose(mg.scatter_add(t, dim, index, s).numpy(),
                               naive_scatter(x, dim, index, src, add=True), atol=1e-12)
    assert mg.gradcheck(lambda v, w: v.scatter_add(dim, index, w), (t, s))
    assert mg.gradgradcheck(lambda v, w: mg.scatter_add(v, dim, index, w) ** 2, (t, s))


def test_scatter_gradients_by_hand():
    """dinput is zero where src wrote; dsrc is dy gathered at index, zero beyond it."""
    x = mg.tensor(np.zeros((2, 3)), requires_grad=True)
    src = mg.tensor(np.arange(8.0).reshape(2, 4), requires_grad=True)
    index = np.array([[2, 0]])
    upstream = np.arange(6.0).reshape(2, 3) + 1
    mg.scatter(x, 1, index, src).backward(upstream)
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 2, 0], [4, 5, 6]])
    np.testing.assert_array_equal(src.grad.numpy(), [[3, 1, 0, 0], [0, 0, 0, 0]])


@GRADCHECK
@given(x=arrays(shapes(min_dims=1)), data=st.data())
def test_index_select_matches_numpy_take(x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    picks = np.asarray(data.draw(st.lists(st.integers(0, x.shape[dim] - 1), max_size=5)),
                       dtype=np.int64)
    t = mg.tensor(x, requires_grad=True)
    np.testing.assert_array_equal(mg.index_select(t, dim, picks).numpy(),
                                  np.take(x, picks, axis=dim))
    if picks.size:
        assert mg.gradcheck(lambda v: v.index_select(dim, mg.tensor(picks)), (t,))


# ----------------------------------------------------------------- slicing along a dim
@st.composite
def narrows(draw):
    x = draw(arrays(shapes(min_dims=1)))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    size = x.shape[dim]
    start = draw(st.integers(-size, size))
    length = draw(st.integers(0, size - start % size if start != size else 0))
    return x, dim, start, length


@GRADCHECK
@given(case=narrows())
def test_narrow_is_the_slice(case):
    x, dim, start, length = case
    begin = start % x.shape[dim] if start != x.shape[dim] else start
    expected = np.moveaxis(np.moveaxis(x, dim, 0)[begin:begin + length], 0, dim)
    t = mg.tensor(x, requires_grad=True)
    np.testing.assert_array_equal(mg.narrow(t, dim, start, length).numpy(), expected)
    assert mg.gradcheck(lambda v: v.narrow(dim, start, length), (t,))


@GRADCHECK
@given(x=arrays(shapes(min_dims=1)), data=st.data())
def test_split_chunk_unbind_pieces_and_gradients(x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    size = x.shape[dim]
    step = data.draw(st.integers(1, size + 1))
    chunks = data.draw(st.integers(1, size + 1))
    per_chunk = -(-size // chunks)  # PyTorch: ceil(n / chunks) each
    t = mg.tensor(x, requires_grad=True)
    for pieces, width in ((mg.split(t, step, dim), step),
                          (mg.chunk(t, chunks, dim), per_chunk)):
        starts = range(0, size, width)
        assert len(pieces) == len(starts)
        for piece, begin in zip(pieces, starts):
            expected = np.take(x, range(begin, min(begin + width, size)), axis=dim)
            np.testing.assert_array_equal(piece.numpy(), expected)
    sections = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    sections[-1] += size - sum(sections) if sum(sections) <= size else 0
    if sum(sections) == size:
        offsets = np.cumsum([0] + sections)
        for piece, begin, end in zip(mg.split(t, sections, dim), offsets, offsets[1:]):
            np.testing.assert_array_equal(piece.numpy(), np.take(x, range(begin, end), dim))
    rows = t.unbind(dim)
    assert len(rows) == size
    for i, row in enumerate(rows):
        np.testing.assert_array_equal(row.numpy(), np.take(x, i, axis=dim))
    weights = [float(k + 1) for k in range(len(rows))]
    assert mg.gradcheck(lambda v: sum(w * r for w, r in zip(weights, v.unbind(dim))), (t,))
    assert mg.gradcheck(lambda v: mg.cat([p * 2.0 for p in mg.split(v, step, dim)], dim),
                        (t,))


def _naive_roll(x, shift, dim):
    out = np.empty_like(x)
    size = x.shape[dim]
    for position in np.ndindex(x.shape):
        target = list(position)
        target[dim] = (position[dim] + shift) % size
        out[tuple(target)] = x[position]
    return out


@GRADCHECK
@given(x=arrays(shapes(min_dims=1)), data=st.data())
def test_flip_and_roll_move_elements_as_the_loop(x, data):
    dims = tuple(data.draw(st.lists(st.integers(0, x.ndim - 1), min_size=1, unique=True)))
    negative = tuple(d - x.ndim for d in dims)
    expected = x.copy()
    for d in dims:  # reverse each axis by explicit index arithmetic
        expected = np.take(expected, [x.shape[d] - 1 - i for i in range(x.shape[d])], axis=d)
    t = mg.tensor(x, requires_grad=True)
    np.testing.assert_array_equal(mg.flip(t, negative).numpy(), expected)
    np.testing.assert_array_equal(t.flip(*dims).numpy(), expected)
    shift, dim = data.draw(st.integers(-5, 5)), data.draw(st.integers(-x.ndim, x.ndim - 1))
    np.testing.assert_array_equal(mg.roll(t, shift, dim).numpy(),
                                  _naive_roll(x, shift, dim % x.ndim))
    flat = _naive_roll(x.reshape(-1), shift, 0).reshape(x.shape)
    np.testing.assert_array_equal(t.roll(shift).numpy(), flat)
    assert mg.gradcheck(lambda v: mg.flip(v, dims) * mg.tensor(np.arange(x.size).reshape(
        x.shape) + 1.0), (t,))
    assert mg.gradcheck(lambda v: mg.roll(v, (shift, 1), (dim, 0)) ** 2, (t,))


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize("call, error, message", [
    (lambda t: mg.gather(t, 2, np.zeros((1, 1), np.int64)), mg.AxisError,
     r"gather: axis 2 is out of range for a tensor with 2 dimensions"),
    (lambda t: mg.gather(t, 0, np.zeros((1, 1))), mg.DTypeError,
     r"gather: index must be an integer tensor, got dtype float64"),
    (lambda t: mg.gather(t, 0, np.array([[3]])), IndexError,
     r"gather: index 3 is out of bounds for dimension 0 with size 3"),
    (lambda t: mg.gather(t, 1, np.array([[-1]])), IndexError,
     r"gather: index -1 is out of bounds for dimension 1 with size 4"),
    (lambda t: mg.gather(t, 0, np.zeros(2, np.int64)), mg.ShapeError,
     r"gather: index has 1 dimensions \(shape \(2,\)\) but input has 2 \(shape \(3, 4\)\)"),
    (lambda t: mg.gather(t, 0, np.zeros((1, 5), np.int64)), mg.ShapeError,
     r"gather: index shape \(1, 5\) is larger than input shape \(3, 4\) at dimension 1"),
    (lambda t: mg.scatter(t, 0, np.zeros((2, 2), np.int64), mg.ones(1, 2, dtype=mg.float64)),
     mg.ShapeError, r"scatter: index shape \(2, 2\) is larger than src shape \(1, 2\)"),
    (lambda t: mg.scatter(t, 0, np.zeros((1, 1), np.int64), mg.ones(1, 1)), mg.DTypeError,
     r"scatter: src has dtype float32 but input has dtype float64"),
    (lambda t: mg.scatter(t, 0, np.zeros((1, 1), np.int64)), TypeError,
     r"scatter: give exactly one of src"),
    (lambda t: mg.scatter_add(t, 0, np.zeros((1, 1), np.int64), 1.0), TypeError,
     r"scatter_add: src must be a Tensor"),
    (lambda t: mg.index_select(t, 1, np.array([4])), IndexError,
     r"index_select: index 4 is out of bounds for dimension 1 with size 4"),
    (lambda t: mg.index_select(t, 1, np.zeros((1, 1), np.int64)), mg.ShapeError,
     r"index_select: index must be 1-D"),
    (lambda t: mg.narrow(t, 1, 2, 3), mg.ShapeError,
     r"narrow: start 2 \+ length 3 exceeds dimension 1 of size 4"),
    (lambda t: mg.narrow(t, 0, -4, 1), IndexError,
     r"narrow: start -4 is out of range for dimension 0 of size 3"),
    (lambda t: mg.flip(t, (0, -2)), mg.AxisError, r"flip: repeated axis"),
    (lambda t: mg.roll(t, (1, 2), 0), mg.ShapeError, r"roll: got 2 shifts \(1, 2\) for 1 dims"),
    (lambda t: mg.split(t, [1, 1], 0), mg.ShapeError,
     r"split: sections \(1, 1\) must be non-negative and add up to 3"),
    (lambda t: mg.split(t, 0, 1), ValueError, r"split: split_size must be positive, got 0"),
    (lambda t: mg.chunk(t, 0), ValueError, r"chunk: chunks must be positive, got 0"),
    (lambda t: mg.unbind(t, 2), mg.AxisError, r"unbind: axis 2 is out of range"),
])
def test_bad_arguments_name_the_op_and_the_values(call, error, message):
    with pytest.raises(error, match=message):
        call(mg.zeros(3, 4, dtype=mg.float64))


# ----------------------------------------------------------------- PyTorch parity
def _both(torch, array, requires_grad=True):
    return (mg.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


@pytest.mark.parity
def test_index_ops_match_torch_values_dtypes_and_gradients():
    torch = pytest.importorskip("torch")
    x = rng().standard_normal((3, 4, 2))
    index = np.array([[[2, 0], [1, 1], [0, 2]], [[1, 0], [2, 2], [0, 0]]])  # (2, 3, 2)
    rows = np.array([[[0, 1]], [[2, 0]]])  # distinct targets along dim 0 for scatter
    src = rng(1).standard_normal((2, 4, 2))
    cases = [
        (lambda v, s, lib: lib.gather(v, -3, lib.tensor(index)) * 1.0),
        (lambda v, s, lib: lib.scatter(v, 0, lib.tensor(rows), s[:, :1])),  # torch 2.13:
        # a src larger than index breaks its backward (an invalid gradient shape)
        (lambda v, s, lib: v.scatter(0, lib.tensor(rows), 2.5) * s.sum()),
        (lambda v, s, lib: lib.scatter_add(v, -3, lib.tensor(index[:, :1]), s[:, :1])),
        (lambda v, s, lib: lib.index_select(v, -2, lib.tensor([3, 0, 3])) * s.sum()),
        (lambda v, s, lib: lib.narrow(v, 1, -3, 2) * s.sum()),
        (lambda v, s, lib: lib.flip(v, (0, -1)) * s.sum()),
        (lambda v, s, lib: lib.roll(v, (1, -3), (0, 1)) * s.sum()),
        (lambda v, s, lib: lib.roll(v, 5) * s.sum()),
        (lambda v, s, lib: lib.cat([p * (k + 1.0) for k, p in
                                    enumerate(lib.split(v, [1, 3], -2))], 1) * s.sum()),
        (lambda v, s, lib: lib.stack(lib.chunk(v, 2, 1), 0) * s.sum()),
        (lambda v, s, lib: lib.stack(lib.unbind(v, -1), 0) * s.sum()),
    ]
    upstream_rng = rng(2)
    for number, case in enumerate(cases):
        (ours, ours_src), (theirs, theirs_src) = zip(_both(torch, x), _both(torch, src))
        ours_out, theirs_out = case(ours, ours_src, mg), case(theirs, theirs_src, torch)
        assert ours_out.shape == tuple(theirs_out.shape), number
        assert str(ours_out.dtype) == str(theirs_out.dtype).removeprefix("torch."), number
        np.testing.assert_allclose(ours_out.numpy(), theirs_out.detach().numpy(), rtol=1e-12)
        upstream = upstream_rng.standard_normal(ours_out.shape)
        ours_out.backward(upstream)
        theirs_out.backward(torch.tensor(upstream))
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12,
                                   atol=1e-12, err_msg=f"case {number}")
        if theirs_src.grad is not None:
            np.testing.assert_allclose(ours_src.grad.numpy(), theirs_src.grad.numpy(),
                                       rtol=1e-12, atol=1e-12, err_msg=f"case {number}")


@pytest.mark.parity
def test_split_and_chunk_piece_counts_match_torch():
    torch = pytest.importorskip("torch")
    for size in (0, 1, 5, 6, 7):
        for parts in (1, 3, 4):
            ours = [p.shape for p in mg.chunk(mg.zeros(size), parts)]
            assert ours == [tuple(p.shape) for p in torch.chunk(torch.zeros(size), parts)]
            ours = [p.shape for p in mg.split(mg.zeros(size, 2), parts)]
            assert ours == [tuple(p.shape) for p in torch.split(torch.zeros(size, 2), parts)]
