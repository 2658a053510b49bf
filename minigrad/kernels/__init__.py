"""Compiled kernels and their textbook references. NumPy arrays in and out; no Tensor.

    conv.py     im2col / col2im packing around a BLAS GEMM (convolution)
    winograd.py F(2x2, 3x3) for 3x3 stride-1 convolutions with many channels
    pool.py     max and average pooling, forward and adjoint
    norm.py     batch-norm statistics, normalisation and its closed-form backward
    matmul.py   batches of tiny matrices, and x W^T + b with a small inner dimension
    naive.py    the old names of the textbook loops (now in minigrad.reference)
    _threads.py minigrad's threads: chunks of work, each with a single-threaded BLAS
    _spans.py   in-bounds tap ranges, and span copies on unsigned offsets (why: there)
    special.py  erf, and relu as a branch-free compiled loop

Compilation. Every kernel is `@njit(cache=True)` without signatures, through
_lazy.py: importing minigrad imports neither Numba nor compiles anything; the
first kernel call imports Numba (and applies minigrad's process-wide settings,
see minigrad.show_config()), then each kernel compiles on its first call, once
per dtype, and the machine code is cached on disk. Numba writes that cache next to
the source (`__pycache__`) and, when the package directory is read-only (a
system-wide install), falls back to a per-user directory (`$NUMBA_CACHE_DIR`, else
`~/.cache/numba`). If neither is writable (a read-only install run by a user
without a writable home, e.g. in a container), Numba would refuse to define the
kernels at all, so _lazy then points its cache at a per-user temporary directory.
tests/kernels/test_compile.py checks all three cases as an unprivileged user.

Reference mode. Every public kernel checks `minigrad.reference_mode_enabled()` on
its first line and then runs its textbook twin, the function of the same name in
minigrad.reference (plain NumPy loops, for reading and for checking).

Threads. conv, pool and large matmuls split their work between minigrad's own
threads, each calling BLAS single-threaded (_threads.py says why;
`minigrad.set_num_threads`). matmul's batched kernel is `parallel=True` and runs
on Numba's OpenMP thread pool, started with a passive wait policy
(_lazy.launch_parallel_threads says why, and why the environment is left as found).
"""
