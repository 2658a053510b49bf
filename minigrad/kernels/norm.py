"""Batch-norm statistics, normalisation and its closed-form backward, one channel at a
time. NumPy arrays in, NumPy arrays out; no Tensor here.

Arrays are viewed as (N, C, P), P the product of the spatial sizes (1 for (N, C)
input). For channel c, over its n = N*P values:

    mean_c = sum x / n,   var_c = sum (x - mean_c)^2 / n  (two passes: exact enough in
    float32, unlike sum x^2 / n - mean^2),   x_hat = (x - mean_c) / sqrt(var_c + eps),
    y = gamma_c * x_hat + beta_c

    dgamma_c = sum g * x_hat,   dbeta_c = sum g,
    dx = gamma_c * (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var_c + eps)

(g = dL/dy). The affine step rides in the same loops: as two broadcasting ops
after the normalisation it would cost two more passes over x.

NumPy's reductions over axes (0, 2, 3) of an NCHW array walk memory with strides and
allocate a temporary per step; these loops read each channel's planes in order,
keep the sums in float64 and write every output once. fastmath 'reassoc' lets LLVM
vectorise the sums (their order changes, not their NaN or inf semantics). The
channels are split between minigrad's threads. Twins, one channel at a time:
minigrad.reference.norm.

Callers: the BatchNormalize node of minigrad/ops/normalization.py (behind
F.batch_norm, F.layer_norm, F.group_norm), used by the modules of
minigrad/nn/normalization.py. SyncBatchNorm (minigrad/distributed/sync_batchnorm.py)
builds its training statistics from autograd ops (an Allreduce of sums) and comes
here only in eval mode, through BatchNorm's forward.
"""

import numpy as np

from minigrad._mode import reference_mode_enabled
from minigrad.kernels._lazy import njit
from minigrad.kernels._threads import get_num_threads, run_chunks, split
from minigrad.reference import norm as reference

_SUMS = {"reassoc", "contract"}


@njit(nogil=True, cache=True, fastmath=_SUMS)
def _normalize_channels(x, eps, gamma, beta, x_hat, y, mean, var, inv_std, first, stop):
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
                value = (x[n, c, p] - centre) * scale
                x_hat[n, c, p] = value
                y[n, c, p] = value * gamma[c] + beta[c]  # y may be x_hat itself


@njit(nogil=True, cache=True, fastmath=_SUMS)
def _backward_channels(g, x_hat, inv_std, gamma, dx, dgamma, dbeta, first, stop):
    n_batch, _, plane = g.shape
    count = n_batch * plane
    for c in range(first, stop):
        total, weighted = 0.0, 0.0
        for n in range(n_batch):
            for p in range(plane):
                total += g[n, c, p]
                weighted += g[n, c, p] * x_hat[n, c, p]
        dgamma[c], dbeta[c] = weighted, total
        g_mean, gx_mean, scale = total / count, weighted / count, inv_std[c] * gamma[c]
        for n in range(n_batch):
            for p in range(plane):
                dx[n, c, p] = (g[n, c, p] - g_mean - x_hat[n, c, p] * gx_mean) * scale


def _as_ncp(a):
    return np.ascontiguousarray(a).reshape(a.shape[0], a.shape[1], -1)


def _by_channels(kernel, channels, *arrays):
    run_chunks(lambda first, stop: kernel(*arrays, first, stop),
               split(channels, get_num_threads()))


def _affine(gamma, beta, channels, dtype):
    """(C,) gamma and beta in x's dtype: ones and zeros where None."""
    gamma = np.ones(channels, dtype) if gamma is None else np.asarray(gamma, dtype)
    beta = np.zeros(channels, dtype) if beta is None else np.asarray(beta, dtype)
    return gamma, beta


def batch_normalize(x, eps, gamma=None, beta=None):
    """x (N, C, ...) -> y = gamma * x_hat + beta and x_hat (both like x; y is x_hat
    when gamma and beta are None), and per channel (C,) the mean, the biased
    variance (float64) and inv_std = 1 / sqrt(var + eps) (x's dtype); statistics
    over every axis but 1.  Twin: reference.norm.batch_normalize."""
    if reference_mode_enabled():
        return reference.batch_normalize(x, eps, gamma, beta)
    x3 = _as_ncp(x)
    x_hat = np.empty_like(x3)
    y = x_hat if gamma is None and beta is None else np.empty_like(x3)
    mean, var = np.empty(x3.shape[1]), np.empty(x3.shape[1])
    inv_std = np.empty(x3.shape[1], dtype=x.dtype)
    gamma, beta = _affine(gamma, beta, x3.shape[1], x.dtype)
    _by_channels(_normalize_channels, x3.shape[1], x3, eps, gamma, beta, x_hat, y, mean,
                 var, inv_std)
    return y.reshape(x.shape), x_hat.reshape(x.shape), mean, var, inv_std


def batch_normalize_backward(g, x_hat, inv_std, gamma=None):
    """(dL/dx, dL/dgamma, dL/dbeta) from g = dL/dy and x_hat, inv_std of
    batch_normalize (shapes as there; the last two (C,), float64).
    Twin: reference.norm.batch_normalize_backward."""
    if reference_mode_enabled():
        return reference.batch_normalize_backward(g, x_hat, inv_std, gamma)
    g3, x_hat3 = _as_ncp(g), _as_ncp(x_hat)
    dx = np.empty_like(g3)
    dgamma, dbeta = np.empty(g3.shape[1]), np.empty(g3.shape[1])
    gamma, _ = _affine(gamma, None, g3.shape[1], g.dtype)
    _by_channels(_backward_channels, g3.shape[1], g3, x_hat3, inv_std, gamma, dx, dgamma,
                 dbeta)
    return dx.reshape(g.shape), dgamma, dbeta
