"""Numba kernels for 2-D pooling. NumPy arrays in, NumPy arrays out; no Tensor here.

Max pooling keeps, for every output pixel, the flat index (h*W + w) of the
maximum inside its window, so the backward pass can route the gradient there:

    y[n, c, i, j]     = max_{u, v} x[n, c, s_h*i + d_h*u - p_h, s_w*j + d_w*v - p_w]
    index[n, c, i, j] = h*W + w of the first maximum in row-major window order

Taps in the padding are skipped, so padding is never the maximum. Ties go to
the first maximum met in row-major order of the window (u, then v), PyTorch's
rule; a NaN wins over every number, so NaNs propagate.

Average pooling: y[n, c, i, j] = (sum of x over window (i, j), clipped to the
input) / divisor[i, j]; the divisor grid carries the count_include_pad rule.
Adaptive average pooling: two small matrix products (adaptive_avg_pool_forward).

Each public function checks reference mode on its first line and then runs its
textbook twin, the function of the same name in minigrad.reference.pool.

The loops (`_...` below) are serial, release the GIL and write into arrays they
are given; the public functions cut the batch into chunks and run them on two
threads (minigrad.kernels._threads). Several chunks per thread, taken from a
queue, keep both cores busy even when another process takes one of them for a
while, which a static split of the planes between threads cannot do.
"""

import math

import numpy as np

from minigrad._mode import reference_mode_enabled
from minigrad.kernels._lazy import njit, uint64
from minigrad.kernels._spans import valid_taps
from minigrad.kernels._threads import get_num_threads, run_chunks, split
from minigrad.reference import pool as reference

MIN_CHUNK_ELEMENTS = 1 << 15  # below this a single call beats thread hand-offs


def _in_chunks(task, n_batch, elements):
    """task(start, stop) over sample ranges of at least MIN_CHUNK_ELEMENTS of the
    `elements` in all, two chunks per thread when there are that many."""
    pieces = min(2 * get_num_threads(), max(1, elements // MIN_CHUNK_ELEMENTS))
    run_chunks(task, split(n_batch, pieces))


# --------------------------------------------------------------------------- max pooling
@njit(nogil=True, cache=True)
def _tap_ranges(count, stride, pad, dilation, size, kernel):
    """(count, 2): for output position i, the [first, stop) of the window taps u with
    0 <= i*stride - pad + u*dilation < size (all of them, [0, kernel), inside)."""
    ranges = np.empty((count, 2), dtype=np.int64)
    for i in range(count):
        ranges[i, 0], ranges[i, 1] = valid_taps(i * stride - pad, dilation, size, kernel)
    return ranges


@njit(nogil=True, cache=True)
def _max_forward(x, y, index, kh, kw, sh, sw, ph, pw, dh, dw):
    """Max pooling of an x without NaN. A window inside x reads its taps at
    precomputed offsets into the flat plane, one load and one `>` per tap; a window
    that overlaps the padding loops over its in-bounds taps only (_tap_ranges), so
    no tap needs a bounds test. Indices are unsigned (see _spans.py)."""
    n_batch, channels, height, width = x.shape
    out_h, out_w = y.shape[2], y.shape[3]
    rows = _tap_ranges(out_h, sh, ph, dh, height, kh)
    cols = _tap_ranges(out_w, sw, pw, dw, width, kw)
    offsets = np.empty(kh * kw, dtype=np.int64)
    for u in range(kh):
        for v in range(kw):
            offsets[u * kw + v] = u * dh * width + v * dw
    planes = x.reshape(n_batch, channels, height * width)
    for n in range(n_batch):
        for c in range(channels):
            plane = planes[n, c]
            for i in range(out_h):
                row_inside = rows[i, 0] == 0 and rows[i, 1] == kh
                for j in range(out_w):
                    # the first in-bounds tap starts the search: ties keep the first
                    corner = (i * sh - ph + rows[i, 0] * dh) * width + j * sw - pw + cols[j, 0] * dw
                    if row_inside and cols[j, 0] == 0 and cols[j, 1] == kw:
                        best, where = plane[uint64(corner)], corner
                        for tap in range(1, kh * kw):
                            value = plane[uint64(corner + offsets[tap])]
                            if value > best:
                                best, where = value, corner + offsets[tap]
                    else:
                        best, where = _border_max(plane, corner, rows[i, 1] - rows[i, 0],
                                                  cols[j, 1] - cols[j, 0], dh * width, dw)
                    y[n, c, i, j] = best
                    index[n, c, i, j] = where


@njit(nogil=True, cache=True)
def _border_max(plane, corner, tap_rows, tap_cols, row_step, col_step):
    """(max, flat index) over the tap_rows x tap_cols taps from `corner`; (-inf, -1)
    for a window with no tap inside the input (the ops layer rules those out)."""
    if tap_rows <= 0 or tap_cols <= 0:
        return -np.inf, -1
    best, where = plane[uint64(corner)], corner
    for u in range(tap_rows):
        for v in range(tap_cols):
            tap = corner + u * row_step + v * col_step
            value = plane[uint64(tap)]
            if value > best:
                best, where = value, tap
    return best, where


@njit(nogil=True, cache=True)
def _max_forward_nan(x, y, index, kh, kw, sh, sw, ph, pw, dh, dw):
    """_max_forward for an x with NaN: a NaN beats every number and the first NaN
    stays. The rule's second compare keeps the update a branch, mispredicted on
    random data, so this loop runs only when x has a NaN."""
    n_batch, channels, height, width = x.shape
    out_h, out_w = y.shape[2], y.shape[3]
    rows = _tap_ranges(out_h, sh, ph, dh, height, kh)
    cols = _tap_ranges(out_w, sw, pw, dw, width, kw)
    planes = x.reshape(n_batch, channels, height * width)
    for n in range(n_batch):
        for c in range(channels):
            plane = planes[n, c]
            for i in range(out_h):
                for j in range(out_w):
                    best, where = -np.inf, -1
                    corner = (i * sh - ph + rows[i, 0] * dh) * width + j * sw - pw + cols[j, 0] * dw
                    for u in range(rows[i, 1] - rows[i, 0]):
                        for v in range(cols[j, 1] - cols[j, 0]):
                            tap = corner + u * dh * width + v * dw
                            value = plane[uint64(tap)]
                            # `not value <= best`: larger, or NaN; once best is NaN it stays
                            if where < 0 or (best == best and not value <= best):
                                best, where = value, tap
                    y[n, c, i, j] = best
                    index[n, c, i, j] = where


def max_pool_forward(x, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w):
    """x (N, C, H, W) -> y (N, C, out_h, out_w) and index (same shape, int32 h*W + w).
    Every window must hold at least one pixel of x (the ops layer checks padding <=
    kernel / 2, as PyTorch does).  Twin: reference.pool.max_pool_forward."""
    if reference_mode_enabled():
        return reference.max_pool_forward(x, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w)
    n_batch, channels = x.shape[:2]
    y = np.empty((n_batch, channels, out_h, out_w), dtype=x.dtype)
    index = np.empty((n_batch, channels, out_h, out_w), dtype=np.int32)

    def task(start, stop):
        part = x[start:stop]
        # each chunk asks for itself, on its own thread, just before the kernel reads
        # the same memory: max() is NaN if any entry is
        kernel = _max_forward_nan if part.size and np.isnan(part.max()) else _max_forward
        kernel(part, y[start:stop], index[start:stop], kh, kw, sh, sw, ph, pw, dh, dw)

    _in_chunks(task, n_batch, x.size)
    return y, index


@njit(nogil=True, cache=True)
def _max_scatter(grad_y, index, dx):
    """dx = 0, then dx[n, c].flat[index] += grad_y, plane by plane: each plane is
    zeroed just before it is scattered into, while it is in cache (one pass over dx,
    not a zeroing pass and then a scattering pass)."""
    n_batch, channels, out_h, out_w = grad_y.shape
    planes = dx.reshape(n_batch, channels, -1)  # flat planes: no division per pixel
    for n in range(n_batch):
        for c in range(channels):
            plane = planes[n, c]
            plane[:] = 0
            for i in range(out_h):
                for j in range(out_w):
                    plane[index[n, c, i, j]] += grad_y[n, c, i, j]


def max_pool_scatter(grad_y, index, height, width):
    """dx[n, c].flat[index[n, c, i, j]] += grad_y[n, c, i, j].
    grad_y, index (N, C, h, w) -> dx (N, C, height, width).
    Twin: reference.pool.max_pool_scatter."""
    if reference_mode_enabled():
        return reference.max_pool_scatter(grad_y, index, height, width)
    dx = np.empty(grad_y.shape[:2] + (height, width), dtype=grad_y.dtype)

    def task(start, stop):  # _max_scatter zeroes each plane of dx as it goes
        _max_scatter(grad_y[start:stop], index[start:stop], dx[start:stop])

    _in_chunks(task, grad_y.shape[0], dx.size)
    return dx


@njit(nogil=True, cache=True)
def _max_gather(x, index, y):
    n_batch, channels, out_h, out_w = index.shape
    planes = x.reshape(n_batch, channels, -1)
    for n in range(n_batch):
        for c in range(channels):
            plane = planes[n, c]
            for i in range(out_h):
                for j in range(out_w):
                    y[n, c, i, j] = plane[index[n, c, i, j]]


def max_pool_gather(x, index):
    """y[n, c, i, j] = x[n, c].flat[index[n, c, i, j]].  x (N, C, H, W) -> y like index.
    Twin: reference.pool.max_pool_gather."""
    if reference_mode_enabled():
        return reference.max_pool_gather(x, index)
    y = np.empty(index.shape, dtype=x.dtype)

    def task(start, stop):
        _max_gather(x[start:stop], index[start:stop], y[start:stop])

    _in_chunks(task, x.shape[0], x.size)
    return y


# --------------------------------------------------------------------------- average pooling
@njit(nogil=True, cache=True)
def _avg_forward(x, divisor, y, kh, kw, sh, sw, ph, pw):
    """Each window's sum over its in-bounds taps, read by unsigned flat offsets
    (_max_forward explains both)."""
    n_batch, channels, height, width = x.shape
    out_h, out_w = divisor.shape
    rows = _tap_ranges(out_h, sh, ph, 1, height, kh)
    cols = _tap_ranges(out_w, sw, pw, 1, width, kw)
    planes = x.reshape(n_batch, channels, height * width)
    for n in range(n_batch):
        for c in range(channels):
            plane = planes[n, c]
            for i in range(out_h):
                for j in range(out_w):
                    corner = (i * sh - ph + rows[i, 0]) * width + j * sw - pw + cols[j, 0]
                    total = 0.0
                    for u in range(rows[i, 1] - rows[i, 0]):
                        for v in range(cols[j, 1] - cols[j, 0]):
                            total += plane[uint64(corner + u * width + v)]
                    y[n, c, i, j] = total / divisor[i, j]


def avg_pool_forward(x, divisor, kh, kw, sh, sw, ph, pw):
    """y[n, c, i, j] = sum of x[n, c] over window (i, j) clipped to the input,
    / divisor[i, j].  x (N, C, H, W), divisor (out_h, out_w) -> y (N, C, out_h, out_w).
    Twin: reference.pool.avg_pool_forward."""
    if reference_mode_enabled():
        return reference.avg_pool_forward(x, divisor, kh, kw, sh, sw, ph, pw)
    y = np.empty(x.shape[:2] + divisor.shape, dtype=x.dtype)

    def task(start, stop):
        _avg_forward(x[start:stop], divisor, y[start:stop], kh, kw, sh, sw, ph, pw)

    _in_chunks(task, x.shape[0], x.size)
    return y


@njit(nogil=True, cache=True)
def _avg_adjoint(grad_y, divisor, dx, kh, kw, sh, sw, ph, pw):
    """dx = 0, then every window's share added into it, plane by plane: each plane is
    zeroed just before it is added into, as in _max_scatter."""
    n_batch, channels, out_h, out_w = grad_y.shape
    height, width = dx.shape[2], dx.shape[3]
    rows = _tap_ranges(out_h, sh, ph, 1, height, kh)
    cols = _tap_ranges(out_w, sw, pw, 1, width, kw)
    planes = dx.reshape(n_batch, channels, height * width)
    for n in range(n_batch):
        for c in range(channels):
            plane = planes[n, c]
            plane[:] = 0
            for i in range(out_h):
                for j in range(out_w):
                    corner = (i * sh - ph + rows[i, 0]) * width + j * sw - pw + cols[j, 0]
                    share = grad_y[n, c, i, j] / divisor[i, j]
                    for u in range(rows[i, 1] - rows[i, 0]):
                        for v in range(cols[j, 1] - cols[j, 0]):
                            plane[uint64(corner + u * width + v)] += share


def avg_pool_adjoint(grad_y, divisor, height, width, kh, kw, sh, sw, ph, pw):
    """dx[n, c, h, w] = sum over windows (i, j) containing (h, w) of
    grad_y[n, c, i, j] / divisor[i, j].  grad_y (N, C, h, w) -> dx (N, C, height, width).
    Twin: reference.pool.avg_pool_adjoint."""
    if reference_mode_enabled():
        return reference.avg_pool_adjoint(grad_y, divisor, height, width, kh, kw, sh, sw, ph, pw)
    dx = np.empty(grad_y.shape[:2] + (height, width), dtype=grad_y.dtype)

    def task(start, stop):  # _avg_adjoint zeroes each plane of dx as it goes
        _avg_adjoint(grad_y[start:stop], divisor, dx[start:stop], kh, kw, sh, sw, ph, pw)

    _in_chunks(task, grad_y.shape[0], dx.size)
    return dx


# --------------------------------------------------------------------------- adaptive pooling
def averaging_matrix(size, out, dtype):
    """(out, size) matrix whose row i averages the inputs floor(i*size/out) ..
    ceil((i+1)*size/out) - 1."""
    matrix = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, stop = i * size // out, math.ceil((i + 1) * size / out)
        matrix[i, start:stop] = 1.0 / (stop - start)
    return matrix


def adaptive_avg_pool_forward(x, out_size):
    """Adaptive average pooling as two products, the row and column windows being
    independent:  y = P_H @ x @ P_W^T,  P_H (H_out, H), P_W (W_out, W) from
    averaging_matrix.  x (N, C, H, W) -> (N, C, *out_size).
    Twin: reference.pool.adaptive_avg_pool_forward (the window as a loop)."""
    if reference_mode_enabled():
        return reference.adaptive_avg_pool_forward(x, out_size)
    rows = averaging_matrix(x.shape[2], out_size[0], x.dtype)
    cols = averaging_matrix(x.shape[3], out_size[1], x.dtype)
    return np.matmul(np.matmul(rows, x), cols.T)


def adaptive_avg_pool_adjoint(grad_y, in_size):
    """The adjoint of adaptive_avg_pool_forward:  dx = P_H^T @ dy @ P_W.
    grad_y (N, C, H_out, W_out) -> dx (N, C, *in_size).
    Twin: reference.pool.adaptive_avg_pool_adjoint."""
    if reference_mode_enabled():
        return reference.adaptive_avg_pool_adjoint(grad_y, in_size)
    rows = averaging_matrix(in_size[0], grad_y.shape[2], grad_y.dtype)
    cols = averaging_matrix(in_size[1], grad_y.shape[3], grad_y.dtype)
    return np.matmul(np.matmul(rows.T, grad_y), cols)
