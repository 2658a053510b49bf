"""Time per optimiser step on a model-sized set of float32 parameters.

    python benchmarks/bench_optim.py [--pairs 3] [--params 1000000] [--tensors 8]
                                     [--repeats 30]

`--params` numbers are split over `--tensors` parameters, every one with a gradient
(the same values for both libraries, drawn by the driver). Each optimiser (SGD with
Nesterov momentum, RMSprop centered, Adam with AMSGrad, AdamW) takes `--repeats`
steps after a first one that allocates its state; the measurement is the median
step. Contenders, each alone in a fresh process (benchmarks/_harness.py): minigrad,
torch.optim single-tensor (foreach=False) and torch.optim's default implementation.
"""

import numpy as np
from _harness import main, median_time

CONFIGS = {
    "SGD": dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4),
    "RMSprop": dict(lr=0.01, momentum=0.9, centered=True),
    "Adam": dict(lr=1e-3, amsgrad=True),
    "AdamW": dict(lr=1e-3),
}


def prepare(args):
    side = int(round((args.params / args.tensors) ** 0.5))
    r = np.random.default_rng(0)
    print(f"{args.tensors} float32 parameters of shape ({side}, {side})")
    arrays = {}
    for i in range(args.tensors):
        arrays[f"param{i}"] = r.standard_normal((side, side)).astype(np.float32)
        arrays[f"grad{i}"] = r.standard_normal((side, side)).astype(np.float32)
    return arrays


def add_arguments(parser):
    parser.add_argument("--params", type=int, default=1_000_000)
    parser.add_argument("--tensors", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=30)


def minigrad_worker(data, args):
    import minigrad as mg
    from minigrad import optim

    times = {}
    for name, config in CONFIGS.items():
        params = []
        for i in range(args.tensors):
            p = mg.tensor(data[f"param{i}"].copy(), requires_grad=True)
            p.grad = mg.tensor(data[f"grad{i}"])
            params.append(p)
        times[name] = median_time(getattr(optim, name)(params, **config).step, args.repeats)
    return times


def torch_worker(data, args, foreach):
    import torch

    times = {}
    for name, config in CONFIGS.items():
        params = []
        for i in range(args.tensors):
            p = torch.tensor(data[f"param{i}"], requires_grad=True)
            p.grad = torch.tensor(data[f"grad{i}"])
            params.append(p)
        step = getattr(torch.optim, name)(params, foreach=foreach, **config).step
        times[name] = median_time(step, args.repeats)
    return times


if __name__ == "__main__":
    main(__doc__, prepare, {"minigrad": minigrad_worker,
                            "torch single": lambda d, a: torch_worker(d, a, False),
                            "torch default": lambda d, a: torch_worker(d, a, None)},
         add_arguments)
