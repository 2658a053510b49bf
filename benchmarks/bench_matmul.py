"""Matrix products: BLAS (np.matmul) against minigrad's Numba kernels.

    python benchmarks/bench_matmul.py [--repeats 20] [--rounds 3]

Three groups, forward only (the op's forward is what the kernels replace), best of
`--repeats` (and of `--rounds` passes through the table) in milliseconds:
  1. large GEMMs: BLAS vs the Numba batched kernel used as a plain GEMM (batch 1),
     to show why big products stay on BLAS (GFLOP/s printed);
  2. batches of small matrices: np.matmul vs kernels.batched_matmul, the sizes
     around the dispatch threshold (kernels.TINY_MATRIX);
  3. y = x W^T + b: np.matmul then add vs kernels.linear_fused (what
     minigrad.ops.linalg.linear runs), small and large inner dimensions
     (threshold kernels.FUSED_MAX_INNER).
The last column says which one minigrad's matmul/linear runs for that shape.

Run with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset to measure BLAS at its best:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_matmul.py
"""

import argparse
import time

import numpy as np
from _timing import settle

from minigrad.kernels import matmul as kernels


def best_time(fn, operands, repeats):
    """Best wall time of fn(*operands) over `repeats` runs after one warm-up, in ms."""
    settle()
    fn(*operands)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*operands)
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def blas_linear(x, w, w_t, bias):
    return np.matmul(x, w.T) + bias


def numba_linear(x, w, w_t, bias):
    return kernels.linear_fused(x, w_t, bias)


def cases(r):
    """(section, label, blas_fn, numba_fn, operands, path minigrad takes, flops)."""
    out = []
    for n in (256, 512, 1024):
        ab = [r.standard_normal((1, n, n), dtype=np.float32) for _ in range(2)]
        out.append(("large GEMM (n x k) @ (k x m)", f"{n} x {n} x {n}", np.matmul,
                    kernels.batched_matmul, ab, "BLAS", 2.0 * n ** 3))
    for batch, n, dtype in [(100000, 2, np.float32), (100000, 2, np.float64),
                            (50000, 3, np.float32), (50000, 3, np.float64),
                            (20000, 4, np.float32), (8192, 8, np.float32),
                            (1024, 16, np.float32), (100, 2, np.float32)]:
        ab = [r.standard_normal((batch, n, n)).astype(dtype) for _ in range(2)]
        chosen = "Numba" if kernels.use_batched_kernel(ab[0].shape, ab[1].shape) else "BLAS"
        out.append(("batch of small matrices (P, n, n) @ (P, n, n)",
                    f"{batch} x ({n}x{n}) {np.dtype(dtype).name}", np.matmul,
                    kernels.batched_matmul, ab, chosen, None))
    for n, k, m, dtype in [(10000, 2, 64, np.float32), (10000, 2, 64, np.float64),
                           (100000, 2, 16, np.float32), (2000, 3, 32, np.float32),
                           (10000, 4, 64, np.float32),
                           (10000, 8, 64, np.float32), (10000, 16, 64, np.float32),
                           (256, 64, 64, np.float32), (256, 784, 128, np.float32),
                           (64, 2, 16, np.float32)]:
        x = r.standard_normal((n, k)).astype(dtype)
        w = r.standard_normal((m, k)).astype(dtype)
        operands = (x, w, np.ascontiguousarray(w.T), r.standard_normal(m).astype(dtype))
        chosen = "Numba" if kernels.use_fused_linear(x.shape, w.shape) else "BLAS"
        out.append(("fused bias y = x W^T + b, x (n, k), W (m, k)",
                    f"n={n} k={k} m={m} {np.dtype(dtype).name}", blas_linear, numba_linear,
                    operands, chosen, None))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    table = cases(np.random.default_rng(0))
    best = [[float("inf")] * 2 for _ in table]
    for _ in range(args.rounds):  # best over rounds: each side keeps its quietest moment
        for times, (_, _, blas_fn, numba_fn, operands, _, flops) in zip(best, table):
            slow = flops is not None and flops > 1e8  # the Numba GEMM takes seconds there
            times[0] = min(times[0], best_time(blas_fn, operands, args.repeats))
            times[1] = min(times[1], best_time(numba_fn, operands,
                                               3 if slow else args.repeats))
    print(f"{'case':34s} {'BLAS ms':>9s} {'Numba ms':>9s} {'speedup':>9s}  minigrad uses")
    section = None
    for (blas_ms, numba_ms), (title, label, _, _, _, chosen, flops) in zip(best, table):
        if title != section:
            print("-- " + title)
            section = title
        speed = "" if flops is None else \
            f"  BLAS {flops / blas_ms / 1e6:6.1f} GFLOP/s, Numba {flops / numba_ms / 1e6:6.1f}"
        print(f"{label:34s} {blas_ms:9.3f} {numba_ms:9.3f} {blas_ms / numba_ms:8.2f}x  "
              f"{chosen:6s}{speed}")

if __name__ == "__main__":
    main()
