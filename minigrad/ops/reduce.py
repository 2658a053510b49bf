"""Reductions, and the softmax family built from them.

Sum and max are primitives; mean, var, std, logsumexp, softmax and log_softmax
are compositions of differentiable ops, so their gradients (of any order) come
for free from the primitives'.
"""

import warnings
from typing import NamedTuple

import numpy as np

from minigrad.autograd import Function
from minigrad.errors import DTypeError, ShapeError
from minigrad.ops import elementwise as ew
from minigrad.ops._args import check_integer, normalize_axis, normalize_single_axis, pick
from minigrad.ops._promote import float_dtype
from minigrad.ops.index import getitem
from minigrad.ops.shape import broadcast_to, flip, narrow, reshape
from minigrad.tensor import Tensor


def _kept_shape(shape, axes):
    """The shape of a reduction with keepdims=True."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """y = sum of x over `axes`.   dx = dy broadcast back over the summed axes."""

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        ctx.input_shape = x.shape
        ctx.axes = axes
        return x.sum(axis=axes, keepdims=keepdims)  # np.sum, without its Python wrapper

    @staticmethod
    def backward(ctx, grad):
        kept = reshape(grad, _kept_shape(ctx.input_shape, ctx.axes))
        return broadcast_to(kept, ctx.input_shape), None, None


class _Extreme(Function):
    """y = the max (Max) or min (Min) of x over `axes`.  dx = dy at the extreme,
    split evenly among ties."""

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        ctx.input_shape, ctx.axes = x.shape, axes
        name = type(ctx).__name__.lower()
        empty = [a for a in (range(x.ndim) if axes is None else axes) if x.shape[a] == 0]
        if empty:
            raise ShapeError(f"{name}: axis {empty[0]} of the tensor of shape {x.shape} is "
                             f"empty, and the {name} of no values is undefined; reduce over "
                             "non-empty axes (an empty result is fine)")
        y = ctx.reducer(x, axis=axes, keepdims=True)
        hits = x == y
        ctx.share = hits / hits.sum(axis=axes, keepdims=True)
        return y if keepdims else y.reshape(np.sum(x, axis=axes).shape)

    @staticmethod
    def backward(ctx, grad):
        kept = reshape(grad, _kept_shape(ctx.input_shape, ctx.axes))
        share = ew._constant(ctx.share.astype(grad.dtype))
        return broadcast_to(kept, ctx.input_shape) * share, None, None


class Max(_Extreme):
    """y = max of x over `axes`.   dx = dy at the maximum (split evenly among ties)."""

    reducer = staticmethod(np.max)


class Min(_Extreme):
    """y = min of x over `axes`.   dx = dy at the minimum (split evenly among ties)."""

    reducer = staticmethod(np.min)


# ----------------------------------------------------------------- functions
def _reduction_args(op, x, axis, keepdims, dim, keepdim):
    axes = normalize_axis(op, x.shape, pick(axis, dim, None))
    return axes, bool(pick(keepdims, keepdim, False))


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):  # noqa: A001
    """Sum over `axis` (None = all axes)."""
    axes, keep = _reduction_args("sum", x, axis, keepdims, dim, keepdim)
    return Sum.apply(x, axes, keep)


def _count(shape, axes):
    if axes is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def _floating(op, x):
    """x itself when it is floating point, else x as float32 (the mean of integers is
    a real number): the result dtype of mean, var, std and the softmax family."""
    dtype = float_dtype(op, x.dtype)
    return x if x.dtype == dtype else ew.astype(x, dtype)


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Arithmetic mean over `axis`:  sum(x) / n  (nan for an empty axis, as PyTorch)."""
    axes, keep = _reduction_args("mean", x, axis, keepdims, dim, keepdim)
    total = Sum.apply(_floating("mean", x), axes, keep)
    count = _count(x.shape, axes)
    return total * (1.0 / count) if count else total * float("nan")


class _ValuesIndices(NamedTuple):
    """What max(dim) and min(dim) return, as PyTorch's torch.return_types.max."""

    values: Tensor
    indices: Tensor


def _values_at(x, indices, dim, keepdim):
    """x gathered at `indices` (kept shape) along `dim`: the gradient flows to those
    positions only, as in PyTorch, not split among ties."""
    grid = list(np.indices(indices.shape, sparse=True))
    grid[dim] = indices
    values = getitem(x, tuple(grid))
    return values if keepdim else reshape(values, np.squeeze(indices, dim).shape)


def _extreme(op, node_class, finder, x, dim, keepdim, axis, keepdims):
    """max/min in both libraries' spellings.

    dim an int (PyTorch):      a (values, indices) named tuple along that dim.
    dim a Tensor (PyTorch):    the elementwise max/min of x and it.
    axis=..., a tuple or None: the reduced values alone (NumPy's max, torch.amax).
    """
    if isinstance(dim, Tensor):
        return (ew.maximum if op == "max" else ew.minimum)(x, dim)
    if axis is not None or dim is None or isinstance(dim, (tuple, list)):
        axes, keep = _reduction_args(op, x, axis, keepdims, dim, keepdim)
        return node_class.apply(x, axes, keep)
    data = x._data
    dim = normalize_single_axis(op, data.ndim or 1, dim)
    if data.ndim == 0:
        return _ValuesIndices(x, Tensor._make(np.asarray(0, dtype=np.int64), False, None))
    if data.shape[dim] == 0:
        raise ValueError(f"{op}: dim {dim} of the tensor of shape {data.shape} is empty; "
                         f"{op} over an empty dimension is not defined")
    indices = finder(data, axis=dim, keepdims=True).astype(np.int64)
    keepdim = bool(keepdim)
    values = _values_at(x, indices, dim, keepdim)
    if not keepdim:
        indices = np.squeeze(indices, dim)
    return _ValuesIndices(values, Tensor._make(indices, False, None))


def max(x, dim=None, keepdim=None, *, axis=None, keepdims=None):  # noqa: A001
    """Maximum: over everything, over `axis` (values only, ties split the gradient
    evenly), or along an int `dim` as a (values, indices) named tuple (the first
    maximum on ties takes the gradient, as in PyTorch). See _extreme."""
    return _extreme("max", Max, np.argmax, x, dim, keepdim, axis, keepdims)


def min(x, dim=None, keepdim=None, *, axis=None, keepdims=None):  # noqa: A001
    """Minimum, in the same forms as max."""
    return _extreme("min", Min, np.argmin, x, dim, keepdim, axis, keepdims)


def amax(x, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """The maximum values over `dim` (an int, a tuple or None), ties sharing the
    gradient evenly, as torch.amax."""
    axes, keep = _reduction_args("amax", x, axis, keepdims, dim, keepdim)
    return Max.apply(x, axes, keep)


def amin(x, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """The minimum values over `dim`, as torch.amin."""
    axes, keep = _reduction_args("amin", x, axis, keepdims, dim, keepdim)
    return Min.apply(x, axes, keep)


def _correction(op, ddof, unbiased, correction):
    """The one number subtracted from n, from whichever spelling was given:
    NumPy's ddof=, PyTorch's correction= or unbiased=. PyTorch's default is 1."""
    given = [value for value in (ddof, correction) if value is not None]
    if unbiased is not None:
        given.append(1 if unbiased else 0)
    if len(given) > 1:
        raise TypeError(f"{op}: give at most one of ddof=, correction= and unbiased= "
                        f"(got ddof={ddof!r}, correction={correction!r}, "
                        f"unbiased={unbiased!r})")
    value = given[0] if given else 1
    if isinstance(value, bool):
        value = int(value)  # x.var(dim, True): PyTorch's positional unbiased
    if not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: the correction must be a number, got {value!r}")
    return value


def var(x, axis=None, ddof=None, keepdims=False, *, dim=None, keepdim=None, unbiased=None,
        correction=None):
    """Variance:  sum((x - mean)^2) / (n - correction).

    The default correction is 1 (Bessel's, the unbiased estimate), as in PyTorch;
    ddof=0, correction=0 or unbiased=False give the population variance (NumPy's
    default). With no degrees of freedom left (n <= correction) the result is nan,
    as in PyTorch.
    """
    axes, keep = _reduction_args("var", x, axis, keepdims, dim, keepdim)
    x = _floating("var", x)
    centred = x - mean(x, axes, True)
    ddof = _correction("var", ddof, unbiased, correction)
    denominator = _count(x.shape, axes) - ddof
    if denominator <= 0:  # PyTorch: nan, with this warning
        warnings.warn(f"var: a correction of {ddof} leaves no degrees of freedom for "
                      f"{_count(x.shape, axes)} elements; the result is nan", stacklevel=3)
        return Sum.apply(centred * centred, axes, keep) * float("nan")
    return Sum.apply(centred * centred, axes, keep) * (1.0 / denominator)


def std(x, axis=None, ddof=None, keepdims=False, *, dim=None, keepdim=None, unbiased=None,
        correction=None):
    """Standard deviation: sqrt(var), with var's correction (default 1).

    Where the variance is 0 (a constant slice) the gradient is 0, as in PyTorch,
    rather than sqrt's 1/(2*0) times the zero centred values, which is nan.
    """
    variance = var(x, axis, ddof, keepdims, dim=dim, keepdim=keepdim, unbiased=unbiased,
                   correction=correction)
    constant = variance._data == 0
    if not constant.any():
        return ew.sqrt(variance)
    zero = np.zeros((), dtype=variance.dtype)
    safe = ew.where(constant, np.ones((), dtype=variance.dtype), variance)
    return ew.where(constant, zero, ew.sqrt(safe))


def _shift(x, axes):
    """max(x) over axes (kept), 0 where it is not finite: a constant for the gradient."""
    shift = np.max(x._data, axis=axes, keepdims=True, initial=-np.inf)  # -inf if empty
    return np.where(np.isfinite(shift), shift, 0).astype(x.dtype, copy=False)


def logsumexp(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """log(sum(exp(x))) without overflow:  m + log(sum(exp(x - m))), m = max(x).

    m is a constant for the gradient: its contributions cancel exactly, so the
    gradient is softmax(x) whatever m is.
    """
    axes, keep = _reduction_args("logsumexp", x, axis, keepdims, dim, keepdim)
    x = _floating("logsumexp", x)
    shift = _shift(x, axes)
    result = ew.log(Sum.apply(ew.exp(x - shift), axes, True)) + shift
    if not keep:
        result = reshape(result, np.sum(x._data, axis=axes).shape)
    return result


def log_softmax(x, axis=-1, *, dim=None):
    """log softmax(x) = (x - m) - log(sum(exp(x - m))), m = max(x) along one axis.

    The shift comes off x first: x - (m + log sum) loses x's low digits when
    |x| >> log sum (float32 logits [1e4, 1e4] would give 0.49989 each, not 1/2).
    """
    if x.ndim == 0:  # PyTorch accepts axis 0 or -1: a distribution over one value
        normalize_axis("log_softmax", (), pick(axis, dim, -1))
        return reshape(log_softmax(reshape(x, (1,)), 0), ())
    axis = normalize_single_axis("log_softmax", x.ndim, pick(axis, dim, -1))
    x = _floating("log_softmax", x)
    shifted = x - _shift(x, (axis,))
    return shifted - ew.log(Sum.apply(ew.exp(shifted), (axis,), True))


def softmax(x, axis=-1, *, dim=None):
    """softmax(x)_i = exp(x_i) / sum_j exp(x_j), along one axis (stable form)."""
    return ew.exp(log_softmax(x, axis, dim=dim))


# ----------------------------------------------------------------- scans and sorting
class Cumsum(Function):
    """y_i = x_1 + ... + x_i along `axis`.

    dx_j = sum_{i >= j} dy_i: the same scan run from the other end, written as
    flip(cumsum(flip(dy))) so that it is differentiable again.
    Shapes: x (..., n, ...) -> y (same); integers and bools sum in int64, as PyTorch.
    """

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return np.cumsum(x, axis=axis, dtype=np.int64 if x.dtype.kind in "biu" else None)

    @staticmethod
    def backward(ctx, grad):
        return flip(Cumsum.apply(flip(grad, ctx.axis), ctx.axis), ctx.axis), None


def cumsum(input, dim, *, dtype=None):  # noqa: A002  (PyTorch's names)
    """Running sum along `dim` (see Cumsum); dtype= casts the input first."""
    if dtype is not None:
        input = ew.astype(input, dtype)
    if input.ndim == 0:  # PyTorch accepts dim 0 or -1 of a scalar
        normalize_single_axis("cumsum", 1, dim)
        return reshape(Cumsum.apply(reshape(input, (1,)), 0), ())
    return Cumsum.apply(input, normalize_single_axis("cumsum", input.ndim, dim))


def _sorting_indices(data, dim, descending):
    """argsort along dim, stable: equal values keep their order, NaN counts as the
    largest value (PyTorch's order). Descending is the ascending sort of the
    reversed axis, read backwards: ties then still come in their original order."""
    if not descending:
        return np.argsort(data, axis=dim, kind="stable")
    size = data.shape[dim]
    reversed_order = np.argsort(np.flip(data, dim), axis=dim, kind="stable")
    return size - 1 - np.flip(reversed_order, dim)


def _check_sortable(op, x):
    if x.dtype.kind == "b":
        raise DTypeError(f"{op}: cannot sort a bool tensor; convert it with .long() first")


def sort(input, dim=-1, descending=False, stable=False):  # noqa: A002
    """The values along `dim` in ascending (or descending) order, and where each came
    from: values = gather(x, dim, indices). A (values, indices) named tuple.

    Ties keep their original order (stable, whatever `stable` says; PyTorch only
    promises it with stable=True). NaN sorts as the largest value.
    Shapes: x (any) -> values (same), indices (same, int64).
    dx = dy sent back to the positions the values came from.
    """
    _check_sortable("sort", input)
    if input.ndim == 0:
        normalize_single_axis("sort", 1, dim)
        return _ValuesIndices(input.clone(), Tensor._make(np.zeros((), np.int64), False, None))
    dim = normalize_single_axis("sort", input.ndim, dim)
    indices = _sorting_indices(input._data, dim, descending).astype(np.int64)
    return _ValuesIndices(_values_at(input, indices, dim, True),
                          Tensor._make(indices, False, None))


def argsort(input, dim=-1, descending=False, stable=False):  # noqa: A002
    """The int64 indices that sort x along `dim`: sort(...).indices."""
    return sort(input, dim, descending, stable).indices


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    """The k largest (or, largest=False, smallest) values along `dim` and their
    positions, as a (values, indices) named tuple, always in sorted order (PyTorch
    allows any order when sorted=False).

    Shapes: x (..., n, ...) -> values, indices (..., k, ...), 0 <= k <= n.
    dx = dy at the chosen positions, 0 elsewhere.
    """
    k = check_integer("topk", "k", k)
    axis = normalize_single_axis("topk", input.ndim or 1, dim)
    size = input.shape[axis] if input.ndim else 1
    if not 0 <= k <= size:
        raise ValueError(f"topk: k = {k} is out of range for dimension {dim} of size "
                         f"{size} (tensor of shape {input.shape}); expected 0 <= k <= {size}")
    values, indices = sort(input, dim, descending=largest)
    if input.ndim == 0:
        return _ValuesIndices(values, indices)
    return _ValuesIndices(narrow(values, dim, 0, k), narrow(indices, dim, 0, k))
