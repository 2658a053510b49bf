"""Python overhead per op: forward + backward of a chain of small elementwise ops.

    python benchmarks/bench_overhead.py [--size 32] [--ops 200] [--repeats 20]

A chain of `--ops` ops on (size x size) float32 tensors is built and
differentiated; the time per op (forward + backward) is compared with PyTorch
CPU in the same process when torch is installed, and with plain NumPy doing
the same forward arithmetic (no graph) otherwise. Tiny tensors make the
arithmetic negligible, so the figure is the engine's bookkeeping cost.
"""

import argparse
import contextlib
import time

import numpy as np

# torch first: importing minigrad sets OMP_WAIT_POLICY=PASSIVE unless it is set,
# and torch must keep its own default to be measured fairly
with contextlib.suppress(ImportError):
    import torch  # noqa: F401

from _timing import settle  # noqa: E402

import minigrad as mg  # noqa: E402


def chain_minigrad(x, ops):
    y = x
    for i in range(ops):
        y = (y * 0.999) if i % 3 == 0 else (y + 0.001) if i % 3 == 1 else y.tanh()
    return y.sum()


def time_minigrad(size, ops, repeats):
    x = mg.tensor(np.random.default_rng(0).standard_normal((size, size)).astype(np.float32),
                  requires_grad=True)
    settle()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        chain_minigrad(x, ops).backward()
        best = min(best, time.perf_counter() - start)
        x.grad = None
    return best / ops


def time_torch(size, ops, repeats):
    import torch

    torch.set_num_threads(2)
    x = torch.randn(size, size, requires_grad=True)
    settle()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        y = x
        for i in range(ops):
            y = (y * 0.999) if i % 3 == 0 else (y + 0.001) if i % 3 == 1 else y.tanh()
        y.sum().backward()
        best = min(best, time.perf_counter() - start)
        x.grad = None
    return best / ops


def time_numpy_forward(size, ops, repeats):
    x = np.random.default_rng(0).standard_normal((size, size)).astype(np.float32)
    settle()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        y = x
        for i in range(ops):
            y = (y * np.float32(0.999)) if i % 3 == 0 else \
                (y + np.float32(0.001)) if i % 3 == 1 else np.tanh(y)
        y.sum()
        best = min(best, time.perf_counter() - start)
    return best / ops


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    ours = time_minigrad(args.size, args.ops, args.repeats)
    print(f"minigrad: {ours * 1e6:7.2f} us per op (forward + backward, "
          f"{args.size}x{args.size} float32, best of {args.repeats})")
    reference = time_numpy_forward(args.size, args.ops, args.repeats)
    print(f"numpy   : {reference * 1e6:7.2f} us per op (forward only, no graph)  "
          f"ratio {ours / reference:5.2f}x")
    try:
        theirs = time_torch(args.size, args.ops, args.repeats)
    except ImportError:
        print("torch   : not installed (pip install -e '.[parity]' to compare)")
        return
    print(f"pytorch : {theirs * 1e6:7.2f} us per op (forward + backward)  "
          f"ratio minigrad/pytorch {ours / theirs:5.2f}x  (target <= 2x)")


if __name__ == "__main__":
    main()
