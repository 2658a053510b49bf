"""Peak memory of forward + backward on a deep MLP, with and without gradient
checkpointing.

    python benchmarks/bench_checkpoint.py [--depth 64] [--width 256] [--batch 2048]
                                          [--segments 0] [--repeats 2]

The model is `depth` blocks of Linear(width, width) + Tanh in float32. The plain
run keeps every block's activations until backward; the checkpointed run
(`checkpoint_sequential`, `segments` chunks, default round(sqrt(depth))) keeps only
the chunk boundaries and recomputes each chunk during backward. tracemalloc
counts NumPy's allocations. Two figures per run, both above the memory in use
before the forward pass (weights excluded):
    held after forward   what the graph keeps for backward (the saved activations)
    peak                 the maximum during forward + backward (gradients included)
Also printed: the best wall time over `repeats` runs and the largest gradient
difference between the two runs (0: the same arithmetic).
"""

import argparse
import math
import time
import tracemalloc

import numpy as np

import minigrad as mg
import minigrad.nn as nn
from minigrad.utils import checkpoint_sequential


def build(depth, width):
    mg.manual_seed(0)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*layers)


def measure(model, x, run):
    """(bytes held after forward, peak bytes, seconds, gradients) of forward+backward,
    bytes counted above the memory in use when it starts."""
    model.zero_grad()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    out = run(model, x)
    loss = (out * out).mean()
    held = tracemalloc.get_traced_memory()[0] - baseline
    loss.backward()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    return held, peak, seconds, grads


def best_of(repeats, model, x, run):
    results = [measure(model, x, run) for _ in range(repeats)]
    held, peak, _, grads = results[-1]
    return held, peak, min(r[2] for r in results), grads


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=64)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--batch", type=int, default=2048)
    parser.add_argument("--segments", type=int, default=0, help="0: round(sqrt(depth))")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    segments = args.segments or max(1, round(math.sqrt(args.depth)))
    model = build(args.depth, args.width)
    x = mg.tensor(np.random.default_rng(1).standard_normal((args.batch, args.width))
                  .astype(np.float32))
    megabytes = 2**20
    print(f"MLP: {args.depth} x (Linear({args.width}, {args.width}) + Tanh), batch "
          f"{args.batch}, float32; one activation = "
          f"{args.batch * args.width * 4 / megabytes:.2f} MB; parameters = "
          f"{model.num_parameters() * 4 / megabytes:.1f} MB")
    plain = best_of(args.repeats, model, x, lambda m, v: m(v))
    checked = best_of(args.repeats, model, x,
                      lambda m, v: checkpoint_sequential(m, segments, v))
    difference = max(float(np.max(np.abs(a - b))) for a, b in zip(plain[3], checked[3]))
    print(f"{'run':<28}{'held after fwd MB':>19}{'peak MB':>10}{'time s':>9}")
    for name, result in (("plain", plain), (f"checkpointed ({segments} segments)", checked)):
        print(f"{name:<28}{result[0] / megabytes:>19.1f}{result[1] / megabytes:>10.1f}"
              f"{result[2]:>9.2f}")
    print(f"peak memory: {plain[1] / checked[1]:.1f}x less "
          f"({(1 - checked[1] / plain[1]) * 100:.0f}% saved); held after forward: "
          f"{plain[0] / checked[0]:.1f}x less; time {checked[2] / plain[2]:.2f}x; "
          f"max |grad difference| = {difference:.3g}")


if __name__ == "__main__":
    main()
