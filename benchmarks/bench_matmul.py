"""Matrix products: minigrad's Numba kernels against NumPy's BLAS (np.matmul).

    python benchmarks/bench_matmul.py [--pairs 3] [--repeats 20]

Three groups, forward only (the op's forward is what the kernels replace), each
time the median of `--repeats` calls in milliseconds:
  1. large GEMMs: the Numba batched kernel used as a plain GEMM (batch 1) against
     BLAS, to show why big products stay on BLAS;
  2. batches of small matrices: kernels.batched_matmul against np.matmul, the sizes
     around the dispatch threshold (kernels.TINY_MATRIX);
  3. y = x W^T + b: kernels.linear_fused (what minigrad.ops.linalg.linear runs for a
     small inner dimension, kernels.FUSED_MAX_INNER) against np.matmul then add.
Contenders, each alone in a fresh process (benchmarks/_harness.py): "numba" (imports
minigrad.kernels.matmul) and "blas" (NumPy only). Below the table: which of the two
minigrad's matmul/linear actually runs for each shape.
"""

import numpy as np
from _harness import main, median_time

LARGE = (256, 512, 1024)
BATCHED = [(100000, 2, "float32"), (100000, 2, "float64"), (50000, 3, "float32"),
           (50000, 3, "float64"), (20000, 4, "float32"), (8192, 8, "float32"),
           (1024, 16, "float32"), (100, 2, "float32")]
LINEAR = [(10000, 2, 64, "float32"), (10000, 2, 64, "float64"), (100000, 2, 16, "float32"),
          (2000, 3, 32, "float32"), (10000, 4, 64, "float32"), (10000, 8, 64, "float32"),
          (10000, 16, 64, "float32"), (256, 64, 64, "float32"), (256, 784, 128, "float32"),
          (64, 2, 16, "float32")]


def cases():
    """[(label, kind, key of the operands)]: kind is "gemm", "batched" or "linear"."""
    out = [(f"GEMM {n}x{n}x{n}", "gemm", f"gemm{n}") for n in LARGE]
    out += [(f"batch {p} x ({n}x{n}) {dtype}", "batched", f"bat{p}_{n}_{dtype}")
            for p, n, dtype in BATCHED]
    out += [(f"linear n={n} k={k} m={m} {dtype}", "linear", f"lin{n}_{k}_{m}_{dtype}")
            for n, k, m, dtype in LINEAR]
    return out


def prepare(args):
    r = np.random.default_rng(0)
    arrays = {}
    for n in LARGE:
        arrays[f"gemm{n}/a"], arrays[f"gemm{n}/b"] = \
            (r.standard_normal((1, n, n), dtype=np.float32) for _ in range(2))
    for p, n, dtype in BATCHED:
        arrays[f"bat{p}_{n}_{dtype}/a"], arrays[f"bat{p}_{n}_{dtype}/b"] = \
            (r.standard_normal((p, n, n)).astype(dtype) for _ in range(2))
    for n, k, m, dtype in LINEAR:
        key = f"lin{n}_{k}_{m}_{dtype}"
        arrays[key + "/x"] = r.standard_normal((n, k)).astype(dtype)
        arrays[key + "/w"] = r.standard_normal((m, k)).astype(dtype)
        arrays[key + "/bias"] = r.standard_normal(m).astype(dtype)
    return arrays


def add_arguments(parser):
    parser.add_argument("--repeats", type=int, default=20)


def numba_worker(data, args):
    from minigrad.kernels import matmul as kernels

    times, chosen = {}, {}
    for label, kind, key in cases():
        if kind == "linear":
            x, w, bias = data[key + "/x"], data[key + "/w"], data[key + "/bias"]
            w_t = np.ascontiguousarray(w.T)
            times[label] = median_time(lambda x=x, w_t=w_t, b=bias: kernels.linear_fused(x, w_t, b),
                                       args.repeats)
            chosen[label] = "numba" if kernels.use_fused_linear(x.shape, w.shape) else "blas"
        else:
            a, b = data[key + "/a"], data[key + "/b"]
            repeats = 3 if kind == "gemm" and a.shape[1] >= 512 else args.repeats
            times[label] = median_time(lambda a=a, b=b: kernels.batched_matmul(a, b), repeats)
            chosen[label] = "blas" if kind == "gemm" else \
                "numba" if kernels.use_batched_kernel(a.shape, b.shape) else "blas"
    times["info"] = chosen
    return times


def blas_worker(data, args):
    times = {}
    for label, kind, key in cases():
        if kind == "linear":
            x, w, bias = data[key + "/x"], data[key + "/w"], data[key + "/bias"]
            times[label] = median_time(lambda x=x, w=w, b=bias: np.matmul(x, w.T) + b,
                                       args.repeats)
        else:
            a, b = data[key + "/a"], data[key + "/b"]
            times[label] = median_time(lambda a=a, b=b: np.matmul(a, b), args.repeats)
    return times


def choices(pairs, table, args, first, other):
    chosen = pairs[0][1][first]["info"]
    print("minigrad runs: " + "; ".join(f"{label}: {path}" for label, path in chosen.items()))


if __name__ == "__main__":
    main(__doc__, prepare, {"numba": numba_worker, "blas": blas_worker}, add_arguments,
         after=choices)
