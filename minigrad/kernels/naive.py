"""Textbook loops for convolution and pooling: slow, obvious, and the reference the
fast kernels are tested against. NumPy arrays in and out; no Tensor, no Numba.

Conventions (PyTorch's): NCHW layout; stride s, padding p, dilation d given as
(height, width) pairs; a window (i, j) reads the zero-padded input at rows
s_h*i + d_h*u and columns s_w*j + d_w*v.
"""

import math

import numpy as np


def _pad(x, padding, value=0.0):
    (ph, pw) = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def conv2d_forward_naive(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                         groups=1):
    """y[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * x_pad[n, g*Cg + c, s*i + d*u, s*j + d*v]

    x (N, C, H, W), w (O, C/groups, kH, kW), b (O,) or None -> y (N, O, H_out, W_out),
    where g = o // (O/groups) is the group of output channel o.
    """
    n_batch, channels, height, width = x.shape
    out_channels, cg, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    x_pad = _pad(x, padding)
    out_h = (height + 2 * padding[0] - dh * (kh - 1) - 1) // sh + 1
    out_w = (width + 2 * padding[1] - dw * (kw - 1) - 1) // sw + 1
    og = out_channels // groups
    y = np.zeros((n_batch, out_channels, out_h, out_w), dtype=np.result_type(x, w))
    for n in range(n_batch):
        for o in range(out_channels):
            first = (o // og) * cg  # first input channel of o's group
            for i in range(out_h):
                for j in range(out_w):
                    window = x_pad[n, first:first + cg,
                                   sh * i:sh * i + dh * (kh - 1) + 1:dh,
                                   sw * j:sw * j + dw * (kw - 1) + 1:dw]
                    y[n, o, i, j] = np.sum(window * w[o])
            if b is not None:
                y[n, o] += b[o]
    return y


def conv_transpose2d_naive(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                           groups=1, dilation=(1, 1)):
    """Every input pixel stamps its weighted kernel onto the output (scatter form):

    z_pad[n, g*Cg + c, s*i + d*u, s*j + d*v] += w[o, c, u, v] * x[n, o, i, j]

    then the padding p is cut off each border.  x (N, O, H, W), w (O, C/groups, kH, kW),
    b (C,) or None -> z (N, C, H_out, W_out), H_out = (H-1)s - 2p + d(kH-1) + output_padding + 1.
    """
    n_batch, in_channels, height, width = x.shape
    _, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    full_h = (height - 1) * sh + dh * (kh - 1) + 1 + output_padding[0]
    full_w = (width - 1) * sw + dw * (kw - 1) + 1 + output_padding[1]
    og = in_channels // groups
    z = np.zeros((n_batch, cg * groups, full_h, full_w), dtype=np.result_type(x, w))
    for n in range(n_batch):
        for o in range(in_channels):
            first = (o // og) * cg
            for i in range(height):
                for j in range(width):
                    z[n, first:first + cg,
                      sh * i:sh * i + dh * (kh - 1) + 1:dh,
                      sw * j:sw * j + dw * (kw - 1) + 1:dw] += x[n, o, i, j] * w[o]
    z = z[:, :, ph:full_h - ph, pw:full_w - pw]
    if b is not None:
        z = z + b[None, :, None, None]
    return z


def pool_output_size(size, kernel, stride, padding, dilation=1, ceil_mode=False):
    """PyTorch's rule: (size + 2p - d(k-1) - 1) / s + 1, floored or ceiled; with
    ceil_mode a last window that would start inside the right padding is dropped."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def max_pool2d_naive(x, kernel_size, stride, padding=(0, 0), dilation=(1, 1), ceil_mode=False):
    """y[n, c, i, j] = max_{u, v} x_pad[n, c, s*i + d*u, s*j + d*v], padding = -inf.
    x (N, C, H, W) -> y (N, C, H_out, W_out)."""
    n_batch, channels, height, width = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    out_h = pool_output_size(height, kh, sh, padding[0], dh, ceil_mode)
    out_w = pool_output_size(width, kw, sw, padding[1], dw, ceil_mode)
    # pad generously with -inf: ceil_mode windows may run past the right padding
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding[0], padding[0] + sh * kh * dh),
                       (padding[1], padding[1] + sw * kw * dw)), constant_values=-np.inf)
    y = np.empty((n_batch, channels, out_h, out_w), dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            window = x_pad[:, :, sh * i:sh * i + dh * (kh - 1) + 1:dh,
                           sw * j:sw * j + dw * (kw - 1) + 1:dw]
            y[:, :, i, j] = window.max(axis=(2, 3))
    return y


def avg_pool2d_naive(x, kernel_size, stride, padding=(0, 0), ceil_mode=False,
                     count_include_pad=True):
    """y[n, c, i, j] = mean of the window.  With count_include_pad the divisor counts
    the zero padding (but not what ceil_mode adds past it); without, only real inputs.
    x (N, C, H, W) -> y (N, C, H_out, W_out)."""
    n_batch, channels, height, width = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    out_h = pool_output_size(height, kh, sh, ph, 1, ceil_mode)
    out_w = pool_output_size(width, kw, sw, pw, 1, ceil_mode)
    y = np.empty((n_batch, channels, out_h, out_w), dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            top, left = sh * i - ph, sw * j - pw
            bottom, right = min(top + kh, height + ph), min(left + kw, width + pw)
            rows = slice(max(top, 0), min(bottom, height))
            cols = slice(max(left, 0), min(right, width))
            window = x[:, :, rows, cols]
            if count_include_pad:
                divisor = (bottom - top) * (right - left)
            else:
                divisor = window.shape[2] * window.shape[3]
            y[:, :, i, j] = window.sum(axis=(2, 3)) / divisor
    return y


def adaptive_avg_pool2d_naive(x, output_size):
    """Output cell (i, j) averages rows floor(i*H/H_out) .. ceil((i+1)*H/H_out) - 1 and
    the same for columns.  x (N, C, H, W) -> (N, C, H_out, W_out)."""
    height, width = x.shape[2:]
    out_h, out_w = output_size
    y = np.empty(x.shape[:2] + (out_h, out_w), dtype=x.dtype)
    for i in range(out_h):
        rows = slice(i * height // out_h, math.ceil((i + 1) * height / out_h))
        for j in range(out_w):
            cols = slice(j * width // out_w, math.ceil((j + 1) * width / out_w))
            y[:, :, i, j] = x[:, :, rows, cols].mean(axis=(2, 3))
    return y
