"""Elementwise functions NumPy lacks or computes slowly, as Numba-vectorised ufuncs.

erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, the Gauss error function that the
exact GELU needs (Hendrycks & Gimpel 2016, arXiv:1606.08415). NumPy has no erf;
Python's `math.erf` does, and Numba compiles it, so we vectorise it over arrays.

The ufunc is declared without signatures, so Numba compiles it lazily on the first
call for each dtype (float32 in -> float32 out, float64 -> float64) and caches the
machine code on disk (cache=True): importing minigrad stays fast.

relu(x) = max(x, 0), with NaN kept as NaN (as PyTorch), and its backward. NumPy's
spellings of it are slow on activations, whose signs are random: `np.where` branches
per element and mispredicts half the time, `np.maximum` checks for NaN; the
compiled loop below is a branch-free vectorised select.

Each public function checks reference mode first; the twins, by definition, are
in minigrad.reference.special.
"""

import math

import numpy as np

from minigrad._mode import reference_mode_enabled
from minigrad.kernels._lazy import njit, vectorize
from minigrad.reference import special as reference


@vectorize(cache=True)
def _erf_ufunc(x):
    return math.erf(x)


def erf(x):
    """Elementwise erf of a float array; keeps float32/float64.
    Twin: reference.special.erf (math.erf, element by element)."""
    if reference_mode_enabled():
        return reference.erf(x)
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return np.asarray(_erf_ufunc(x), dtype=x.dtype)


@njit(cache=True, nogil=True)
def _relu_flat(x, out):
    # `not v <= 0` rather than `v > 0`: NaN fails both tests and must be kept
    for i in range(x.size):
        value = x[i]
        out[i] = value if not value <= 0 else 0


def relu(x):
    """Elementwise max(x, 0) of a float array, NaN-preserving; keeps the dtype.

    A plain loop rather than a ufunc: a ufunc's comparison with NaN raises the
    'invalid' floating-point flag, which NumPy would report as a warning.
    Twin: reference.special.relu (np.where, the select written out).
    """
    if reference_mode_enabled():
        return reference.relu(x)
    out = np.empty(x.shape, dtype=x.dtype)
    _relu_flat(np.ascontiguousarray(x).reshape(-1), out.reshape(-1))
    return out


@njit(cache=True, nogil=True)
def _relu_backward_flat(grad, y, out):
    for i in range(grad.size):
        out[i] = grad[i] if y[i] > 0 else 0


def relu_backward(grad, y):
    """grad where y > 0, else 0 (0 where y is 0 or NaN): ReLU's backward from its
    output y, one compiled pass. grad and y: same shape; the result has grad's dtype.
    From y, not x: no mask has to be made in the forward pass and kept.
    Twin: reference.special.relu_backward."""
    if reference_mode_enabled():
        return reference.relu_backward(grad, y)
    grad, y = np.ascontiguousarray(grad), np.ascontiguousarray(y)
    if grad.shape != y.shape or grad.dtype.kind != "f":
        return np.where(y > 0, grad, 0).astype(np.result_type(grad, y), copy=False)
    out = np.empty(grad.shape, dtype=grad.dtype)
    _relu_backward_flat(grad.reshape(-1), y.reshape(-1), out.reshape(-1))
    return out



erf_reference = reference.erf  # its old name here, for the tests that import it
