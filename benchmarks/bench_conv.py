"""Convolution and max-pool speed: forward + backward, float32, NCHW.

    python benchmarks/bench_conv.py [--repeats 10] [--rounds 3] [--no-compile]

For each shape (N, Cin, H, W, Cout, k, stride, pad) times one forward and one
backward (gradients of input, weight and bias) with a random output gradient, and
prints the best of `--repeats` runs in milliseconds (and the best over `--rounds`
passes through the whole table: on a shared machine each contender then keeps
its quietest moment) for
  - minigrad (minigrad.ops.conv.conv2d: Numba im2col + BLAS, Winograd for 3x3 with
    16+ channels),
  - PyTorch CPU with 2 threads, in the same process (when torch is installed),
  - a plain NumPy im2col (sliding_window_view + matmul, col2im by kernel offsets),
then the ratios minigrad / torch and their geometric mean. The last row is a 2x2
max-pool on (64, 32, 28, 28).

Unless --no-compile, two subprocesses also time `import minigrad` + the first conv
and pool call (forward + backward) with a fresh, empty NUMBA_CACHE_DIR (cold:
includes compilation) and again with that cache now warm.

torch is imported before minigrad, so that its OpenMP threads keep their default
(spinning) wait policy rather than the passive one minigrad.kernels asks for.

NumPy's BLAS may be slowed by OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE when they are
set; to measure the machine rather than that setting, run with them unset:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_conv.py
"""

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

try:  # before minigrad: it asks OpenMP for passive waiting, which torch would inherit
    import torch
except ImportError:
    torch = None

from _timing import settle  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad.ops.conv import conv2d  # noqa: E402
from minigrad.ops.pool import max_pool2d  # noqa: E402

SHAPES = [  # (N, Cin, H, W, Cout, k, stride, pad)
    (64, 1, 28, 28, 32, 3, 1, 1),
    (64, 32, 14, 14, 64, 3, 1, 1),
    (64, 3, 32, 32, 32, 3, 1, 1),
    (64, 64, 16, 16, 64, 3, 1, 1),
    (64, 128, 8, 8, 128, 3, 1, 1),
    (8, 16, 32, 32, 16, 5, 2, 2),
]
POOL_SHAPE = (64, 32, 28, 28)


def best_time(run, repeats):
    """Best wall time of run() in ms, after one warm-up call (compilation, allocator,
    thread pools). Each contender starts once the previous one's threads are idle
    (_timing.settle) and runs its repeats back to back, hot."""
    settle()
    run()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def arrays(shape, seed=0):
    n, cin, h, w, cout, k, stride, pad = shape
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, cin, h, w), dtype=np.float32)
    weight = r.standard_normal((cout, cin, k, k), dtype=np.float32) / math.sqrt(cin * k * k)
    bias = r.standard_normal(cout, dtype=np.float32)
    out = (h + 2 * pad - k) // stride + 1
    grad = r.standard_normal((n, cout, out, out), dtype=np.float32)
    return x, weight, bias, grad


# --------------------------------------------------------------------------- contenders
def minigrad_conv(shape):
    x_np, w_np, b_np, g_np = arrays(shape)
    stride, pad = shape[6], shape[7]
    x, w, b = (mg.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
    grad = mg.tensor(g_np)

    def run():
        x.grad = w.grad = b.grad = None
        conv2d(x, w, b, stride=stride, padding=pad).backward(grad)

    return run


def torch_conv(shape):
    x_np, w_np, b_np, g_np = arrays(shape)
    stride, pad = shape[6], shape[7]
    x, w, b = (torch.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
    grad = torch.tensor(g_np)

    def run():
        x.grad = w.grad = b.grad = None
        torch.nn.functional.conv2d(x, w, b, stride=stride, padding=pad).backward(grad)

    return run


def numpy_im2col_conv(shape):
    """The textbook vectorised version: unfold all windows, one GEMM, fold back."""
    x, w, b, g = arrays(shape)
    stride, pad = shape[6], shape[7]
    cout, cin, k, _ = w.shape

    def run():
        x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        windows = np.lib.stride_tricks.sliding_window_view(x_pad, (k, k), axis=(2, 3))
        windows = windows[:, :, ::stride, ::stride]          # (N, C, Ho, Wo, k, k)
        n, _, ho, wo = windows.shape[:4]
        cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, cin * k * k)
        y = (cols @ w.reshape(cout, -1).T).reshape(n, ho, wo, cout).transpose(0, 3, 1, 2) + \
            b[None, :, None, None]
        g_rows = g.transpose(0, 2, 3, 1).reshape(-1, cout)
        grad_w = (g_rows.T @ cols).reshape(w.shape)       # noqa: F841 (timed, not used)
        grad_b = g.sum(axis=(0, 2, 3))                     # noqa: F841
        grad_cols = (g_rows @ w.reshape(cout, -1)).reshape(n, ho, wo, cin, k, k)
        grad_pad = np.zeros_like(x_pad)
        for u in range(k):                                 # col2im, one kernel tap at a time
            for v in range(k):
                grad_pad[:, :, u:u + stride * ho:stride, v:v + stride * wo:stride] += \
                    grad_cols[:, :, :, :, u, v].transpose(0, 3, 1, 2)
        return y

    return run


def minigrad_pool(shape):
    x = mg.tensor(np.random.default_rng(1).standard_normal(shape, dtype=np.float32),
                  requires_grad=True)
    grad = mg.tensor(np.ones((shape[0], shape[1], shape[2] // 2, shape[3] // 2), np.float32))

    def run():
        x.grad = None
        max_pool2d(x, 2).backward(grad)

    return run


def torch_pool(shape):
    x = torch.tensor(np.random.default_rng(1).standard_normal(shape, dtype=np.float32),
                     requires_grad=True)
    grad = torch.ones((shape[0], shape[1], shape[2] // 2, shape[3] // 2))

    def run():
        x.grad = None
        torch.nn.functional.max_pool2d(x, 2).backward(grad)

    return run


def numpy_pool(shape):
    x = np.random.default_rng(1).standard_normal(shape, dtype=np.float32)
    grad = np.ones((shape[0], shape[1], shape[2] // 2, shape[3] // 2), np.float32)

    def run():
        blocks = x.reshape(shape[0], shape[1], shape[2] // 2, 2, shape[3] // 2, 2)
        y = blocks.max(axis=(3, 5))
        mask = blocks == y[:, :, :, None, :, None]  # ties share: fine for timing
        return y, (mask * grad[:, :, :, None, :, None]).reshape(shape)

    return run


# --------------------------------------------------------------------------- startup
STARTUP = """
import time
start = time.perf_counter()
import numpy as np
import minigrad as mg
from minigrad.ops.conv import conv2d
from minigrad.ops.pool import max_pool2d
x = mg.tensor(np.ones((2, 3, 8, 8), np.float32), requires_grad=True)
w = mg.tensor(np.ones((4, 3, 3, 3), np.float32), requires_grad=True)
max_pool2d(conv2d(x, w, padding=1), 2).sum().backward()
print(time.perf_counter() - start)
"""


def startup_seconds(cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", STARTUP], env=env, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main
def time_table(cases, repeats, rounds):
    """{name: [minigrad, torch, numpy] ms}: the best over `rounds` passes through
    the whole table, so each contender keeps its best (quietest) moment."""
    best = {}
    for _ in range(rounds):
        for name, ours, theirs, plain in cases:
            times = [best_time(ours, repeats),
                     best_time(theirs, repeats) if theirs else float("nan"),
                     best_time(plain, repeats)]
            best[name] = [min(a, b) for a, b in zip(best.get(name, times), times)]
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-compile", action="store_true")
    args = parser.parse_args()
    have_torch = torch is not None
    if have_torch:
        torch.set_num_threads(2)
    cases = [(str(s), minigrad_conv(s), torch_conv(s) if have_torch else None,
              numpy_im2col_conv(s)) for s in SHAPES]
    cases.append((f"maxpool 2x2 {POOL_SHAPE}", minigrad_pool(POOL_SHAPE),
                  torch_pool(POOL_SHAPE) if have_torch else None, numpy_pool(POOL_SHAPE)))
    table = time_table(cases, args.repeats, args.rounds)

    print(f"{'shape (N,Cin,H,W,Cout,k,s,p)':34s} {'minigrad':>9s} {'torch':>9s} {'numpy':>9s}"
          f" {'mg/torch':>9s} {'mg/numpy':>9s}")
    ratios = []
    for name, (t_ours, t_torch, t_plain) in table.items():
        ratio = t_ours / t_torch
        if not name.startswith("maxpool"):
            ratios.append(ratio)
        print(f"{name:34s} {t_ours:9.2f} {t_torch:9.2f} {t_plain:9.2f} {ratio:9.2f}"
              f" {t_ours / t_plain:9.2f}")
    if have_torch:
        print(f"geometric mean of conv ratios minigrad/torch: "
              f"{math.exp(np.mean(np.log(ratios))):.2f} (max {max(ratios):.2f})")
    if not args.no_compile:
        with tempfile.TemporaryDirectory() as cache_dir:
            cold = startup_seconds(cache_dir)
            warm = startup_seconds(cache_dir)
        print(f"import + first conv/pool fwd+bwd: cold cache {cold:.2f} s, warm cache "
              f"{warm:.2f} s")

if __name__ == "__main__":
    main()
