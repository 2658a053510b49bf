"""Indexing: reading (`x[idx]`) and writing (`x[idx] = v`) differentiably.

Reading scatters the gradient back with np.add.at, so an index that appears
several times (x[[0, 0, 1]]) receives the sum of its gradients.
"""

import numpy as np

from minigrad.autograd import Function
from minigrad.errors import ShapeError
from minigrad.ops.shape import sum_to
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
