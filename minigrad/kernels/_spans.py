"""Spans: which taps of a window land inside the input, copies of spans between
flat arrays (the inner loops of every packing kernel), and zero padding.

Why these exist. Numba indexes arrays the way Python does, so for a signed
integer index it emits `if i < 0: i += len` before every access. When the
index is a loop counter starting at 0, LLVM proves the test away; when it is an
offset the kernel computed (`d + t`, the usual case in packing), it cannot, and
the test stops the loop from being vectorised. An unsigned index cannot be
negative, so the test disappears, and the packing loops run at memcpy speed.

Every function takes flat (1-D, C-contiguous) arrays and element offsets, and
does nothing when count <= 0 (an unsigned count of -1 would be 2**64 - 1).
"""

import numpy as np

from minigrad.kernels._lazy import njit, uint64


@njit(nogil=True, cache=True)
def valid_taps(offset, stride, size, count):
    """[first, stop) of the j in [0, count) with 0 <= j*stride + offset < size: the
    output positions (or window taps) that land inside the input, found once per
    row so that the loops over them need no bounds test."""
    first = max(0, (-offset + stride - 1) // stride)
    stop = min(count, max(0, (size - offset + stride - 1) // stride))
    return first, max(first, stop)


@njit(nogil=True, cache=True)
def copy_span(dst, d, src, s, count):
    """dst[d : d + count] = src[s : s + count]."""
    if count <= 0:
        return
    d, s = uint64(d), uint64(s)
    for t in range(uint64(count)):
        dst[d + t] = src[s + t]


@njit(nogil=True, cache=True)
def add_span(dst, d, src, s, count):
    """dst[d : d + count] += src[s : s + count]."""
    if count <= 0:
        return
    d, s = uint64(d), uint64(s)
    for t in range(uint64(count)):
        dst[d + t] += src[s + t]


@njit(nogil=True, cache=True)
def copy_strided(dst, d, dst_step, src, s, src_step, count):
    """dst[d + dst_step*t] = src[s + src_step*t] for t < count (a gather or a scatter)."""
    if count <= 0:
        return
    d, s = uint64(d), uint64(s)
    dst_step, src_step = uint64(dst_step), uint64(src_step)
    for t in range(uint64(count)):
        dst[d + dst_step * t] = src[s + src_step * t]


@njit(nogil=True, cache=True)
def add_strided(dst, d, dst_step, src, s, src_step, count):
    """dst[d + dst_step*t] += src[s + src_step*t] for t < count (a scatter-add)."""
    if count <= 0:
        return
    d, s = uint64(d), uint64(s)
    dst_step, src_step = uint64(dst_step), uint64(src_step)
    for t in range(uint64(count)):
        dst[d + dst_step * t] += src[s + src_step * t]


@njit(nogil=True, cache=True)
def pad_planes(x, ph, pw, rows, cols):
    """x (N, C, H, W) -> (N, C, rows, cols): x placed at (ph, pw), zero elsewhere, cut
    at the far edges if rows or cols leave it no room. One span copy per row."""
    n_batch, channels, height, width = x.shape
    x_pad = np.zeros((n_batch, channels, rows, cols), dtype=x.dtype)
    src, dst = x.reshape(-1), x_pad.reshape(-1)
    for plane in range(n_batch * channels):
        for h in range(min(height, rows - ph)):
            copy_span(dst, (plane * rows + h + ph) * cols + pw,
                      src, (plane * height + h) * width, min(width, cols - pw))
    return x_pad
