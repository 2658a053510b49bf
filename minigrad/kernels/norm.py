"""Batch-norm statistics, normalisation and its closed-form backward, one channel at a
time. NumPy arrays in, NumPy arrays out; no Tensor here.

Arrays are viewed as (N, C, P), P the product of the spatial sizes (1 for (N, C)
input). For channel c, over its n = N*P values:

    mean_c = sum x / n,   var_c = sum (x - mean_c)^2 / n  (two passes: exact enough in
    float32, unlike sum x^2 / n - mean^2),   x_hat = (x - mean_c) / sqrt(var_c + eps)

    dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var_c + eps)

NumPy's reductions over axes (0, 2, 3) of an NCHW array walk memory with strides and
allocate a temporary per step; these loops read each channel's planes in order,
keep the sums in float64 and write every output once. fastmath 'reassoc' lets LLVM
vectorise the sums (their order changes, not their NaN or inf semantics). The
channels are split between minigrad's threads.
"""

import numpy as np
from numba import njit

from minigrad.kernels._threads import get_num_threads, run_chunks, split

_SUMS = {"reassoc", "contract"}


@njit(nogil=True, cache=True, fastmath=_SUMS)
def _normalize_channels(x, eps, x_hat, mean, var, inv_std, first, stop):
    n_batch, _, plane = x.shape
    count = n_batch * plane
    for c in range(first, stop):
        total = 0.0
        for n in range(n_batch):
            for p in range(plane):
                total += x[n, c, p]
        centre = total / count
        squares = 0.0
        for n in range(n_batch):
            for p in range(plane):
                d = x[n, c, p] - centre
                squares += d * d
        scale = 1.0 / np.sqrt(squares / count + eps)
        mean[c], var[c], inv_std[c] = centre, squares / count, scale
        for n in range(n_batch):
            for p in range(plane):
                x_hat[n, c, p] = (x[n, c, p] - centre) * scale


@njit(nogil=True, cache=True, fastmath=_SUMS)
def _backward_channels(g, x_hat, inv_std, dx, first, stop):
    n_batch, _, plane = g.shape
    count = n_batch * plane
    for c in range(first, stop):
        total, weighted = 0.0, 0.0
        for n in range(n_batch):
            for p in range(plane):
                total += g[n, c, p]
                weighted += g[n, c, p] * x_hat[n, c, p]
        g_mean, gx_mean, scale = total / count, weighted / count, inv_std[c]
        for n in range(n_batch):
            for p in range(plane):
                dx[n, c, p] = (g[n, c, p] - g_mean - x_hat[n, c, p] * gx_mean) * scale


def _as_ncp(a):
    return np.ascontiguousarray(a).reshape(a.shape[0], a.shape[1], -1)


def _by_channels(kernel, channels, *arrays):
    run_chunks(lambda first, stop: kernel(*arrays, first, stop),
               split(channels, get_num_threads()))


def batch_normalize(x, eps):
    """x (N, C, ...) -> x_hat (like x), and per channel (C,) the mean, the biased
    variance (float64) and inv_std = 1 / sqrt(var + eps) (x's dtype); statistics
    over every axis but 1."""
    x3 = _as_ncp(x)
    x_hat = np.empty_like(x3)
    mean, var = np.empty(x3.shape[1]), np.empty(x3.shape[1])
    inv_std = np.empty(x3.shape[1], dtype=x.dtype)
    _by_channels(_normalize_channels, x3.shape[1], x3, eps, x_hat, mean, var, inv_std)
    return x_hat.reshape(x.shape), mean, var, inv_std


def batch_normalize_backward(g, x_hat, inv_std):
    """dL/dx from g = dL/dx_hat, x_hat and inv_std of batch_normalize (shapes as there)."""
    g3, x_hat3 = _as_ncp(g), _as_ncp(x_hat)
    dx = np.empty_like(g3)
    _by_channels(_backward_channels, g3.shape[1], g3, x_hat3, inv_std, dx)
    return dx.reshape(g.shape)
