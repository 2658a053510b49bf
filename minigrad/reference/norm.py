"""Batch normalisation one channel at a time, as in Ioffe & Szegedy 2015 (sec. 3).
Twins of minigrad.kernels.norm, same names and signatures.

Arrays are viewed as (N, C, P), P the product of the spatial sizes. For channel c,
over its n = N*P values:

    mean = sum x / n,   var = sum (x - mean)^2 / n,   x_hat = (x - mean) / sqrt(var + eps)
    y = gamma * x_hat + beta
    dgamma = sum g * x_hat,   dbeta = sum g,
    dx = gamma * (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps)

The rest of batch norm: the node that calls these (or their fast twins) is in
minigrad/ops/normalization.py, the BatchNorm modules in minigrad/nn/normalization.py,
and the multi-rank SyncBatchNorm in minigrad/distributed/sync_batchnorm.py.
"""

import numpy as np

__all__ = ["batch_normalize", "batch_normalize_backward"]


def batch_normalize(x, eps, gamma=None, beta=None):
    """Mirrors kernels.norm.batch_normalize: x (N, C, ...) -> y and x_hat (like x), and
    per channel (C,) the mean and biased variance (float64) and inv_std (x's dtype)."""
    x3 = x.reshape(x.shape[0], x.shape[1], -1)
    channels = x3.shape[1]
    y, x_hat = np.empty_like(x3), np.empty_like(x3)
    mean, var = np.empty(channels), np.empty(channels)
    inv_std = np.empty(channels, dtype=x.dtype)
    for c in range(channels):
        values = x3[:, c, :].astype(np.float64)
        mean[c] = values.mean()
        var[c] = ((values - mean[c]) ** 2).mean()
        inv_std[c] = 1.0 / np.sqrt(var[c] + eps)
        x_hat[:, c, :] = (values - mean[c]) / np.sqrt(var[c] + eps)
        scale = 1.0 if gamma is None else gamma[c]
        shift = 0.0 if beta is None else beta[c]
        y[:, c, :] = scale * x_hat[:, c, :] + shift
    return y.reshape(x.shape), x_hat.reshape(x.shape), mean, var, inv_std


def batch_normalize_backward(g, x_hat, inv_std, gamma=None):
    """Mirrors kernels.norm.batch_normalize_backward: (dL/dx, dL/dgamma, dL/dbeta) from
    g = dL/dy and batch_normalize's x_hat and inv_std (the last two (C,), float64)."""
    g3 = g.reshape(g.shape[0], g.shape[1], -1)
    x_hat3 = x_hat.reshape(g3.shape)
    channels = g3.shape[1]
    dx = np.empty_like(g3)
    dgamma, dbeta = np.empty(channels), np.empty(channels)
    for c in range(channels):
        g_c, x_hat_c = g3[:, c, :].astype(np.float64), x_hat3[:, c, :].astype(np.float64)
        dgamma[c], dbeta[c] = (g_c * x_hat_c).sum(), g_c.sum()
        scale = 1.0 if gamma is None else gamma[c]
        dx[:, c, :] = scale * inv_std[c] * (g_c - g_c.mean() - x_hat_c * (g_c * x_hat_c).mean())
    return dx.reshape(g.shape), dgamma, dbeta
