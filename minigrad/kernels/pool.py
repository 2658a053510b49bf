"""Numba kernels for 2-D pooling. NumPy arrays in, NumPy arrays out; no Tensor here.

Max pooling keeps, for every output pixel, the flat index (h*W + w) of the
maximum inside its window, so the backward pass can route the gradient there:

    y[n, c, i, j]     = max_{u, v} x[n, c, s_h*i + d_h*u - p_h, s_w*j + d_w*v - p_w]
    index[n, c, i, j] = h*W + w of the first maximum in row-major window order

Padding counts as -inf, so it is never the maximum. Ties go to the first maximum
met in row-major order of the window (u, then v), PyTorch's rule; a NaN wins
over every number, so NaNs propagate.

Average pooling: y[n, c, i, j] = (sum of x over window (i, j), clipped to the
input) / divisor[i, j]; the divisor grid carries the count_include_pad rule.

Each kernel runs one job per (sample, channel) plane with `prange`, so no two
threads write the same element.
"""

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def max_pool_forward(x, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w):
    """x (N, C, H, W) -> y (N, C, out_h, out_w) and index (same shape, int64 h*W + w)."""
    n_batch, channels, height, width = x.shape
    y = np.empty((n_batch, channels, out_h, out_w), dtype=x.dtype)
    index = np.empty((n_batch, channels, out_h, out_w), dtype=np.int64)
    for job in prange(n_batch * channels):
        n = job // channels
        c = job - n * channels
        for i in range(out_h):
            for j in range(out_w):
                best = -np.inf
                where = -1
                for u in range(kh):
                    h = i * sh - ph + u * dh
                    if h < 0 or h >= height:
                        continue
                    for v in range(kw):
                        w = j * sw - pw + v * dw
                        if w < 0 or w >= width:
                            continue
                        value = x[n, c, h, w]
                        # strictly greater keeps the first maximum; value != value is NaN
                        if where < 0 or value > best or (value != value and best == best):
                            best = value
                            where = h * width + w
                y[n, c, i, j] = best
                index[n, c, i, j] = where
    return y, index


@njit(parallel=True, cache=True)
def max_pool_scatter(grad_y, index, height, width):
    """dx[n, c].flat[index[n, c, i, j]] += grad_y[n, c, i, j].
    grad_y, index (N, C, h, w) -> dx (N, C, height, width)."""
    n_batch, channels, out_h, out_w = grad_y.shape
    dx = np.zeros((n_batch, channels, height * width), dtype=grad_y.dtype)
    for job in prange(n_batch * channels):
        n = job // channels
        c = job - n * channels
        for i in range(out_h):
            for j in range(out_w):
                dx[n, c, index[n, c, i, j]] += grad_y[n, c, i, j]
    return dx.reshape(n_batch, channels, height, width)


@njit(parallel=True, cache=True)
def max_pool_gather(x, index):
    """y[n, c, i, j] = x[n, c].flat[index[n, c, i, j]].  x (N, C, H, W) -> y like index."""
    n_batch, channels, out_h, out_w = index.shape
    width = x.shape[3]
    y = np.empty(index.shape, dtype=x.dtype)
    for job in prange(n_batch * channels):
        n = job // channels
        c = job - n * channels
        for i in range(out_h):
            for j in range(out_w):
                flat = index[n, c, i, j]
                y[n, c, i, j] = x[n, c, flat // width, flat % width]
    return y


@njit(parallel=True, cache=True)
def avg_pool_forward(x, divisor, kh, kw, sh, sw, ph, pw):
    """y[n, c, i, j] = sum of x[n, c] over window (i, j) clipped to the input,
    / divisor[i, j].  x (N, C, H, W), divisor (out_h, out_w) -> y (N, C, out_h, out_w)."""
    n_batch, channels, height, width = x.shape
    out_h, out_w = divisor.shape
    y = np.empty((n_batch, channels, out_h, out_w), dtype=x.dtype)
    for job in prange(n_batch * channels):
        n = job // channels
        c = job - n * channels
        for i in range(out_h):
            h0 = max(i * sh - ph, 0)
            h1 = min(i * sh - ph + kh, height)
            for j in range(out_w):
                w0 = max(j * sw - pw, 0)
                w1 = min(j * sw - pw + kw, width)
                total = 0.0
                for h in range(h0, h1):
                    for w in range(w0, w1):
                        total += x[n, c, h, w]
                y[n, c, i, j] = total / divisor[i, j]
    return y


@njit(parallel=True, cache=True)
def avg_pool_adjoint(grad_y, divisor, height, width, kh, kw, sh, sw, ph, pw):
    """dx[n, c, h, w] = sum over windows (i, j) containing (h, w) of
    grad_y[n, c, i, j] / divisor[i, j].  grad_y (N, C, h, w) -> dx (N, C, height, width)."""
    n_batch, channels, out_h, out_w = grad_y.shape
    dx = np.zeros((n_batch, channels, height, width), dtype=grad_y.dtype)
    for job in prange(n_batch * channels):
        n = job // channels
        c = job - n * channels
        for i in range(out_h):
            h0 = max(i * sh - ph, 0)
            h1 = min(i * sh - ph + kh, height)
            for j in range(out_w):
                w0 = max(j * sw - pw, 0)
                w1 = min(j * sw - pw + kw, width)
                share = grad_y[n, c, i, j] / divisor[i, j]
                for h in range(h0, h1):
                    for w in range(w0, w1):
                        dx[n, c, h, w] += share
    return dx
