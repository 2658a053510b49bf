"""Compiled kernels and their textbook references. NumPy arrays in and out; no Tensor.

    conv.py     im2row / row2im packing around a BLAS GEMM (convolution)
    pool.py     max and average pooling, forward and adjoint
    matmul.py   a Numba GEMM for batches of small matrices (+ fused bias)
    naive.py    the same computations as plain loops, for tests and for reading
    special.py  erf (owned by the layers issue)

Every kernel is `@njit(cache=True)` without signatures: nothing compiles when
minigrad is imported; the first call compiles once per dtype and the machine code
is cached on disk. Numba writes that cache next to the source (`__pycache__`)
and, when the package directory is read-only (a system-wide install), falls back
to a per-user directory (`$NUMBA_CACHE_DIR`, else `~/.cache/numba`); the tests
check both cases, so nothing needs configuring here.
"""
