"""Time per optimiser step on a model-sized set of float32 parameters.

    python benchmarks/bench_optim.py [--params 1000000] [--tensors 8] [--repeats 30]

`--params` numbers are split over `--tensors` parameters, every one with a
gradient. Each optimiser (SGD with Nesterov momentum, RMSprop centered, Adam
with AMSGrad, AdamW) takes `--repeats` steps; the best time per step is reported
with the throughput in parameters per microsecond, next to torch.optim's
single-tensor (foreach=False) and default implementations when torch is installed.
The minigrad update is plain NumPy, one temporary array per operation, so the
figure says what the readable form costs, not a tuned kernel.
"""

import argparse
import time

import numpy as np
from _timing import settle

import minigrad as mg
from minigrad import optim

CONFIGS = {
    "SGD": dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4),
    "RMSprop": dict(lr=0.01, momentum=0.9, centered=True),
    "Adam": dict(lr=1e-3, amsgrad=True),
    "AdamW": dict(lr=1e-3),
}


def shapes(total, tensors):
    side = int(round((total / tensors) ** 0.5))
    return [(side, side)] * tensors


def best_step_time(step, repeats):
    settle()
    step()  # first step allocates the state
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    return best


def time_minigrad(name, shape_list, repeats):
    generator = np.random.default_rng(0)
    params = []
    for shape in shape_list:
        p = mg.tensor(generator.standard_normal(shape).astype(np.float32), requires_grad=True)
        p.grad = mg.tensor(generator.standard_normal(shape).astype(np.float32))
        params.append(p)
    optimizer = getattr(optim, name)(params, **CONFIGS[name])
    return best_step_time(optimizer.step, repeats)


def time_torch(name, shape_list, repeats, foreach):
    import torch

    torch.manual_seed(0)
    params = []
    for shape in shape_list:
        p = torch.randn(shape, requires_grad=True)
        p.grad = torch.randn(shape)
        params.append(p)
    optimizer = getattr(torch.optim, name)(params, foreach=foreach, **CONFIGS[name])
    return best_step_time(optimizer.step, repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, default=1_000_000)
    parser.add_argument("--tensors", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    shape_list = shapes(args.params, args.tensors)
    count = sum(int(np.prod(s)) for s in shape_list)
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
    print(f"{count} float32 parameters in {len(shape_list)} tensors of shape {shape_list[0]}")
    header = f"{'optimiser':<10}{'minigrad ms':>13}{'params/us':>11}"
    if have_torch:
        header += f"{'torch single ms':>17}{'torch default ms':>18}"
    print(header)
    for name in CONFIGS:
        ours = time_minigrad(name, shape_list, args.repeats)
        line = f"{name:<10}{ours * 1e3:>13.2f}{count / ours / 1e6:>11.1f}"
        if have_torch:
            single = time_torch(name, shape_list, args.repeats, foreach=False)
            default = time_torch(name, shape_list, args.repeats, foreach=None)
            line += f"{single * 1e3:>17.2f}{default * 1e3:>18.2f}"
        print(line)


if __name__ == "__main__":
    main()
