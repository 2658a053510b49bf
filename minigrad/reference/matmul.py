"""Matrix products by their definition. Twins of minigrad.kernels.matmul, same names
and signatures.

    c[i, j] = sum_q a[i, q] b[q, j]
"""

import numpy as np

__all__ = ["matmul", "batched_matmul", "linear_fused"]


def matmul(a, b):
    """np.matmul(a, b), one call: mirrors kernels.matmul.matmul, which only splits the
    same product between threads.  a (..., n, k), b (..., k, m) -> (..., n, m)."""
    return np.matmul(a, b)


def batched_matmul(a, b):
    """c[p, i, j] = sum_q a[p, i, q] * b[p, q, j], one entry at a time. Mirrors
    kernels.matmul.batched_matmul.  a (P, n, k), b (P, k, m) -> c (P, n, m)."""
    batch, n, k = a.shape
    m = b.shape[2]
    c = np.zeros((batch, n, m), dtype=np.result_type(a, b))
    for p in range(batch):
        for i in range(n):
            for j in range(m):
                c[p, i, j] = sum(a[p, i, q] * b[p, q, j] for q in range(k))
    return c


def linear_fused(x, w_t, bias):
    """y[i, :] = bias + sum_q x[i, q] * w_t[q, :], row by row. Mirrors
    kernels.matmul.linear_fused.  x (n, k), w_t = W^T (k, m), bias (m,) -> y (n, m)."""
    y = np.empty((x.shape[0], w_t.shape[1]), dtype=np.result_type(x, w_t, bias))
    for i in range(x.shape[0]):
        y[i] = bias + sum(x[i, q] * w_t[q] for q in range(x.shape[1]))
    return y
