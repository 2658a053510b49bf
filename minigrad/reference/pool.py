"""Pooling as the lecture draws it: the window as a loop. Twins of
minigrad.kernels.pool, same names and signatures. NCHW; window (i, j) reads
x[n, c, s_h*i + d_h*u - p_h, s_w*j + d_w*v - p_w] for the taps (u, v) that land
inside x (padding is never read, so it is never the maximum).

Max pooling keeps the flat index h*W + w of each window's maximum. Ties go to the
first maximum in row-major window order; a NaN beats every number and the first
NaN stays (PyTorch's rules). Average pooling divides each window's sum by the
divisor grid the ops layer makes (the count_include_pad rule lives there).
Every loop below runs over windows and taps; each step is one array operation
over the whole (N, C) batch of planes.
"""

import math

import numpy as np

__all__ = ["max_pool_forward", "max_pool_scatter", "max_pool_gather", "avg_pool_forward",
           "avg_pool_adjoint", "adaptive_avg_pool_forward", "adaptive_avg_pool_adjoint",
           "max_pool2d_direct", "avg_pool2d_direct"]


def _taps(i, stride, pad, dilation, kernel, size):
    """The input rows (or columns) that window i reads inside the input."""
    return [i * stride - pad + u * dilation for u in range(kernel)
            if 0 <= i * stride - pad + u * dilation < size]


def max_pool_forward(x, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w):
    """y = the maximum of every window, index = where it is (h*W + w, int32; -1 for a
    window with no tap inside x). Mirrors kernels.pool.max_pool_forward.
    x (N, C, H, W) -> y, index (N, C, out_h, out_w)."""
    n_batch, channels, height, width = x.shape
    y = np.empty((n_batch, channels, out_h, out_w), dtype=x.dtype)
    index = np.empty((n_batch, channels, out_h, out_w), dtype=np.int32)
    for i in range(out_h):
        for j in range(out_w):
            best = np.full((n_batch, channels), -np.inf, dtype=x.dtype)
            where = np.full((n_batch, channels), -1, dtype=np.int32)
            for h in _taps(i, sh, ph, dh, kh, height):
                for w in _taps(j, sw, pw, dw, kw, width):
                    value = x[:, :, h, w]
                    # the first tap; then a larger value or a NaN, unless best is NaN
                    take = (where < 0) | (~np.isnan(best) & ~(value <= best))
                    best = np.where(take, value, best)
                    where = np.where(take, h * width + w, where)
            y[:, :, i, j], index[:, :, i, j] = best, where
    return y, index


def max_pool_scatter(grad_y, index, height, width):
    """dx[n, c].flat[index[n, c, i, j]] += grad_y[n, c, i, j], window by window.
    Mirrors kernels.pool.max_pool_scatter.
    grad_y, index (N, C, h, w) -> dx (N, C, height, width)."""
    n_batch, channels = grad_y.shape[:2]
    dx = np.zeros((n_batch, channels, height * width), dtype=grad_y.dtype)
    n, c = np.meshgrid(np.arange(n_batch), np.arange(channels), indexing="ij")
    for i in range(grad_y.shape[2]):
        for j in range(grad_y.shape[3]):
            picked = index[:, :, i, j]
            inside = picked >= 0
            dx[n[inside], c[inside], picked[inside]] += grad_y[:, :, i, j][inside]
    return dx.reshape(n_batch, channels, height, width)


def max_pool_gather(x, index):
    """y[n, c, i, j] = x[n, c].flat[index[n, c, i, j]]. Mirrors kernels.pool.max_pool_gather.
    x (N, C, H, W), index (N, C, h, w) -> y (N, C, h, w)."""
    planes = x.reshape(x.shape[0], x.shape[1], -1)
    flat = index.reshape(index.shape[0], index.shape[1], -1)
    return np.take_along_axis(planes, flat, axis=2).reshape(index.shape)


def _window(i, j, kh, kw, sh, sw, ph, pw, height, width):
    """Row and column slices of window (i, j), clipped to the input."""
    top, left = i * sh - ph, j * sw - pw
    return (slice(max(top, 0), min(top + kh, height)),
            slice(max(left, 0), min(left + kw, width)))


def avg_pool_forward(x, divisor, kh, kw, sh, sw, ph, pw):
    """y[n, c, i, j] = (sum of x over window (i, j) clipped to the input) / divisor[i, j].
    Mirrors kernels.pool.avg_pool_forward.  x (N, C, H, W), divisor (h, w) -> y (N, C, h, w)."""
    height, width = x.shape[2:]
    y = np.empty(x.shape[:2] + divisor.shape, dtype=x.dtype)
    for i in range(divisor.shape[0]):
        for j in range(divisor.shape[1]):
            rows, cols = _window(i, j, kh, kw, sh, sw, ph, pw, height, width)
            y[:, :, i, j] = x[:, :, rows, cols].sum(axis=(2, 3)) / divisor[i, j]
    return y


def avg_pool_adjoint(grad_y, divisor, height, width, kh, kw, sh, sw, ph, pw):
    """Each window spreads grad_y[n, c, i, j] / divisor[i, j] evenly over its pixels.
    Mirrors kernels.pool.avg_pool_adjoint.  grad_y (N, C, h, w) -> dx (N, C, height, width)."""
    dx = np.zeros(grad_y.shape[:2] + (height, width), dtype=grad_y.dtype)
    for i in range(divisor.shape[0]):
        for j in range(divisor.shape[1]):
            rows, cols = _window(i, j, kh, kw, sh, sw, ph, pw, height, width)
            dx[:, :, rows, cols] += (grad_y[:, :, i, j] / divisor[i, j])[:, :, None, None]
    return dx


def _adaptive_window(i, size, out):
    """Inputs floor(i*size/out) .. ceil((i+1)*size/out) - 1 of adaptive cell i."""
    return slice(i * size // out, math.ceil((i + 1) * size / out))


def adaptive_avg_pool_forward(x, out_size):
    """Output cell (i, j) averages its adaptive window. Mirrors
    kernels.pool.adaptive_avg_pool_forward.  x (N, C, H, W) -> (N, C, *out_size)."""
    height, width = x.shape[2:]
    out_h, out_w = out_size
    y = np.empty(x.shape[:2] + (out_h, out_w), dtype=x.dtype)
    for i in range(out_h):
        rows = _adaptive_window(i, height, out_h)
        for j in range(out_w):
            cols = _adaptive_window(j, width, out_w)
            y[:, :, i, j] = x[:, :, rows, cols].mean(axis=(2, 3))
    return y


def adaptive_avg_pool_adjoint(grad_y, in_size):
    """Each cell spreads its gradient evenly over its adaptive window. Mirrors
    kernels.pool.adaptive_avg_pool_adjoint.  grad_y (N, C, h, w) -> dx (N, C, *in_size)."""
    height, width = in_size
    out_h, out_w = grad_y.shape[2:]
    dx = np.zeros(grad_y.shape[:2] + (height, width), dtype=grad_y.dtype)
    for i in range(out_h):
        rows = _adaptive_window(i, height, out_h)
        for j in range(out_w):
            cols = _adaptive_window(j, width, out_w)
            area = (rows.stop - rows.start) * (cols.stop - cols.start)
            dx[:, :, rows, cols] += (grad_y[:, :, i, j] / area)[:, :, None, None]
    return dx


def max_pool2d_direct(x, kernel_size, stride, padding=(0, 0), dilation=(1, 1), out_size=None):
    """The definition on a -inf padded input (for checking):
    y[n, c, i, j] = max_{u, v} x_pad[n, c, s*i + d*u, s*j + d*v].  out_size defaults to
    the floor rule.  x (N, C, H, W) -> y (N, C, H_out, W_out)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    if out_size is None:
        out_size = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in
                         zip(x.shape[2:], kernel_size, stride, padding, dilation))
    # pad generously with -inf: ceil_mode windows may run past the right padding
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding[0], padding[0] + sh * kh * dh),
                       (padding[1], padding[1] + sw * kw * dw)), constant_values=-np.inf)
    y = np.empty(x.shape[:2] + tuple(out_size), dtype=x.dtype)
    for i in range(out_size[0]):
        for j in range(out_size[1]):
            window = x_pad[:, :, sh * i:sh * i + dh * (kh - 1) + 1:dh,
                           sw * j:sw * j + dw * (kw - 1) + 1:dw]
            y[:, :, i, j] = window.max(axis=(2, 3))
    return y


def avg_pool2d_direct(x, kernel_size, stride, padding=(0, 0), out_size=None,
                      count_include_pad=True):
    """The definition, with its own divisor (for checking): y[n, c, i, j] = mean of the
    window. With count_include_pad the divisor counts the zero padding (but not what
    ceil_mode adds past it); without, only real inputs.  x (N, C, H, W) -> y."""
    height, width = x.shape[2:]
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    if out_size is None:
        out_size = ((height + 2 * ph - kh) // sh + 1, (width + 2 * pw - kw) // sw + 1)
    y = np.empty(x.shape[:2] + tuple(out_size), dtype=x.dtype)
    for i in range(out_size[0]):
        for j in range(out_size[1]):
            top, left = sh * i - ph, sw * j - pw
            bottom, right = min(top + kh, height + ph), min(left + kw, width + pw)
            window = x[:, :, max(top, 0):min(bottom, height), max(left, 0):min(right, width)]
            if count_include_pad:
                divisor = (bottom - top) * (right - left)
            else:
                divisor = window.shape[2] * window.shape[3]
            y[:, :, i, j] = window.sum(axis=(2, 3)) / divisor
    return y
