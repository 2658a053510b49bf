"""Winograd's F(2x2, 3x3) written with its matrices, one 2x2 output tile at a time.

Twins of minigrad.kernels.winograd (Lavin & Gray 2016, "Fast Algorithms for
Convolutional Neural Networks"), same names and signatures. For the 4x4 patch d
of the padded input under a tile and the 3x3 kernel g of channels (o, c):

    y_tile = A^T [ sum_c (G g G^T) (.) (B^T d B) ] A          ((.) elementwise)

and, with dY the 2x2 tile of the output gradient (zero past the edge),

    dU[o, c] = sum over tiles (A dY A^T) (.) (B^T d B),    dg = G^T dU G.
"""

import numpy as np

__all__ = ["B_T", "G", "A_T", "conv2d", "weight_grad"]

B_T = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64)
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=np.float64)
A_T = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64)


def _tiled_input(x, padding):
    """x zero-padded by `padding` and up to whole 2x2 output tiles; the output size
    and the tile counts."""
    n_batch, channels, height, width = x.shape
    out_h, out_w = height + 2 * padding[0] - 2, width + 2 * padding[1] - 2
    tiles_h, tiles_w = -(-out_h // 2), -(-out_w // 2)
    x_pad = np.zeros((n_batch, channels, 2 * tiles_h + 2, 2 * tiles_w + 2), dtype=x.dtype)
    x_pad[:, :, padding[0]:padding[0] + height, padding[1]:padding[1] + width] = x
    return x_pad, (out_h, out_w), (tiles_h, tiles_w)


def conv2d(x, w, bias, padding):
    """y = conv2d(x, w) + bias, 3x3 kernel, stride 1, tile by tile. Mirrors
    kernels.winograd.conv2d.  x (N, C, H, W), w (O, C, 3, 3), bias (O,)
    -> y (N, O, H + 2ph - 2, W + 2pw - 2)."""
    x_pad, (out_h, out_w), (tiles_h, tiles_w) = _tiled_input(x, padding)
    u = G @ w @ G.T  # (O, C, 4, 4): every kernel transformed once
    y = np.zeros((x.shape[0], w.shape[0], 2 * tiles_h, 2 * tiles_w), dtype=x.dtype)
    for n in range(x.shape[0]):
        for i in range(tiles_h):
            for j in range(tiles_w):
                d = x_pad[n, :, 2 * i:2 * i + 4, 2 * j:2 * j + 4]  # (C, 4, 4)
                v = B_T @ d @ B_T.T
                m = (u * v).sum(axis=1)  # (O, 4, 4): the sum over input channels
                y[n, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2] = A_T @ m @ A_T.T
    return y[:, :, :out_h, :out_w] + bias.reshape(1, -1, 1, 1)


def weight_grad(x, g, padding):
    """dL/dw of conv2d(x, w) (3x3, stride 1) from g = dL/dy, tile by tile. Mirrors
    kernels.winograd.weight_grad.  x (N, C, H, W), g (N, O, H_out, W_out) -> (O, C, 3, 3)."""
    x_pad, (out_h, out_w), (tiles_h, tiles_w) = _tiled_input(x, padding)
    g_tiles = np.zeros(g.shape[:2] + (2 * tiles_h, 2 * tiles_w), dtype=g.dtype)
    g_tiles[:, :, :out_h, :out_w] = g
    grad_u = np.zeros((g.shape[1], x.shape[1], 4, 4), dtype=x.dtype)
    for n in range(x.shape[0]):
        for i in range(tiles_h):
            for j in range(tiles_w):
                d = x_pad[n, :, 2 * i:2 * i + 4, 2 * j:2 * j + 4]
                v = B_T @ d @ B_T.T  # (C, 4, 4)
                dm = A_T.T @ g_tiles[n, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2] @ A_T  # (O, 4, 4)
                grad_u += dm[:, None] * v[None, :]
    return (G.T @ grad_u @ G).astype(x.dtype, copy=False)
