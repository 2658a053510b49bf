"""Matrix products: BLAS split between minigrad's threads, and Numba for the shapes
BLAS handles badly. NumPy in, NumPy out.

Large products go to BLAS through np.matmul: OpenBLAS's blocked, vectorised GEMM
(Goto & van de Geijn 2008, "Anatomy of high-performance matrix multiplication")
is far faster than any loop we could write here. Until minigrad's own threads
first run, `matmul` leaves a product to OpenBLAS and its threads; from then on it
holds BLAS to one thread and cuts a very large product into row (or column) blocks
of the result, one per minigrad thread (minigrad.kernels._threads says why).
Two cases are different:

- a batch of tiny matrices, c[p] = a[p] @ b[p] with n, k, m up to 4 (rotations,
  2x2 Jacobians, small-state recurrences): np.matmul pays a fixed cost per
  matrix that is larger than the few dozen multiply-adds of the matrix itself.
  One compiled loop over the batch removes that cost.
- y = x @ w^T + b with a small inner dimension k (2-D toy data into an MLP, a
  narrow bottleneck): the product is then limited by memory, not arithmetic, and
  adding b afterwards is a second full pass over y. The fused kernel writes every
  y[i, j] once.

Both loops are the textbook sums. Compiled lazily, once per float dtype, cached
on disk. Each public function checks reference mode first; the twins, the sums
one entry at a time, are in minigrad.reference.matmul.
"""

import numpy as np

from minigrad._mode import reference_mode_enabled
from minigrad.kernels._lazy import launch_parallel_threads, njit, prange
from minigrad.kernels._threads import blas_may_thread, get_num_threads, run_chunks, split
from minigrad.reference import matmul as reference

# the fast paths pay off only up to these sizes (benchmarks/bench_matmul.py)
TINY_MATRIX = 4          # n, k, m <= 4 for the batched kernel ...
TINY_MIN_BATCH = 1024    # ... and at least this many matrices
FUSED_MAX_INNER = 3      # k <= 3 for the fused bias kernel
# OpenBLAS threads a GEMM once n*k*m > 4 * 65536 (its GEMM_MULTITHREAD_THRESHOLD);
# from a quarter of that we hold it to one thread (no spinning workers afterwards).
# Splitting a product between our threads pays only from 2^25 multiply-adds: below,
# the hand-off and the second copy of the shared operand cost more than the second
# core gives (benchmarks/bench_matmul.py).
SERIAL_BLAS_MIN_WORK = 1 << 16
SPLIT_MIN_WORK = 1 << 25
SPLIT_ALIGN = 16         # block boundaries on whole vector widths


def matmul(a, b):
    """np.matmul(a, b) for a (..., n, k), b (..., k, m) -> (..., n, m). Once the
    crew has run (_threads.blas_may_thread is False), a float product runs on
    single-threaded BLAS, from 2^25 multiply-adds as blocks of rows of the result
    (when n >= m) or of columns, one per thread.  Twin: reference.matmul.matmul."""
    if reference_mode_enabled():
        return reference.matmul(a, b)
    if a.ndim < 2 or b.ndim < 2:
        return np.matmul(a, b)
    n, k, m = a.shape[-2], a.shape[-1], b.shape[-1]
    work = n * k * m
    if work < SERIAL_BLAS_MIN_WORK or a.dtype != b.dtype or a.dtype.kind != "f" \
            or blas_may_thread():
        return np.matmul(a, b)
    out = np.empty(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (n, m), dtype=a.dtype)
    pieces = get_num_threads() if work >= SPLIT_MIN_WORK else 1

    def rows(start, stop):
        np.matmul(a[..., start:stop, :], b, out=out[..., start:stop, :])

    def columns(start, stop):
        np.matmul(a, b[..., start:stop], out=out[..., start:stop])

    if n >= m:
        run_chunks(rows, split(n, pieces, SPLIT_ALIGN))
    else:
        run_chunks(columns, split(m, pieces, SPLIT_ALIGN))
    return out


def batched_matmul(a, b):
    """c[p, i, j] = sum_q a[p, i, q] * b[p, q, j].  a (P, n, k), b (P, k, m) -> c (P, n, m),
    one compiled loop over the batch.  Twin: reference.matmul.batched_matmul."""
    if reference_mode_enabled():
        return reference.batched_matmul(a, b)
    launch_parallel_threads()  # once: Numba's thread pool, with OpenMP waiting passively
    return _batched_matmul_loop(a, b)


@njit(parallel=True, cache=True)
def _batched_matmul_loop(a, b):
    batch, n, k = a.shape
    m = b.shape[2]
    c = np.empty((batch, n, m), dtype=a.dtype)
    for p in prange(batch):
        for i in range(n):
            for j in range(m):
                total = a[p, i, 0] * b[p, 0, j]
                for q in range(1, k):
                    total += a[p, i, q] * b[p, q, j]
                c[p, i, j] = total
    return c


def linear_fused(x, w_t, bias):
    """y[i, :] = bias + sum_q x[i, q] * w_t[q, :].  x (n, k), w_t = W^T (k, m), bias (m,)
    -> y (n, m).  Twin: reference.matmul.linear_fused.

    Row i of y is built as bias plus k scaled rows of W^T: the innermost loop runs
    along contiguous rows, so it vectorises. Serial on purpose: the loop is limited
    by memory, and a second thread only adds start-up cost.
    """
    if reference_mode_enabled():
        return reference.linear_fused(x, w_t, bias)
    return _linear_fused_loop(x, w_t, bias)


@njit(cache=True)
def _linear_fused_loop(x, w_t, bias):
    n, k = x.shape
    m = w_t.shape[1]
    y = np.empty((n, m), dtype=x.dtype)
    for i in range(n):
        for j in range(m):
            y[i, j] = bias[j]
        for q in range(k):
            scale = x[i, q]
            for j in range(m):
                y[i, j] += scale * w_t[q, j]
    return y


def use_batched_kernel(a_shape, b_shape):
    """True when c = a @ b is a big batch of tiny matrices with the same batch shape."""
    if len(a_shape) < 3 or a_shape[:-2] != b_shape[:-2]:
        return False
    n, k, m = a_shape[-2], a_shape[-1], b_shape[-1]
    return max(n, k, m) <= TINY_MATRIX and int(np.prod(a_shape[:-2])) >= TINY_MIN_BATCH


def use_fused_linear(x_shape, w_shape):
    """True when y = x W^T + b has a 2-D x with a small inner dimension."""
    return len(x_shape) == 2 and x_shape[1] <= FUSED_MAX_INNER


# the old names of the twins, for the tests that import them from here
matmul_naive = reference.batched_matmul


def linear_naive(x, w, bias):
    """reference.matmul.linear_fused for w (m, k) rather than W^T."""
    return reference.linear_fused(x, w.T, bias)
