"""Elementwise functions by their definition. Twins of minigrad.kernels.special, same
names and signatures.

    relu(x) = x where x > 0, else 0 (NaN stays NaN)     relu'(x) = 1 where x > 0, else 0
    erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt
"""

import math

import numpy as np

__all__ = ["relu", "relu_backward", "erf"]


def relu(x):
    """Mirrors kernels.special.relu: the select, written as one.  x -> same shape and dtype."""
    return np.where(x <= 0, np.zeros((), dtype=x.dtype), x)  # NaN <= 0 is False: NaN stays


def relu_backward(grad, y):
    """Mirrors kernels.special.relu_backward: grad where the output y > 0, else 0."""
    return np.where(y > 0, grad, 0).astype(np.result_type(grad, y), copy=False)


def erf(x):
    """Mirrors kernels.special.erf: Python's math.erf, one element at a time."""
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    return np.array([math.erf(v) for v in x.ravel()], dtype=dtype).reshape(x.shape)
