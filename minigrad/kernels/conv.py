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
Two cheaper packings exist for most layers: phase planes, where every im2col row
is one contiguous copy ("stride 1" and "stride > 1" below), and Winograd's
F(2x2, 3x3) (winograd.py). conv_strategy and transpose_strategy choose among them,
each strategy is one function, and each public driver first checks reference mode
and hands its arguments to its textbook twin in minigrad.reference.conv.

The kernels are serial and release the GIL: the drivers below cut the batch into
chunks and run them on two threads (minigrad.kernels._threads explains why not
OpenBLAS's own threads). They compile lazily (no signatures), once per float
dtype, and are cached on disk: every integer argument is a Python int and every
array C-contiguous, so there is exactly one specialisation per dtype.
"""

import numpy as np

from minigrad._geometry import conv_output_size as output_size
from minigrad._mode import reference_mode_enabled
from minigrad.kernels import winograd
from minigrad.kernels._lazy import njit
from minigrad.kernels._spans import (
    add_span,
    add_strided,
    copy_span,
    copy_strided,
    pad_planes,
    valid_taps,
)
from minigrad.kernels._threads import batch_chunks, run_chunks
from minigrad.reference import conv as reference

__all__ = ["output_size", "conv_strategy", "transpose_strategy", "conv2d_forward",
           "conv_transpose2d_forward", "conv2d_weight_grad", "im2col", "col2im"]


@njit(nogil=True, cache=True)
def im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w):
    """x (N, C, H, W) -> cols (C*kh*kw, N*out_h*out_w), zero where a tap is padding.
    Twin: reference.conv.im2col (the loops over taps and windows)."""
    n_batch, channels, height, width = x.shape
    plane = out_h * out_w
    cols = np.zeros((channels * kh * kw, n_batch * plane), dtype=x.dtype)
    src, dst = x.reshape(-1), cols.reshape(-1)
    for job in range(n_batch * channels):
        n = job // channels
        c = job - n * channels
        for u in range(kh):
            first_i, stop_i = valid_taps(u * dh - ph, sh, height, out_h)
            for v in range(kw):
                first, stop = valid_taps(v * dw - pw, sw, width, out_w)
                row_start = ((c * kh + u) * kw + v) * n_batch * plane + n * plane
                for i in range(first_i, stop_i):
                    h = i * sh - ph + u * dh
                    copy_strided(dst, row_start + i * out_w + first, 1,
                                 src, (job * height + h) * width + first * sw - pw + v * dw, sw,
                                 stop - first)
    return cols


@njit(nogil=True, cache=True)
def col2im(cols, bias, x, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w):
    """Adjoint of im2col: x[n, c] = bias[c], then every column entry is added back
    onto the pixel it was copied from.  cols (C*kh*kw, N*out_h*out_w) -> x (N, C, H, W),
    written in place.  Twin: reference.conv.col2im."""
    n_batch, channels, height, width = x.shape
    plane = out_h * out_w
    src, dst = cols.reshape(-1), x.reshape(-1)
    for job in range(n_batch * channels):
        n = job // channels
        c = job - n * channels
        x[n, c, :, :] = bias[c]
        for u in range(kh):
            first_i, stop_i = valid_taps(u * dh - ph, sh, height, out_h)
            for v in range(kw):
                first, stop = valid_taps(v * dw - pw, sw, width, out_w)
                row_start = ((c * kh + u) * kw + v) * n_batch * plane + n * plane
                for i in range(first_i, stop_i):
                    h = i * sh - ph + u * dh
                    add_strided(dst, (job * height + h) * width + first * sw - pw + v * dw, sw,
                                src, row_start + i * out_w + first, 1, stop - first)


# --------------------------------------------------------------------------- stride 1
# With stride 1 a cheaper packing exists. Pad each plane once, to (Hp, Wp), and
# compute the output on the padded width: output pixel (i, j), j < Wp, then reads
# padded pixel (i + d*u, j + d*v), which in the flattened plane is
# (i*Wp + j) + (d*u*Wp + d*v). So the whole im2col row of tap (u, v) is ONE
# contiguous slice of the flattened padded plane, starting at d*u*Wp + d*v: a
# memcpy instead of a loop over short rows. The columns j >= W_out are junk (they
# wrap into the next row) and are dropped after the GEMM; that costs the fraction
# (Wp - W_out) / W_out of extra GEMM work, 2p/W for a "same" convolution.
# im2col_phased below does this copy: the padded plane is its single phase.


@njit(nogil=True, cache=True)
def crop_wide(y_wide, bias, out_w, y):
    """y[n, o, i, j] = y_wide[o, n, i, j] + bias[o] for j < out_w: drop the junk
    columns of a wide GEMM result (O, N, H, Wp) into y (N, O, H, out_w), in place."""
    channels, n_batch, height, _ = y_wide.shape
    for job in range(n_batch * channels):
        n = job // channels
        o = job - n * channels
        for i in range(height):
            for j in range(out_w):
                y[n, o, i, j] = y_wide[o, n, i, j] + bias[o]


# --------------------------------------------------------------------------- stride > 1
# The same trick works for a larger stride s once the padded input is split into
# its s_h*s_w phases, P[a, b][i, j] = x_pad[s_h*i + a, s_w*j + b] (Bellanger's
# polyphase decomposition): tap (u, v) of output pixel (i, j) reads
# x_pad[s_h*(i + u // s_h) + u % s_h, ...] = P[u % s_h, v % s_w][i + u // s_h, j + v // s_w],
# a stride-1 access in one phase plane, so every im2col row is again one slice.
#
# These packing pieces have no twin of their own: together with the GEMM they
# compute what reference.conv.im2col and its matmul compute, and the tests hold
# every strategy to that.


@njit(nogil=True, cache=True)
def phase_planes(x, sh, sw, ph, pw, rows, cols):
    """x (N, C, H, W) -> P (N, C, sh, sw, rows + 1, cols) with
    P[n, c, a, b, i, j] = x[n, c, sh*i + a - ph, sw*j + b - pw] (zero outside x).
    Loops in P's order (no division by the stride), so the writes are sequential."""
    n_batch, channels, height, width = x.shape
    phased = np.zeros((n_batch, channels, sh, sw, rows + 1, cols), dtype=x.dtype)
    src, dst = x.reshape(-1), phased.reshape(-1)
    for job in range(n_batch * channels):
        for a in range(sh):
            first_i, stop_i = valid_taps(a - ph, sh, height, rows + 1)
            for b in range(sw):
                first_j, stop_j = valid_taps(b - pw, sw, width, cols)
                phase_start = ((job * sh + a) * sw + b) * (rows + 1) * cols
                for i in range(first_i, stop_i):
                    copy_strided(dst, phase_start + i * cols + first_j, 1,
                                 src, (job * height + sh * i + a - ph) * width
                                 + sw * first_j + b - pw, sw, stop_j - first_j)
    return phased


@njit(nogil=True, cache=True)
def im2col_phased(phased, kh, kw, dh, dw, out_h):
    """P (N, C, sh, sw, rows + 1, Wq) -> cols (C*kh*kw, N*out_h*Wq): with tap offsets
    a = dh*u, b = dw*v, row (c*kh + u)*kw + v of sample n's block is
    P[n, c, a % sh, b % sw].flat[(a//sh)*Wq + b//sw :][:out_h*Wq]. With stride 1
    (sh = sw = 1) P is the padded plane and this is the wide packing above."""
    n_batch, channels, sh, sw, rows, width = phased.shape
    span = out_h * width
    cols = np.empty((channels * kh * kw, n_batch * span), dtype=phased.dtype)
    src, dst = phased.reshape(-1), cols.reshape(-1)
    for n in range(n_batch):
        for c in range(channels):
            for u in range(kh):
                for v in range(kw):
                    a, b = dh * u, dw * v
                    plane = ((n * channels + c) * sh + a % sh) * sw + b % sw
                    copy_span(dst, ((c * kh + u) * kw + v) * n_batch * span + n * span,
                              src, plane * rows * width + (a // sh) * width + b // sw, span)
    return cols


@njit(nogil=True, cache=True)
def col2im_phased(cols, kh, kw, dh, dw, out_h, phased):
    """Adjoint of im2col_phased (a = dh*u, b = dw*v):
    P[n, c, a % sh, b % sw].flat[(a//sh)*Wq + b//sw + t]
    += cols[(c*kh + u)*kw + v, n*out_h*Wq + t], each a contiguous slice add (no
    scatter).  cols (C*kh*kw, N*out_h*Wq) -> P (N, C, sh, sw, rows + 1, Wq), zeroed
    by the caller, accumulated in place."""
    n_batch, channels, sh, sw, rows, width = phased.shape
    span = out_h * width
    src, dst = cols.reshape(-1), phased.reshape(-1)
    for job in range(n_batch * channels):
        n = job // channels
        c = job - n * channels
        for u in range(kh):
            for v in range(kw):
                a, b = dh * u, dw * v
                plane = (job * sh + a % sh) * sw + b % sw
                add_span(dst, plane * rows * width + (a // sh) * width + b // sw,
                         src, ((c * kh + u) * kw + v) * n_batch * span + n * span, span)


@njit(nogil=True, cache=True)
def unphase_planes(phased, bias, x, ph, pw):
    """Adjoint of phase_planes, a permutation, so every pixel of x is written once
    (no adds), each phase row scattered with the stride: x[n, c, h, w] = bias[c] +
    P[n, c, (h + ph) % sh, (w + pw) % sw, (h + ph) // sh, (w + pw) // sw].
    P (N, C, sh, sw, rows, cols) -> x (N, C, H, W), written in place."""
    n_batch, channels, sh, sw, rows, cols = phased.shape
    height, width = x.shape[2:]
    src, dst = phased.reshape(-1), x.reshape(-1)
    for job in range(n_batch * channels):
        for a in range(sh):
            first_i, stop_i = valid_taps(a - ph, sh, height, rows)
            for b in range(sw):
                first_j, stop_j = valid_taps(b - pw, sw, width, cols)
                phase_start = ((job * sh + a) * sw + b) * rows * cols
                for i in range(first_i, stop_i):
                    copy_strided(dst, (job * height + sh * i + a - ph) * width
                                 + sw * first_j + b - pw, sw,
                                 src, phase_start + i * cols + first_j, 1, stop_j - first_j)
        if bias[job % channels] != 0:  # a pass over the plane only when it changes it
            x[job // channels, job % channels] += bias[job % channels]


@njit(nogil=True, cache=True)
def widen_channel_major(g, out_h, width, groups):
    """g (N, O, H_g, W_g) -> (G, O/G, N*out_h*width): an output gradient in the wide
    GEMM layout, zero in the junk columns and in any row or column past g's edge."""
    n_batch, channels, g_height, g_width = g.shape
    og = channels // groups
    span = n_batch * out_h * width
    wide = np.zeros((groups, og, span), dtype=g.dtype)
    src, dst = g.reshape(-1), wide.reshape(-1)
    for n in range(n_batch):
        for o in range(channels):
            for i in range(min(g_height, out_h)):
                copy_span(dst, o * span + (n * out_h + i) * width,
                          src, ((n * channels + o) * g_height + i) * g_width,
                          min(g_width, width))
    return wide


# --------------------------------------------------------------------------- drivers
# The drivers walk the batch in chunks whose im2col buffer stays near CHUNK_BYTES:
# it then lives in cache between packing and GEMM, and stays below glibc's mmap
# threshold, so it is not page-faulted in afresh on every call.
CHUNK_BYTES = 2 << 20
WIDE_MAX_WASTE = 0.2  # phase planes while their junk columns cost less extra GEMM work
ADJOINT_MIN_CHANNELS = 64  # the flipped-kernel transposed conv's GEMM has only C rows
WINOGRAD_MIN_CHANNELS = 16  # Winograd's (O, C) @ (C, tiles) GEMMs run far from BLAS speed below


def conv_strategy(x_shape, w_shape, stride, padding, dilation, groups):
    """The algorithm for conv2d_forward and conv2d_weight_grad (timings in
    benchmarks/bench_conv.py and the history):

        "winograd"  3x3, stride 1, no dilation or groups, at least WINOGRAD_MIN_CHANNELS
                    channels in and out: 2.25x fewer multiply-adds (winograd.py)
        "phased"    stride 1 (any dilation) or stride > 1 (no dilation), when the phase
                    planes' junk columns stay under WIDE_MAX_WASTE of the output width:
                    every im2col row is then one contiguous copy
        "im2col"    everything else: the general packing, one strided copy per row
    """
    if _winograd_pays(w_shape, stride, dilation, groups):
        return "winograd"
    if _phased_pays(x_shape[2:], w_shape[2:], stride, padding, dilation):
        return "phased"
    return "im2col"


def transpose_strategy(g_shape, w_shape, size, stride, padding, dilation, groups):
    """The algorithm for conv_transpose2d_forward (timings in benchmarks/bench_conv.py):

        "winograd"  stride 1 with the natural output size: a conv of g with the flipped
                    kernel (_flipped_adjoint), which Winograd pays for (conv_strategy)
        "flipped"   the same conv by phase planes, when it produces at least
                    ADJOINT_MIN_CHANNELS channels (its GEMM has that many rows)
        "phased"    no dilation and few junk columns: the transpose of every step of
                    the phased forward
        "col2im"    everything else: one GEMM W^T g, then col2im
    """
    cg, kh, kw = w_shape[1:]
    full_pad = _full_padding((kh, kw), padding, dilation)
    natural = tuple(n + d - p for n, d, p in zip(g_shape[2:], full_pad, padding))
    if stride == (1, 1) and min(full_pad) >= 0 and tuple(size) == natural:
        adjoint_shape = (cg * groups, w_shape[0] // groups, kh, kw)
        as_conv = conv_strategy(g_shape, adjoint_shape, stride, full_pad, dilation, groups)
        if as_conv == "winograd":
            return "winograd"
        if as_conv == "phased" and cg * groups >= ADJOINT_MIN_CHANNELS:
            return "flipped"
    if dilation == (1, 1) and _phased_pays(tuple(size), (kh, kw), stride, padding, dilation):
        return "phased"
    return "col2im"


def _winograd_pays(w_shape, stride, dilation, groups):
    return (tuple(w_shape[2:]) == (3, 3) and stride == (1, 1) and dilation == (1, 1)
            and groups == 1 and min(w_shape[:2]) >= WINOGRAD_MIN_CHANNELS)


def _phase_grid(size, kernel, stride, padding, dilation):
    """(rows, cols) of the phase planes, ceil((H + 2p) / s), and the output size."""
    grid = tuple(-(-(n + 2 * p) // s) for n, s, p in zip(size, stride, padding))
    return grid, output_size(size, kernel, stride, padding, dilation)


def _phased_pays(size, kernel, stride, padding, dilation):
    """Phase planes hold a strided conv only without dilation; they pay while their
    junk columns, cols - W_out, stay under WIDE_MAX_WASTE of W_out."""
    if stride != (1, 1) and dilation != (1, 1):
        return False
    (_, cols), (_, out_w) = _phase_grid(size, kernel, stride, padding, dilation)
    return cols - out_w <= WIDE_MAX_WASTE * out_w


def _full_padding(kernel, padding, dilation):
    """d(k - 1) - p: the padding of the conv that a stride-1 transposed conv is."""
    return tuple(d * (k - 1) - p for d, k, p in zip(dilation, kernel, padding))


def _batch_chunks(n_batch, bytes_per_sample):
    """[start, stop) sample ranges with buffers near CHUNK_BYTES (_threads.batch_chunks)."""
    return batch_chunks(n_batch, bytes_per_sample, CHUNK_BYTES)


def _channel_major(y, groups):
    """(n, O, H, W) -> (G, O/G, n*H*W): the GEMM layout of an output-side tensor."""
    n, channels = y.shape[:2]
    flat = y.reshape(n, channels, -1).transpose(1, 0, 2)
    return np.ascontiguousarray(flat).reshape(groups, channels // groups, -1)


def _phased_columns(x, kernel, stride, padding, dilation, rows, wide, out_h):
    """im2col on the phase planes' width: (C*kH*kW, n*out_h*wide). With stride 1 the
    single phase is the padded plane, cut by span copies (one zero row past the
    padding lets the last tap's slice run on)."""
    if stride == (1, 1):
        x_pad = pad_planes(x, padding[0], padding[1], rows + 1, wide)
        phased = x_pad.reshape(x_pad.shape[:2] + (1, 1) + x_pad.shape[2:])
    else:
        phased = phase_planes(x, *stride, *padding, rows, wide)
    return im2col_phased(phased, *kernel, *dilation, out_h)


# --------------------------------------------------------------------------- conv2d
def conv2d_forward(x, w, bias, stride, padding, dilation, groups):
    """y = conv2d(x, w) + bias.  x (N, C, H, W), w (O, C/G, kH, kW), bias (O,) or None
    -> y (N, O, H_out, W_out). x and w: C-contiguous, same float dtype.
    Twin: reference.conv.conv2d_forward (im2col as loops, then one matmul)."""
    if reference_mode_enabled():
        return reference.conv2d_forward(x, w, bias, stride, padding, dilation, groups)
    bias = np.zeros(w.shape[0], dtype=x.dtype) if bias is None else bias
    strategy = conv_strategy(x.shape, w.shape, stride, padding, dilation, groups)
    return _FORWARD[strategy](x, w, bias, stride, padding, dilation, groups)


def _forward_winograd(x, w, bias, stride, padding, dilation, groups):
    return winograd.conv2d(x, w, bias, padding)


def _forward_phased(x, w, bias, stride, padding, dilation, groups):
    """Phase-plane columns, one GEMM per group on the planes' width, the junk
    columns cropped (crop_wide)."""
    n_batch, channels = x.shape[:2]
    out_channels, cg, kh, kw = w.shape
    (rows, wide), (out_h, out_w) = _phase_grid(x.shape[2:], (kh, kw), stride, padding,
                                               dilation)
    w_groups = w.reshape(groups, out_channels // groups, cg * kh * kw)
    y = np.empty((n_batch, out_channels, out_h, out_w), dtype=x.dtype)

    def task(start, stop):
        cols = _phased_columns(x[start:stop], (kh, kw), stride, padding, dilation, rows, wide,
                               out_h)
        y_wide = np.matmul(w_groups, cols.reshape(groups, cg * kh * kw, -1))
        crop_wide(y_wide.reshape(out_channels, stop - start, out_h, wide), bias, out_w,
                  y[start:stop])

    run_chunks(task, _batch_chunks(n_batch, x.itemsize * channels * kh * kw * out_h * wide))
    return y


def _forward_im2col(x, w, bias, stride, padding, dilation, groups):
    """im2col columns, then one GEMM per group."""
    n_batch = x.shape[0]
    out_channels, cg, kh, kw = w.shape
    out_size = output_size(x.shape[2:], (kh, kw), stride, padding, dilation)
    plane = out_size[0] * out_size[1]
    w_groups = w.reshape(groups, out_channels // groups, cg * kh * kw)
    y = np.empty((n_batch, out_channels) + out_size, dtype=x.dtype)

    def task(start, stop):
        cols = im2col(x[start:stop], kh, kw, *stride, *padding, *dilation, *out_size)
        y_cols = np.matmul(w_groups, cols.reshape(groups, cg * kh * kw, -1))
        np.add(y_cols.reshape(out_channels, stop - start, plane).transpose(1, 0, 2),
               bias.reshape(-1, 1), out=y[start:stop].reshape(stop - start, out_channels, plane))

    run_chunks(task, _batch_chunks(n_batch, x.itemsize * cg * groups * kh * kw * plane))
    return y


_FORWARD = {"winograd": _forward_winograd, "phased": _forward_phased, "im2col": _forward_im2col}


# --------------------------------------------------------------------------- conv_transpose2d
def conv_transpose2d_forward(g, w, bias, size, stride, padding, dilation, groups):
    """The adjoint of conv2d_forward in x: g (N, O, H_g, W_g), w (O, C/G, kH, kW),
    bias (C,) or None, size = (H, W) of the result -> (N, C, H, W).
    Twin: reference.conv.conv_transpose2d_forward (one matmul, then col2im as loops)."""
    if reference_mode_enabled():
        return reference.conv_transpose2d_forward(g, w, bias, size, stride, padding, dilation,
                                                  groups)
    bias = np.zeros(w.shape[1] * groups, dtype=g.dtype) if bias is None else bias
    strategy = transpose_strategy(g.shape, w.shape, size, stride, padding, dilation, groups)
    return _TRANSPOSE[strategy](g, w, bias, tuple(size), stride, padding, dilation, groups)


def _transpose_winograd(g, w, bias, size, stride, padding, dilation, groups):
    full_pad = _full_padding(w.shape[2:], padding, dilation)
    return winograd.conv2d(g, _flipped_adjoint(w, groups), bias, full_pad)


def _transpose_flipped(g, w, bias, size, stride, padding, dilation, groups):
    full_pad = _full_padding(w.shape[2:], padding, dilation)
    return _forward_phased(g, _flipped_adjoint(w, groups), bias, stride, full_pad, dilation,
                           groups)


def _transpose_phased(g, w, bias, size, stride, padding, dilation, groups):
    """The adjoint of _forward_phased, step by step: one GEMM W^T @ g (g widened to
    the phase planes' width), col2im_phased's contiguous slice adds into the phase
    planes, then unphase_planes. Nothing is scattered pixel by pixel."""
    n_batch, out_channels = g.shape[:2]
    cg, kh, kw = w.shape[1:]
    channels = cg * groups
    (rows, wide), (out_h, _) = _phase_grid(size, (kh, kw), stride, padding, dilation)
    w_groups = w.reshape(groups, out_channels // groups, cg * kh * kw).transpose(0, 2, 1)
    x = np.empty((n_batch, channels) + size, dtype=g.dtype)

    def task(start, stop):
        g_wide = widen_channel_major(g[start:stop], out_h, wide, groups)
        cols = np.matmul(w_groups, g_wide).reshape(channels * kh * kw, -1)
        phased = np.zeros((stop - start, channels) + stride + (rows + 1, wide), dtype=g.dtype)
        col2im_phased(cols, kh, kw, 1, 1, out_h, phased)
        unphase_planes(phased, bias, x[start:stop], *padding)

    run_chunks(task, _batch_chunks(n_batch, g.itemsize * channels * kh * kw * out_h * wide))
    return x


def _transpose_col2im(g, w, bias, size, stride, padding, dilation, groups):
    """One GEMM W^T g per group, then col2im adds every column back."""
    n_batch, out_channels, g_height, g_width = g.shape
    cg, kh, kw = w.shape[1:]
    channels = cg * groups
    w_groups = w.reshape(groups, out_channels // groups, cg * kh * kw).transpose(0, 2, 1)
    x = np.empty((n_batch, channels) + size, dtype=g.dtype)

    def task(start, stop):
        cols = np.matmul(w_groups, _channel_major(g[start:stop], groups))
        col2im(cols.reshape(channels * kh * kw, -1), bias, x[start:stop], kh, kw, *stride,
               *padding, *dilation, g_height, g_width)

    per_sample = g.itemsize * channels * kh * kw * g_height * g_width
    run_chunks(task, _batch_chunks(n_batch, per_sample))
    return x


_TRANSPOSE = {"winograd": _transpose_winograd, "flipped": _transpose_flipped,
              "phased": _transpose_phased, "col2im": _transpose_col2im}


def _flipped_adjoint(w, groups):
    """The kernel of the transposed conv written as a conv: w (O, C/G, kH, kW) ->
    (C, O/G, kH, kW), flipped in space, the channel axes swapped within each group."""
    out_channels, cg, kh, kw = w.shape
    flipped = w.reshape(groups, out_channels // groups, cg, kh, kw)[:, :, :, ::-1, ::-1]
    return np.ascontiguousarray(flipped.transpose(0, 2, 1, 3, 4)).reshape(
        cg * groups, out_channels // groups, kh, kw)


# --------------------------------------------------------------------------- weight gradient
def conv2d_weight_grad(x, g, kernel, stride, padding, dilation, groups):
    """dL/dw of conv2d from x (N, C, H, W) and g = dL/dy (N, O, H_out, W_out)
    -> (O, C/G, kH, kW):  gw[o, r] = sum_p g[o, p] * cols[r, p].
    Twin: reference.conv.conv2d_weight_grad (g times im2col's columns, transposed)."""
    if reference_mode_enabled():
        return reference.conv2d_weight_grad(x, g, kernel, stride, padding, dilation, groups)
    w_shape = (g.shape[1], x.shape[1] // groups) + tuple(kernel)
    strategy = conv_strategy(x.shape, w_shape, stride, padding, dilation, groups)
    return _WEIGHT_GRAD[strategy](x, g, w_shape, stride, padding, dilation, groups)


def _weight_grad_winograd(x, g, w_shape, stride, padding, dilation, groups):
    return winograd.weight_grad(x, g, padding)


def _weight_grad_phased(x, g, w_shape, stride, padding, dilation, groups):
    """Phase-plane columns times g widened to the planes' width (zero in the junk
    columns). g goes to BLAS as a transposed view of its channel-major widening,
    a contiguous copy per row rather than a transposing scatter."""
    channels, g_height = x.shape[1], g.shape[2]
    kernel = w_shape[2:]
    (rows, wide), _ = _phase_grid(x.shape[2:], kernel, stride, padding, dilation)

    def task(start, stop):
        cols = _phased_columns(x[start:stop], kernel, stride, padding, dilation, rows, wide,
                               g_height)
        g_rows = widen_channel_major(g[start:stop], g_height, wide, groups)
        return np.matmul(cols.reshape(groups, -1, g_rows.shape[2]), g_rows.transpose(0, 2, 1))

    per_sample = x.itemsize * channels * kernel[0] * kernel[1] * g_height * wide
    return _summed_weight_grad(task, per_sample, x.shape[0], w_shape, groups, x.dtype)


def _weight_grad_im2col(x, g, w_shape, stride, padding, dilation, groups):
    """im2col columns times g in its channel-major GEMM layout, transposed."""
    channels, (g_height, g_width), (kh, kw) = x.shape[1], g.shape[2:], w_shape[2:]

    def task(start, stop):
        cols = im2col(x[start:stop], kh, kw, *stride, *padding, *dilation, g_height, g_width)
        g_cols = _channel_major(g[start:stop], groups)
        return np.matmul(cols.reshape(groups, -1, g_cols.shape[2]), g_cols.transpose(0, 2, 1))

    per_sample = x.itemsize * channels * kh * kw * g_height * g_width
    return _summed_weight_grad(task, per_sample, x.shape[0], w_shape, groups, x.dtype)


def _summed_weight_grad(task, per_sample, n_batch, w_shape, groups, dtype):
    """The sum of task's (G, C/G*kH*kW, O/G) partial gradients over the batch's chunks,
    as (O, C/G, kH, kW)."""
    out_channels, cg, kh, kw = w_shape
    grad_w = np.zeros((groups, cg * kh * kw, out_channels // groups), dtype=dtype)
    for partial_sum in run_chunks(task, _batch_chunks(n_batch, per_sample)):  # none if N = 0
        grad_w += partial_sum
    return np.ascontiguousarray(grad_w.transpose(0, 2, 1)).reshape(w_shape)


_WEIGHT_GRAD = {"winograd": _weight_grad_winograd, "phased": _weight_grad_phased,
                "im2col": _weight_grad_im2col}
