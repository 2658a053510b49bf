"""Compiled kernels and their textbook references. NumPy arrays in and out; no Tensor.

    conv.py     im2col / col2im packing around a BLAS GEMM (convolution)
    pool.py     max and average pooling, forward and adjoint
    matmul.py   a Numba GEMM for batches of tiny matrices
    naive.py    the same computations as plain loops, for tests and for reading
    special.py  erf (owned by the layers issue)

Compilation. Every kernel is `@njit(cache=True)` without signatures: nothing
compiles when minigrad is imported; the first call compiles once per dtype and
the machine code is cached on disk. Numba writes that cache next to the source
(`__pycache__`) and, when the package directory is read-only (a system-wide
install), falls back to a per-user directory (`$NUMBA_CACHE_DIR`, else
`~/.cache/numba`); tests/kernels/test_compile.py checks both cases.

Threads. `parallel=True` kernels run on Numba's OpenMP thread pool. By default
OpenMP threads spin at every barrier; on a small machine shared with other work
(or with OpenBLAS's own spinning threads after a GEMM) a spinning thread can hold
the core the last worker needs, and each kernel call then waits a whole
scheduler time slice: we measured 8-24 ms per call, even for a 2x2 max-pool on a
tiny array, on the 2-core machine this was written on, against 0.01-0.4 ms with
passive waiting. So unless the user chose otherwise, we ask OpenMP to wait
passively. The OpenMP runtime reads this once, when it is loaded, which Numba
does at the first parallel call; importing minigrad comes first in practice
(it does not help if torch was imported before minigrad: torch loads it).
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
