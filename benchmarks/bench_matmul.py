"""Matrix products: BLAS (np.matmul) against minigrad's Numba kernels.

    python benchmarks/bench_matmul.py [--repeats 20]

Three groups, forward only (the op's forward is what the kernels replace), best of
`--repeats` in milliseconds, float32 unless marked:
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

from minigrad.kernels import matmul as kernels


def best_time(fn, operands, repeats):
    """Best wall time of fn(*operands) over `repeats` runs after one warm-up, in ms."""
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


def row(label, blas_ms, numba_ms, chosen, flops=None):
    speed = "" if flops is None else \
        f"  BLAS {flops / blas_ms / 1e6:6.1f} GFLOP/s, Numba {flops / numba_ms / 1e6:6.1f}"
    print(f"{label:34s} {blas_ms:9.3f} {numba_ms:9.3f} {blas_ms / numba_ms:8.2f}x  "
          f"{chosen:6s}{speed}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    r = np.random.default_rng(0)
    print(f"{'case':34s} {'BLAS ms':>9s} {'Numba ms':>9s} {'speedup':>9s}  minigrad uses")

    print("-- large GEMM (n x k) @ (k x m)")
    for n in (256, 512, 1024):
        ab = [r.standard_normal((1, n, n), dtype=np.float32) for _ in range(2)]
        row(f"{n} x {n} x {n}", best_time(np.matmul, ab, args.repeats),
            best_time(kernels.batched_matmul, ab, max(3, args.repeats // 5)), "BLAS",
            flops=2.0 * n ** 3)

    print("-- batch of small matrices (P, n, n) @ (P, n, n)")
    for batch, n, dtype in [(100000, 2, np.float32), (100000, 2, np.float64),
                            (50000, 3, np.float32), (50000, 3, np.float64),
                            (20000, 4, np.float32), (8192, 8, np.float32),
                            (1024, 16, np.float32), (100, 2, np.float32)]:
        ab = [r.standard_normal((batch, n, n)).astype(dtype) for _ in range(2)]
        chosen = "Numba" if kernels.use_batched_kernel(ab[0].shape, ab[1].shape) else "BLAS"
        row(f"{batch} x ({n}x{n}) {np.dtype(dtype).name}", best_time(np.matmul, ab, args.repeats),
            best_time(kernels.batched_matmul, ab, args.repeats), chosen)

    print("-- fused bias y = x W^T + b, x (n, k), W (m, k)")
    for n, k, m, dtype in [(10000, 2, 64, np.float32), (10000, 2, 64, np.float64),
                           (100000, 2, 16, np.float32), (2000, 3, 32, np.float32),
                           (10000, 8, 64, np.float32), (10000, 16, 64, np.float32),
                           (256, 64, 64, np.float32), (256, 784, 128, np.float32),
                           (64, 2, 16, np.float32)]:
        x = r.standard_normal((n, k)).astype(dtype)
        w = r.standard_normal((m, k)).astype(dtype)
        operands = (x, w, np.ascontiguousarray(w.T), r.standard_normal(m).astype(dtype))
        chosen = "Numba" if kernels.use_fused_linear(x.shape, w.shape) else "BLAS"
        row(f"n={n} k={k} m={m} {np.dtype(dtype).name}",
            best_time(blas_linear, operands, args.repeats),
            best_time(numba_linear, operands, args.repeats), chosen)

if __name__ == "__main__":
    main()
