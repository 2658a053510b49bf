"""Python overhead per op: forward + backward of a chain of small elementwise ops.

    python benchmarks/bench_overhead.py [--pairs 3] [--size 32] [--ops 300] [--repeats 30]

A chain of `--ops` ops (multiply, add, tanh in turn) on a (size x size) float32
tensor is built and differentiated; the measurement is the time per op (forward +
backward), the median of `--repeats` chains. Tiny tensors make the arithmetic
negligible, so the figure is each engine's bookkeeping cost. Contenders, each alone
in a fresh process (benchmarks/_harness.py): minigrad, PyTorch CPU, and "numpy":
plain NumPy doing the same forward arithmetic only, with no graph (the floor).
"""

import numpy as np
from _harness import main, median_time


def prepare(args):
    return {"x": np.random.default_rng(0).standard_normal((args.size, args.size))
            .astype(np.float32)}


def add_arguments(parser):
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=30)


def chain(y, ops, tanh):
    for i in range(ops):
        y = (y * 0.999) if i % 3 == 0 else (y + 0.001) if i % 3 == 1 else tanh(y)
    return y


def minigrad_worker(data, args):
    import minigrad as mg

    x = mg.tensor(data["x"], requires_grad=True)

    def run():
        x.grad = None
        chain(x, args.ops, mg.tanh).sum().backward()

    return {"per op (forward + backward)": median_time(run, args.repeats, warmup=3) / args.ops}


def torch_worker(data, args):
    import torch

    x = torch.tensor(data["x"], requires_grad=True)

    def run():
        x.grad = None
        chain(x, args.ops, torch.tanh).sum().backward()

    return {"per op (forward + backward)": median_time(run, args.repeats, warmup=3) / args.ops}


def numpy_worker(data, args):
    x = data["x"]

    def run():
        y = x
        for i in range(args.ops):
            y = (y * np.float32(0.999)) if i % 3 == 0 else \
                (y + np.float32(0.001)) if i % 3 == 1 else np.tanh(y)
        y.sum()

    return {"per op (forward + backward)": median_time(run, args.repeats, warmup=3) / args.ops}


if __name__ == "__main__":
    main(__doc__, prepare, {"minigrad": minigrad_worker, "torch": torch_worker,
                            "numpy": numpy_worker}, add_arguments, unit="us")
