"""Special functions NumPy lacks, as Numba-vectorised ufuncs (no Tensor here).

erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, the Gauss error function that the
exact GELU needs (Hendrycks & Gimpel 2016, arXiv:1606.08415). NumPy has no erf;
Python's `math.erf` does, and Numba compiles it, so we vectorise it over arrays.

The ufunc is declared without signatures, so Numba compiles it lazily on the first
call for each dtype (float32 in -> float32 out, float64 -> float64) and caches the
machine code on disk (cache=True): importing minigrad stays fast.
"""

import math

import numpy as np
from numba import vectorize


@vectorize(cache=True)
def _erf_ufunc(x):
    return math.erf(x)


def erf(x):
    """Elementwise erf of a float array; keeps float32/float64."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return np.asarray(_erf_ufunc(x), dtype=x.dtype)


def erf_reference(x):
    """The same function as a plain Python loop over `math.erf` (for tests)."""
    x = np.asarray(x)
    return np.array([math.erf(v) for v in x.ravel()], dtype=np.float64).reshape(x.shape)
