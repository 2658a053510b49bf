"""Comparisons, arg-extremes and truth tests: not differentiable, so they are plain
functions on the data that return tensors with no graph (bool or int64).
"""

import numpy as np

from minigrad.ops._args import normalize_single_axis, pick
from minigrad.tensor import Tensor


def _array(value):
    return value._data if isinstance(value, Tensor) else np.asarray(value)


def _result(array):
    return Tensor._make(np.asarray(array), False, None)


def _arg_extreme(op, finder, x, dim, keepdim, axis, keepdims):
    """Index of the first extreme along `dim` (or over the flattened tensor), int64."""
    data = _array(x)
    dim = pick(axis, dim, None)
    keep = bool(pick(keepdims, keepdim, False))
    if data.size == 0:
        raise ValueError(f"{op}: the tensor of shape {data.shape} is empty; "
                         f"{op} of an empty tensor is not defined")
    if dim is None:
        index = finder(data.reshape(-1))
        return _result(np.asarray(index, dtype=np.int64).reshape((1,) * data.ndim
                                                                 if keep else ()))
    if data.ndim == 0:
        normalize_single_axis(op, 1, dim)
        return _result(np.asarray(0, dtype=np.int64))
    dim = normalize_single_axis(op, data.ndim, dim)
    return _result(finder(data, axis=dim, keepdims=keep).astype(np.int64))


def argmax(x, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """Index of the maximum along `dim` (flattened when None); the first on ties, and
    NaN counts as the maximum, as in PyTorch. Returns int64."""
    return _arg_extreme("argmax", np.argmax, x, dim, keepdim, axis, keepdims)


def argmin(x, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """Index of the minimum along `dim` (flattened when None); the first on ties."""
    return _arg_extreme("argmin", np.argmin, x, dim, keepdim, axis, keepdims)


def eq(a, b):
    return _result(np.equal(_array(a), _array(b)))


def ne(a, b):
    return _result(np.not_equal(_array(a), _array(b)))


def lt(a, b):
    return _result(np.less(_array(a), _array(b)))


def le(a, b):
    return _result(np.less_equal(_array(a), _array(b)))


def gt(a, b):
    return _result(np.greater(_array(a), _array(b)))


def ge(a, b):
    return _result(np.greater_equal(_array(a), _array(b)))


def isnan(x):
    return _result(np.isnan(_array(x)))


def isinf(x):
    return _result(np.isinf(_array(x)))


def isfinite(x):
    return _result(np.isfinite(_array(x)))


def _truth(op, reducer, x, dim, keepdim, axis, keepdims):
    data = _array(x)
    dim = pick(axis, dim, None)
    if dim is not None and not isinstance(dim, (tuple, list)):
        dim = normalize_single_axis(op, data.ndim, dim) if data.ndim else None
    keep = bool(pick(keepdims, keepdim, False))
    return _result(reducer(data.astype(bool, copy=False), axis=dim, keepdims=keep))


def all(x, dim=None, keepdim=None, *, axis=None, keepdims=None):  # noqa: A001
    """True where every element (along `dim`) is nonzero; a bool tensor."""
    return _truth("all", np.all, x, dim, keepdim, axis, keepdims)


def any(x, dim=None, keepdim=None, *, axis=None, keepdims=None):  # noqa: A001
    """True where some element (along `dim`) is nonzero; a bool tensor."""
    return _truth("any", np.any, x, dim, keepdim, axis, keepdims)


def isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """|a - b| <= atol + rtol * |b|, elementwise (PyTorch's and NumPy's rule)."""
    return _result(np.isclose(_array(a), _array(b), rtol=rtol, atol=atol,
                              equal_nan=equal_nan))


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """True when isclose holds everywhere; a Python bool, as in PyTorch."""
    return bool(np.allclose(_array(a), _array(b), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a, b):
    """True when both have the same shape and the same values; a Python bool."""
    a, b = _array(a), _array(b)
    return a.shape == b.shape and bool(np.array_equal(a, b))
