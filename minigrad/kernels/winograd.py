"""Winograd's minimal filtering for 3x3 convolutions with stride 1: F(2x2, 3x3).

Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural Networks" (CVPR).
Cut the output into 2x2 tiles; each reads a 4x4 patch d of the padded input.
With the 3x3 kernel g,

    y_tile = A^T [ (G g G^T) (.) (B^T d B) ] A          ((.) elementwise, 4x4)

          [1  0 -1  0]          [ 1    0    0 ]
    B^T = [0  1  1  0]      G = [1/2  1/2  1/2]      A^T = [1  1  1  0]
          [0 -1  1  0]          [1/2 -1/2  1/2]            [0  1 -1 -1]
          [0  1  0 -1]          [ 0    0    1 ]

Summed over input channels, the elementwise product becomes 16 matrix products,
one per position xi of the 4x4 tile:

    M[xi] (O, T) = U[xi] (O, C) @ V[xi] (C, T),   U = G g G^T,  V = B^T d B,

with T the number of tiles. That is 16 multiply-adds per 4 outputs per (o, c)
instead of 36: 2.25x less GEMM work than im2col, for the price of the two
transforms, which are additions only.

The weight gradient follows by linearity: with dM = A dY A^T per tile (dY the 2x2
tile of the output gradient, zero past the edge), dU[xi] = dM[xi] @ V[xi]^T and
dg = G^T dU G. The input gradient of a stride-1 convolution is itself a stride-1
convolution (flipped kernel), so conv.py sends it here too.

Shapes: x (N, C, H, W), w (O, C, 3, 3), padding (ph, pw) -> y (N, O, H + 2ph - 2,
W + 2pw - 2). Groups and dilation are not handled here (conv.py keeps them on the
im2col path). In float32 the result differs from the direct sum by rounding only
(a few ulps; the transforms have entries 0, +-1 and +-1/2).

conv2d and weight_grad check reference mode first; their twins, the same
matrices applied tile by tile, are in minigrad.reference.winograd.
"""

import numpy as np

from minigrad._mode import reference_mode_enabled
from minigrad.kernels._lazy import njit
from minigrad.kernels._spans import pad_planes
from minigrad.kernels._threads import batch_chunks, run_chunks
from minigrad.reference import winograd as reference

CHUNK_BYTES = 2 << 20  # V of one chunk near this size (L2-sized blocks for the GEMMs)


# The three tile transforms below apply a 1-D transform down the columns of a tile,
# then along its rows, on scalars held in registers: faster than through a small
# scratch array, which would go through memory.
@njit(nogil=True, inline="always")
def _b_t(d0, d1, d2, d3):
    """B^T d for a 4-vector d (the input transform along one axis)."""
    return d0 - d2, d1 + d2, d2 - d1, d1 - d3


@njit(nogil=True, inline="always")
def _a_t(m0, m1, m2, m3):
    """A^T m for a 4-vector m (the output transform along one axis): 4 -> 2."""
    return m0 + m1 + m2, m1 - m2 - m3


@njit(nogil=True, inline="always")
def _a(y0, y1):
    """A y for a 2-vector y (the adjoint of _a_t): 2 -> 4."""
    return y0, y0 + y1, y0 - y1, -y1


@njit(nogil=True, cache=True)
def input_transform(x_pad, tiles_h, tiles_w, v):
    """V[4p + q, c, t] = (B^T d B)[p, q] for the 4x4 patch d at (2i, 2j) of tile
    t = (n*tiles_h + i)*tiles_w + j.  x_pad (N, C, >= 2*tiles_h + 2, >= 2*tiles_w + 2)
    -> v (16, C, >= N*tiles_h*tiles_w), written in place and returned."""
    n_batch, channels = x_pad.shape[:2]
    per_sample = tiles_h * tiles_w
    for n in range(n_batch):
        for c in range(channels):
            plane = x_pad[n, c]
            for i in range(tiles_h):
                r0, r1, r2, r3 = plane[2 * i], plane[2 * i + 1], plane[2 * i + 2], plane[2 * i + 3]
                for j in range(tiles_w):
                    w, t = 2 * j, n * per_sample + i * tiles_w + j
                    col0 = _b_t(r0[w], r1[w], r2[w], r3[w])  # column q of B^T d
                    col1 = _b_t(r0[w + 1], r1[w + 1], r2[w + 1], r3[w + 1])
                    col2 = _b_t(r0[w + 2], r1[w + 2], r2[w + 2], r3[w + 2])
                    col3 = _b_t(r0[w + 3], r1[w + 3], r2[w + 3], r3[w + 3])
                    for p in range(4):
                        row = _b_t(col0[p], col1[p], col2[p], col3[p])  # row p of B^T d B
                        for q in range(4):
                            v[4 * p + q, c, t] = row[q]
    return v


@njit(nogil=True, cache=True)
def output_transform(m, bias, y, tiles_h, tiles_w):
    """y[n, o, 2i + a, 2j + b] = (A^T M A)[a, b] + bias[o] for tile t of m (16, O, T),
    dropping the row / column past an odd output edge.  y (N, O, H_out, W_out)."""
    n_batch, channels, out_h, out_w = y.shape
    per_sample = tiles_h * tiles_w
    for n in range(n_batch):
        for o in range(channels):
            for i in range(tiles_h):
                for j in range(tiles_w):
                    t = n * per_sample + i * tiles_w + j
                    col0 = _a_t(m[0, o, t], m[4, o, t], m[8, o, t], m[12, o, t])  # A^T M
                    col1 = _a_t(m[1, o, t], m[5, o, t], m[9, o, t], m[13, o, t])
                    col2 = _a_t(m[2, o, t], m[6, o, t], m[10, o, t], m[14, o, t])
                    col3 = _a_t(m[3, o, t], m[7, o, t], m[11, o, t], m[15, o, t])
                    top = _a_t(col0[0], col1[0], col2[0], col3[0])  # rows of A^T M A
                    bottom = _a_t(col0[1], col1[1], col2[1], col3[1])
                    h, w = 2 * i, 2 * j
                    y[n, o, h, w] = top[0] + bias[o]
                    if w + 1 < out_w:
                        y[n, o, h, w + 1] = top[1] + bias[o]
                    if h + 1 < out_h:
                        y[n, o, h + 1, w] = bottom[0] + bias[o]
                        if w + 1 < out_w:
                            y[n, o, h + 1, w + 1] = bottom[1] + bias[o]


@njit(nogil=True, cache=True)
def gradient_transform(g, tiles_h, tiles_w, dm):
    """dM[4p + q, o, t] = (A dY A^T)[p, q] for the 2x2 tile dY of g at (2i, 2j), zero
    past the edge (the adjoint of output_transform).  g (N, O, H_out, W_out)
    -> dm (16, O, >= N*tiles_h*tiles_w), written in place and returned."""
    n_batch, channels, out_h, out_w = g.shape
    per_sample = tiles_h * tiles_w
    zero = g.dtype.type(0)
    for n in range(n_batch):
        for o in range(channels):
            for i in range(tiles_h):
                for j in range(tiles_w):
                    t = n * per_sample + i * tiles_w + j
                    h, w = 2 * i, 2 * j
                    g00 = g[n, o, h, w]
                    g01 = g[n, o, h, w + 1] if w + 1 < out_w else zero
                    g10 = g[n, o, h + 1, w] if h + 1 < out_h else zero
                    g11 = g[n, o, h + 1, w + 1] if h + 1 < out_h and w + 1 < out_w else zero
                    col0, col1 = _a(g00, g10), _a(g01, g11)  # column b of A dY
                    for p in range(4):
                        row = _a(col0[p], col1[p])  # row p of A dY A^T
                        for q in range(4):
                            dm[4 * p + q, o, t] = row[q]
    return dm


@njit(nogil=True, cache=True)
def filter_transform(w, u):
    """U[4p + q, o, c] = (G w[o, c] G^T)[p, q]:  w (O, C, 3, 3) -> u (16, O, C),
    written in place and returned."""
    out_channels, channels = w.shape[:2]
    rows = np.empty((4, 3), dtype=w.dtype)  # G w
    for o in range(out_channels):
        for c in range(channels):
            for b in range(3):
                w0, w1, w2 = w[o, c, 0, b], w[o, c, 1, b], w[o, c, 2, b]
                rows[0, b], rows[1, b] = w0, 0.5 * (w0 + w1 + w2)
                rows[2, b], rows[3, b] = 0.5 * (w0 - w1 + w2), w2
            for p in range(4):
                r0, r1, r2 = rows[p, 0], rows[p, 1], rows[p, 2]
                u[4 * p, o, c], u[4 * p + 1, o, c] = r0, 0.5 * (r0 + r1 + r2)
                u[4 * p + 2, o, c], u[4 * p + 3, o, c] = 0.5 * (r0 - r1 + r2), r2
    return u


@njit(nogil=True, cache=True)
def filter_gradient(du):
    """dw[o, c] = G^T dU[:, o, c] G (the adjoint of filter_transform):
    du (16, O, C) -> dw (O, C, 3, 3)."""
    out_channels, channels = du.shape[1:]
    dw = np.empty((out_channels, channels, 3, 3), dtype=du.dtype)
    cols = np.empty((3, 4), dtype=du.dtype)  # G^T dU
    for o in range(out_channels):
        for c in range(channels):
            for q in range(4):
                d0, d1, d2, d3 = du[q, o, c], du[4 + q, o, c], du[8 + q, o, c], du[12 + q, o, c]
                cols[0, q] = d0 + 0.5 * (d1 + d2)
                cols[1, q] = 0.5 * (d1 - d2)
                cols[2, q] = 0.5 * (d1 + d2) + d3
            for a in range(3):
                e0, e1, e2, e3 = cols[a, 0], cols[a, 1], cols[a, 2], cols[a, 3]
                dw[o, c, a, 0] = e0 + 0.5 * (e1 + e2)
                dw[o, c, a, 1] = 0.5 * (e1 - e2)
                dw[o, c, a, 2] = 0.5 * (e1 + e2) + e3
    return dw


def _planes(rows, length, dtype):
    """An empty (16, rows, length) array, each plane C-contiguous, the planes spaced
    so that they do not start on the same cache sets. The transforms touch all 16
    planes at once; with a plane size that is a multiple of 4 KB (64 channels x 256
    tiles) the 16 streams would share one L1 set and evict each other."""
    itemsize = np.dtype(dtype).itemsize
    lines = -(-rows * length * itemsize // 64)  # whole 64-byte cache lines per plane
    lines += 1 - lines % 2  # odd: the 16 planes then start in 16 different cache sets
    spacing = lines * 64 // itemsize
    buffer = np.empty(16 * spacing, dtype=dtype)
    return np.lib.stride_tricks.as_strided(
        buffer, (16, rows, length), (spacing * itemsize, length * itemsize, itemsize))


def _tiles(height, width, padding):
    out_h, out_w = height + 2 * padding[0] - 2, width + 2 * padding[1] - 2
    return (out_h, out_w), (-(-out_h // 2), -(-out_w // 2))


def _chunks(n_batch, bytes_per_sample):
    return batch_chunks(n_batch, bytes_per_sample, CHUNK_BYTES)


def conv2d(x, w, bias, padding):
    """y = conv2d(x, w) + bias, 3x3 kernel, stride 1, no groups or dilation.
    x (N, C, H, W), w (O, C, 3, 3), bias (O,) -> y (N, O, H + 2ph - 2, W + 2pw - 2).
    Twin: reference.winograd.conv2d (the matrices, tile by tile)."""
    if reference_mode_enabled():
        return reference.conv2d(x, w, bias, padding)
    n_batch, channels, height, width = x.shape
    (out_h, out_w), (tiles_h, tiles_w) = _tiles(height, width, padding)
    u = filter_transform(w, _planes(w.shape[0], channels, x.dtype))
    y = np.empty((n_batch, w.shape[0], out_h, out_w), dtype=x.dtype)

    def task(start, stop):
        tiles = (stop - start) * tiles_h * tiles_w
        x_pad = pad_planes(x[start:stop], padding[0], padding[1], 2 * tiles_h + 2, 2 * tiles_w + 2)
        v = input_transform(x_pad, tiles_h, tiles_w, _planes(channels, tiles, x.dtype))
        m = np.matmul(u, v, out=_planes(u.shape[1], tiles, x.dtype))
        output_transform(m, bias, y[start:stop], tiles_h, tiles_w)

    run_chunks(task, _chunks(n_batch, 16 * channels * tiles_h * tiles_w * x.itemsize))
    return y


def weight_grad(x, g, padding):
    """dL/dw of conv2d(x, w) (3x3, stride 1) from g = dL/dy (N, O, H_out, W_out)
    -> (O, C, 3, 3):  dU[xi] = sum over tiles dM[xi] V[xi]^T,  dw = G^T dU G.
    Twin: reference.winograd.weight_grad."""
    if reference_mode_enabled():
        return reference.weight_grad(x, g, padding)
    n_batch, channels, height, width = x.shape
    _, (tiles_h, tiles_w) = _tiles(height, width, padding)

    def task(start, stop):
        tiles = (stop - start) * tiles_h * tiles_w
        x_pad = pad_planes(x[start:stop], padding[0], padding[1], 2 * tiles_h + 2, 2 * tiles_w + 2)
        v = input_transform(x_pad, tiles_h, tiles_w, _planes(channels, tiles, x.dtype))
        dm = gradient_transform(g[start:stop], tiles_h, tiles_w,
                                _planes(g.shape[1], tiles, x.dtype))
        return np.matmul(dm, v.transpose(0, 2, 1))  # (16, O, C)

    per_sample = 16 * (channels + g.shape[1]) * tiles_h * tiles_w * x.itemsize
    grad_u = np.zeros((16, g.shape[1], channels), dtype=x.dtype)
    for partial_sum in run_chunks(task, _chunks(n_batch, per_sample)):  # none if N = 0
        grad_u += partial_sum
    return filter_gradient(grad_u)
