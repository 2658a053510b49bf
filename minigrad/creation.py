"""Tensor constructors. Floating-point results default to float32."""

import numpy as np

from minigrad.rng import default_generator
from minigrad.tensor import Tensor

DEFAULT_DTYPE = np.float32


def tensor(data, requires_grad=False, dtype=None):
    """Wrap an array, list or scalar. NumPy float data keeps its dtype; Python
    floats and lists become float32 unless `dtype` says otherwise."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def _new(array, requires_grad):
    return Tensor(array, requires_grad=requires_grad)


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def zeros(*shape, dtype=None, requires_grad=False):
    return _new(np.zeros(_shape(shape), dtype=dtype or DEFAULT_DTYPE), requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    return _new(np.ones(_shape(shape), dtype=dtype or DEFAULT_DTYPE), requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False):
    return _new(np.full(_shape((shape,)), fill_value, dtype=dtype or DEFAULT_DTYPE),
                requires_grad)


def zeros_like(other, dtype=None, requires_grad=False):
    return _new(np.zeros(np.shape(other), dtype=dtype or _dtype_of(other)), requires_grad)


def ones_like(other, dtype=None, requires_grad=False):
    return _new(np.ones(np.shape(other), dtype=dtype or _dtype_of(other)), requires_grad)


def _dtype_of(other):
    return other.dtype if hasattr(other, "dtype") else DEFAULT_DTYPE


def arange(start, stop=None, step=1, dtype=None, requires_grad=False):
    """Like np.arange; integer arguments give an int64 tensor unless dtype is set."""
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is not None:
        values = values.astype(dtype)
    elif values.dtype.kind == "f":
        values = values.astype(DEFAULT_DTYPE)
    return _new(values, requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return _new(np.eye(n, m, dtype=dtype or DEFAULT_DTYPE), requires_grad)


def randn(*shape, dtype=None, requires_grad=False):
    """Standard normal samples from the global generator (see manual_seed)."""
    values = default_generator().standard_normal(_shape(shape))
    return _new(values.astype(dtype or DEFAULT_DTYPE), requires_grad)


def rand(*shape, dtype=None, requires_grad=False):
    """Uniform [0, 1) samples from the global generator (see manual_seed)."""
    values = default_generator().random(_shape(shape))
    return _new(values.astype(dtype or DEFAULT_DTYPE), requires_grad)
