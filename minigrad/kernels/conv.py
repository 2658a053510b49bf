"""Numba kernels for convolution: im2col packing and its adjoint col2im.
NumPy arrays in, NumPy arrays out; no Tensor here.

A convolution becomes one matrix product per group once every receptive field
is copied into a column ("im2col", Chellapilla, Puri & Simard 2006, "High
performance convolutional neural networks for document processing"):

    cols[(c*kH + u)*kW + v, (n*H_out + i)*W_out + j] = x_pad[n, c, s_h*i + d_h*u, s_w*j + d_w*v]

    y[n, o, i, j] = sum_r w[o, r] * cols[r, (n*H_out + i)*W_out + j]     (a BLAS GEMM)

Shapes: x (N, C, H, W) -> cols (C*kH*kW, N*H_out*W_out). Rows are ordered by
channel first, so the rows of group g are one contiguous block. Padding is
never materialised: taps outside x read as zero, and col2im drops them.

Both kernels run one job per (sample, channel) plane with `prange`, so no two
threads ever write the same element. They compile lazily (no signatures), once
per float dtype, and are cached on disk: every integer argument is a Python int
and every array C-contiguous, so there is exactly one specialisation per dtype.
"""

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w):
    """x (N, C, H, W) -> cols (C*kh*kw, N*out_h*out_w), zero where a tap is padding."""
    n_batch, channels, height, width = x.shape
    plane = out_h * out_w
    cols = np.empty((channels * kh * kw, n_batch * plane), dtype=x.dtype)
    for job in prange(n_batch * channels):
        n = job // channels
        c = job - n * channels
        for u in range(kh):
            for v in range(kw):
                r = (c * kh + u) * kw + v
                for i in range(out_h):
                    h = i * sh - ph + u * dh
                    start = n * plane + i * out_w
                    if h < 0 or h >= height:
                        cols[r, start:start + out_w] = 0
                        continue
                    for j in range(out_w):
                        w = j * sw - pw + v * dw
                        cols[r, start + j] = x[n, c, h, w] if 0 <= w < width else 0
    return cols


@njit(parallel=True, cache=True)
def col2im(cols, bias, x, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w):
    """Adjoint of im2col: x[n, c] = bias[c], then every column entry is added back
    onto the pixel it was copied from.  cols (C*kh*kw, N*out_h*out_w) -> x (N, C, H, W),
    written in place."""
    n_batch, channels, height, width = x.shape
    plane = out_h * out_w
    for job in prange(n_batch * channels):
        n = job // channels
        c = job - n * channels
        x[n, c, :, :] = bias[c]
        for u in range(kh):
            for v in range(kw):
                r = (c * kh + u) * kw + v
                for i in range(out_h):
                    h = i * sh - ph + u * dh
                    if h < 0 or h >= height:
                        continue
                    start = n * plane + i * out_w
                    for j in range(out_w):
                        w = j * sw - pw + v * dw
                        if 0 <= w < width:
                            x[n, c, h, w] += cols[r, start + j]


# --------------------------------------------------------------------------- drivers
# The drivers below walk the batch in chunks whose im2col buffer stays near
# CHUNK_BYTES: the buffer then lives in cache between packing and GEMM, and it
# stays below glibc's mmap threshold, so it is not page-faulted in afresh (a 37 MB
# buffer costs ~5 ms of page faults per call on this kind of machine).
CHUNK_BYTES = 4 << 20


def output_size(size, kernel, stride, padding, dilation):
    """H_out = (H + 2p - d(k - 1) - 1) // s + 1 for each spatial axis."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, s, p, d in zip(size, kernel, stride, padding, dilation))


def _batch_chunks(n_batch, bytes_per_sample):
    step = max(1, min(n_batch, CHUNK_BYTES // max(1, bytes_per_sample)))
    return [(start, min(start + step, n_batch)) for start in range(0, n_batch, step)]


def _geometry_args(kernel, stride, padding, dilation, out_size):
    return (kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1],
            dilation[0], dilation[1], out_size[0], out_size[1])


def _channel_major(y, groups):
    """(n, O, H, W) -> (G, O/G, n*H*W): the GEMM layout of an output-side tensor."""
    n, channels = y.shape[:2]
    flat = y.reshape(n, channels, -1).transpose(1, 0, 2)
    return np.ascontiguousarray(flat).reshape(groups, channels // groups, -1)


def conv2d_forward(x, w, bias, stride, padding, dilation, groups):
    """y = conv2d(x, w) + bias.  x (N, C, H, W), w (O, C/G, kH, kW), bias (O,) or None
    -> y (N, O, H_out, W_out). x and w: C-contiguous, same float dtype."""
    n_batch, _, height, width = x.shape
    out_channels, cg, kh, kw = w.shape
    out_size = output_size((height, width), (kh, kw), stride, padding, dilation)
    args = _geometry_args((kh, kw), stride, padding, dilation, out_size)
    plane = out_size[0] * out_size[1]
    w_groups = w.reshape(groups, out_channels // groups, cg * kh * kw)
    y = np.empty((n_batch, out_channels) + out_size, dtype=x.dtype)
    shift = 0 if bias is None else bias.reshape(-1, 1)
    for start, stop in _batch_chunks(n_batch, x.itemsize * cg * groups * kh * kw * plane):
        cols = im2col(x[start:stop], *args).reshape(groups, cg * kh * kw, -1)
        y_cols = np.matmul(w_groups, cols).reshape(out_channels, stop - start, plane)
        np.add(y_cols.transpose(1, 0, 2), shift,
               out=y[start:stop].reshape(stop - start, out_channels, plane))
    return y


def conv_transpose2d_forward(g, w, bias, size, stride, padding, dilation, groups):
    """The adjoint of conv2d_forward in x: g (N, O, H_g, W_g), w (O, C/G, kH, kW),
    bias (C,) or None, size = (H, W) of the result -> (N, C, H, W)."""
    n_batch, out_channels, g_height, g_width = g.shape
    cg, kh, kw = w.shape[1:]
    channels = cg * groups
    args = _geometry_args((kh, kw), stride, padding, dilation, (g_height, g_width))
    w_groups = w.reshape(groups, out_channels // groups, cg * kh * kw).transpose(0, 2, 1)
    bias = np.zeros(channels, dtype=g.dtype) if bias is None else bias
    x = np.empty((n_batch, channels) + tuple(size), dtype=g.dtype)
    for start, stop in _batch_chunks(n_batch, g.itemsize * channels * kh * kw * g_height * g_width):
        cols = np.matmul(w_groups, _channel_major(g[start:stop], groups))
        col2im(cols.reshape(channels * kh * kw, -1), bias, x[start:stop], *args)
    return x


def conv2d_weight_grad(x, g, kernel, stride, padding, dilation, groups):
    """dL/dw of conv2d from x (N, C, H, W) and g = dL/dy (N, O, H_out, W_out)
    -> (O, C/G, kH, kW):  gw[o, r] = sum_p g[o, p] * cols[r, p]."""
    n_batch, channels, _, _ = x.shape
    out_channels, g_height, g_width = g.shape[1:]
    cg = channels // groups
    args = _geometry_args(kernel, stride, padding, dilation, (g_height, g_width))
    taps = kernel[0] * kernel[1]
    grad_w = np.zeros((groups, out_channels // groups, cg * taps), dtype=x.dtype)
    for start, stop in _batch_chunks(n_batch, x.itemsize * channels * taps * g_height * g_width):
        cols = im2col(x[start:stop], *args).reshape(groups, cg * taps, -1)
        grad_w += np.matmul(_channel_major(g[start:stop], groups), cols.transpose(0, 2, 1))
    return grad_w.reshape(out_channels, cg, kernel[0], kernel[1])
