"""Convolution as the lecture draws it: im2col as loops, then one matrix product.

Twins of minigrad.kernels.conv, same names and signatures. NCHW; stride s,
padding p, dilation d as (height, width) pairs; window (i, j) reads the
zero-padded input at rows s_h*i + d_h*u and columns s_w*j + d_w*v.

    cols[(c*kH + u)*kW + v, (n*H_out + i)*W_out + j] = x_pad[n, c, s_h*i + d_h*u, s_w*j + d_w*v]
    y[n, o, i, j] = b[o] + sum_r w[o, r] * cols[r, (n*H_out + i)*W_out + j]   (one matmul per group)

The transposed convolution is the same picture read backwards (W^T g, then
col2im adds every column back onto the pixels it came from), and the weight
gradient is g times cols^T. conv2d_direct and conv_transpose2d_scatter are the
definitions themselves, one output (or input) pixel at a time, for checking.
"""

import numpy as np

from minigrad._geometry import conv_output_size

__all__ = ["im2col", "col2im", "conv2d_forward", "conv_transpose2d_forward",
           "conv2d_weight_grad", "conv2d_direct", "conv_transpose2d_scatter"]


def _padded_zeros(x_shape, dtype, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w):
    """Zeros big enough for the padded input and every tap the windows read."""
    rows = max(x_shape[2] + 2 * ph, sh * (out_h - 1) + dh * (kh - 1) + 1)
    cols = max(x_shape[3] + 2 * pw, sw * (out_w - 1) + dw * (kw - 1) + 1)
    return np.zeros(x_shape[:2] + (rows, cols), dtype=dtype)


def im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w):
    """Every receptive field copied into a column. Mirrors kernels.conv.im2col.
    x (N, C, H, W) -> cols (C*kh*kw, N*out_h*out_w)."""
    n_batch, channels, height, width = x.shape
    x_pad = _padded_zeros(x.shape, x.dtype, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w)
    x_pad[:, :, ph:ph + height, pw:pw + width] = x
    cols = np.zeros((channels, kh, kw, n_batch, out_h, out_w), dtype=x.dtype)
    for u in range(kh):
        for v in range(kw):
            for i in range(out_h):
                for j in range(out_w):
                    cols[:, u, v, :, i, j] = x_pad[:, :, sh * i + dh * u, sw * j + dw * v].T
    return cols.reshape(channels * kh * kw, n_batch * out_h * out_w)


def col2im(cols, bias, x, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w):
    """The adjoint of im2col: x[n, c] = bias[c], then every column entry is added back
    onto the pixel it was copied from (taps in the padding are dropped). Mirrors
    kernels.conv.col2im.  cols (C*kh*kw, N*out_h*out_w) -> x (N, C, H, W), in place."""
    n_batch, channels, height, width = x.shape
    cols = cols.reshape(channels, kh, kw, n_batch, out_h, out_w)
    x_pad = _padded_zeros(x.shape, x.dtype, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w)
    for u in range(kh):
        for v in range(kw):
            for i in range(out_h):
                for j in range(out_w):
                    x_pad[:, :, sh * i + dh * u, sw * j + dw * v] += cols[:, u, v, :, i, j].T
    x[...] = x_pad[:, :, ph:ph + height, pw:pw + width] + bias.reshape(1, -1, 1, 1)


def _channel_major(y, groups):
    """(N, O, H, W) -> (G, O/G, N*H*W): one row per channel, the batch along the row."""
    n_batch, channels = y.shape[:2]
    return y.transpose(1, 0, 2, 3).reshape(groups, channels // groups, -1)


def conv2d_forward(x, w, bias, stride, padding, dilation, groups):
    """y = conv2d(x, w) + bias: im2col, then one matmul per group. Mirrors
    kernels.conv.conv2d_forward (all its strategies).  x (N, C, H, W),
    w (O, C/G, kH, kW), bias (O,) or None -> y (N, O, H_out, W_out)."""
    n_batch = x.shape[0]
    out_channels, cg, kh, kw = w.shape
    out_h, out_w = conv_output_size(x.shape[2:], (kh, kw), stride, padding, dilation)
    cols = im2col(x, kh, kw, *stride, *padding, *dilation, out_h, out_w)
    w_rows = w.reshape(groups, out_channels // groups, cg * kh * kw)
    y = np.matmul(w_rows, cols.reshape(groups, cg * kh * kw, -1))  # (G, O/G, N*H_out*W_out)
    y = y.reshape(out_channels, n_batch, out_h, out_w).transpose(1, 0, 2, 3)
    if bias is not None:
        y = y + bias.reshape(1, -1, 1, 1)
    return np.ascontiguousarray(y)


def conv_transpose2d_forward(g, w, bias, size, stride, padding, dilation, groups):
    """The adjoint of conv2d_forward in x: cols = W^T g (one matmul per group), then
    col2im. Mirrors kernels.conv.conv_transpose2d_forward.  g (N, O, H_g, W_g),
    w (O, C/G, kH, kW), bias (C,) or None, size = (H, W) -> (N, C, H, W)."""
    n_batch, out_channels, g_height, g_width = g.shape
    cg, kh, kw = w.shape[1:]
    w_columns = w.reshape(groups, out_channels // groups, cg * kh * kw).transpose(0, 2, 1)
    cols = np.matmul(w_columns, _channel_major(g, groups))  # (G, C/G*kH*kW, N*H_g*W_g)
    x = np.empty((n_batch, cg * groups) + tuple(size), dtype=g.dtype)
    bias = np.zeros(cg * groups, dtype=g.dtype) if bias is None else bias
    col2im(cols.reshape(cg * groups * kh * kw, -1), bias, x, kh, kw, *stride, *padding,
           *dilation, g_height, g_width)
    return x


def conv2d_weight_grad(x, g, kernel, stride, padding, dilation, groups):
    """dL/dw = g cols^T, one matmul per group. Mirrors kernels.conv.conv2d_weight_grad.
    x (N, C, H, W), g = dL/dy (N, O, H_out, W_out) -> (O, C/G, kH, kW)."""
    channels = x.shape[1]
    out_channels, g_height, g_width = g.shape[1:]
    kh, kw = kernel
    cg = channels // groups
    cols = im2col(x, kh, kw, *stride, *padding, *dilation, g_height, g_width)
    cols = cols.reshape(groups, cg * kh * kw, -1)
    grad_w = np.matmul(_channel_major(g, groups), cols.transpose(0, 2, 1))  # (G, O/G, C/G*kH*kW)
    return np.ascontiguousarray(grad_w).reshape(out_channels, cg, kh, kw)


def conv2d_direct(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """The definition, one output pixel at a time:

    y[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * x_pad[n, g*Cg + c, s*i + d*u, s*j + d*v]

    x (N, C, H, W), w (O, C/groups, kH, kW), b (O,) or None -> y (N, O, H_out, W_out),
    where g = o // (O/groups) is the group of output channel o.
    """
    n_batch = x.shape[0]
    out_channels, cg, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    out_h, out_w = conv_output_size(x.shape[2:], (kh, kw), stride, padding, dilation)
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


def conv_transpose2d_scatter(x, w, b=None, stride=(1, 1), padding=(0, 0),
                             output_padding=(0, 0), groups=1, dilation=(1, 1)):
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
