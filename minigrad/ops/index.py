"""Indexing: reading (`x[idx]`) and writing (`x[idx] = v`) differentiably.

Reading scatters the gradient back with np.add.at, so an index that appears
several times (x[[0, 0, 1]]) receives the sum of its gradients.
"""

import numpy as np

from minigrad.autograd import Function
from minigrad.errors import DTypeError, ShapeError
from minigrad.ops._args import normalize_single_axis
from minigrad.ops.shape import along, sum_to
from minigrad.tensor import Tensor


def _plain_index(index):
    """Replace Tensors inside an index by their arrays; report if it is basic."""
    items = index if isinstance(index, tuple) else (index,)
    plain, basic = [], True
    for item in items:
        if isinstance(item, Tensor):
            item = item._data
        if isinstance(item, (list, np.ndarray)):
            item = np.asarray(item)
            if item.dtype.kind not in "biu":
                raise IndexError(f"index arrays must be integer or boolean, got {item.dtype}")
            basic = False
        plain.append(item)
    return tuple(plain), basic


class GetItem(Function):
    """y = x[index].   dx = zeros like x with dy added at `index` (repeats accumulate)."""

    @staticmethod
    def forward(ctx, x, index, basic):
        ctx.input_shape, ctx.index, ctx.basic = x.shape, index, basic
        try:
            y = x[index]
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor shape {x.shape})") from None
        ctx.is_view = basic  # basic slicing returns a view, as in NumPy
        return y

    @staticmethod
    def backward(ctx, grad):
        return IndexAdd.apply(grad, ctx.input_shape, ctx.index, ctx.basic), None, None


class IndexAdd(Function):
    """y = zeros(shape); y[index] += g.   The adjoint of GetItem:  dg = dy[index]."""

    @staticmethod
    def forward(ctx, g, shape, index, basic):
        ctx.index, ctx.basic = index, basic
        y = np.zeros(shape, dtype=g.dtype)
        if basic:
            y[index] += g
        else:
            np.add.at(y, index, g)
        return y

    @staticmethod
    def backward(ctx, grad):
        return GetItem.apply(grad, ctx.index, ctx.basic), None, None, None


class IndexPut(Function):
    """y = x with y[index] = v.   dx = dy with zeros at index,  dv = dy[index] summed
    back to v's shape. (With repeated indices NumPy keeps the last write.)"""

    @staticmethod
    def forward(ctx, x, v, index):
        ctx.index = index
        ctx.v_shape = np.shape(v)
        y = x.copy()
        try:
            y[index] = v
        except ValueError:
            raise ShapeError(f"setitem: cannot assign a value of shape {np.shape(v)} to "
                             f"the selected region of a tensor of shape {x.shape}") from None
        return y

    @staticmethod
    def backward(ctx, grad):
        keep = np.ones(grad.shape, dtype=grad.dtype)
        keep[ctx.index] = 0
        grad_x = grad * Tensor._make(keep, False, None) if ctx.needs_input_grad[0] else None
        grad_v = None
        if ctx.needs_input_grad[1]:
            selected = GetItem.apply(grad, ctx.index, False)
            grad_v = sum_to(selected, ctx.v_shape) if selected.ndim >= len(ctx.v_shape) \
                else selected.reshape(ctx.v_shape)
        return grad_x, grad_v, None


def getitem(x, index):
    index, basic = _plain_index(index)
    return GetItem.apply(x, index, basic)


def index_put(x, index, value):
    """Out-of-place `x[index] = value` (what Tensor.__setitem__ is built on)."""
    index, _ = _plain_index(index)
    if not isinstance(value, Tensor):
        value = np.asarray(value, dtype=x.dtype)
    return IndexPut.apply(x, value, index)


# ----------------------------------------------------------------- along one dim
# gather, scatter, scatter_add and index_select are advanced indexing with an
# index grid, so their gradients are GetItem's, IndexAdd's and IndexPut's.
def _index_array(op, index):
    """The index as an integer array, or a DTypeError naming the op."""
    array = np.asarray(index._data if isinstance(index, Tensor) else index)
    if array.dtype.kind not in "iu":
        raise DTypeError(f"{op}: index must be an integer tensor, got dtype {array.dtype}")
    return array


def _check_bounds(op, array, dim, size):
    if array.size and (array.min() < 0 or array.max() >= size):
        bad = array.min() if array.min() < 0 else array.max()
        raise IndexError(f"{op}: index {bad} is out of bounds for dimension {dim} with "
                         f"size {size} (expected 0..{size - 1})")


def _grid_along(op, x, dim, index, src=None):
    """(dim, grid) with x[grid] == the elements gather picks:
    grid[d] = the position along d for d != dim, and grid[dim] = index.

    index has x's number of dimensions, and no axis longer than x's (than src's too,
    when src is given), except along dim."""
    dim = normalize_single_axis(op, x.ndim, dim)
    array = _index_array(op, index)
    if array.ndim != x.ndim:
        raise ShapeError(f"{op}: index has {array.ndim} dimensions (shape {array.shape}) "
                         f"but input has {x.ndim} (shape {x.shape}); they must match")
    for d in range(array.ndim):
        if d != dim and array.shape[d] > x.shape[d]:
            raise ShapeError(f"{op}: index shape {array.shape} is larger than input shape "
                             f"{x.shape} at dimension {d} (only dim {dim} may be larger)")
        if src is not None and array.shape[d] > src.shape[d]:
            raise ShapeError(f"{op}: index shape {array.shape} is larger than src shape "
                             f"{src.shape} at dimension {d}")
    _check_bounds(op, array, dim, x.shape[dim])
    grid = list(np.indices(array.shape, sparse=True))
    grid[dim] = array.astype(np.intp, copy=False)
    return dim, tuple(grid)


def gather(input, dim, index):  # noqa: A002  (PyTorch's names)
    """y[i][j][k] = x[index[i][j][k]][j][k]   (dim=0; likewise for the others).

    Shapes: input (..., n, ...), index (..., m, ...) of the same rank, integer ->
    y of index's shape. dx = dy added at the gathered positions (repeats add up).
    """
    _, grid = _grid_along("gather", input, dim, index)
    return GetItem.apply(input, grid, False)


def _source(op, input, index_shape, src):
    """src cut to index's shape (only that corner of it is written), same dtype."""
    if not isinstance(src, Tensor):
        return np.asarray(src, dtype=input.dtype)
    if src.dtype != input.dtype:
        raise DTypeError(f"{op}: src has dtype {src.dtype} but input has dtype "
                         f"{input.dtype}; they must be equal (as in PyTorch)")
    return src[tuple(slice(0, n) for n in index_shape)]


def scatter(input, dim, index, src=None, *, value=None):  # noqa: A002
    """y = x with y[index[i][j][k]][j][k] = src[i][j][k]   (dim=0), src a tensor or
    a number (also as value=). With repeated targets one write wins, unspecified
    which (PyTorch: the same).

    Shapes: input (any), index of the same rank, src at least index's shape -> y of
    input's shape. dx = dy where nothing was written, 0 elsewhere;
    dsrc = dy gathered at index (0 beyond index's shape).
    """
    if (src is None) == (value is None):
        raise TypeError("scatter: give exactly one of src (a tensor or a number) and value")
    src = value if src is None else src
    _, grid = _grid_along("scatter", input, dim, index,
                          src if isinstance(src, Tensor) else None)
    return IndexPut.apply(input, _source("scatter", input, np.shape(index), src), grid)


def scatter_add(input, dim, index, src):  # noqa: A002
    """y = x, then y[index[i][j][k]][j][k] += src[i][j][k]   (dim=0), repeats adding up.

    Shapes as scatter. dx = dy;  dsrc = dy gathered at index.
    """
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add: src must be a Tensor, got {type(src).__name__}")
    _, grid = _grid_along("scatter_add", input, dim, index, src)
    added = IndexAdd.apply(_source("scatter_add", input, np.shape(index), src),
                           input.shape, grid, False)
    return input + added


def index_select(input, dim, index):  # noqa: A002
    """y = x with only the entries index[0], index[1], ... kept along `dim`, in that
    order (repeats allowed).

    Shapes: input (..., n, ...), index (m,) integer -> (..., m, ...).
    """
    dim = normalize_single_axis("index_select", input.ndim, dim)
    array = _index_array("index_select", index)
    if array.ndim > 1:
        raise ShapeError(f"index_select: index must be 1-D (or 0-d), got shape "
                         f"{array.shape}")
    _check_bounds("index_select", array, dim, input.shape[dim])
    picks = array.reshape(-1).astype(np.intp, copy=False)
    return GetItem.apply(input, along(input.ndim, dim, picks), False)
