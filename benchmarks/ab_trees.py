"""Two checkouts of minigrad, A and B, on the same workload, in many alternating rounds.

    python benchmarks/ab_trees.py A_TREE B_TREE [--workload mlp|cnn|chain|conv]
                                  [--steps 30] [--rounds 60] [--threads 1]

For a change to minigrad itself: is B faster than A, and by how much? On a shared
machine whose speed drifts by tens of percent from one second to the next, one
process per tree, each timed once, cannot resolve a 5 % change. So each tree gets
one persistent worker process (importing only that tree's minigrad, warmed up
once), and the driver asks them in turn, A B B A A B ..., for `--steps` steps of the
workload; each adjacent pair of bursts gives one ratio B/A, taken within a second
of each other. The report: the median ratio, its quartiles, both median times.

Workloads (the same code in both trees):
    mlp    a training step of the 784-256-128-10 MLP (batch 64, SGD with momentum)
    cnn    a training step of minigrad.train.models.cnn (batch 64)
    chain  bench_overhead.py's chain: 300 ops (multiply, add, tanh) on 32x32, backward
    conv   bench_conv.py's 5x5 stride-2 conv (8, 16, 32, 32) -> 16, forward and backward
Random data: the question is the engine's speed, not accuracy. `--threads` (default
1) sets every BLAS, OpenMP and minigrad thread count: a threaded OpenBLAS left
spinning by one worker would otherwise slow the other's burst.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS", "MINIGRAD_NUM_THREADS")


# --------------------------------------------------------------------------- worker
def make_workload(kind):
    """step(i) for the workload `kind`, built on the minigrad this process imports."""
    import numpy as np

    import minigrad as mg
    import minigrad.nn.functional as F
    from minigrad.optim import SGD
    from minigrad.train.models import build_model

    rng = np.random.default_rng(0)
    if kind == "chain":
        x = mg.tensor(rng.standard_normal((32, 32)).astype(np.float32), requires_grad=True)

        def chain_step(i):
            x.grad = None
            y = x
            for j in range(300):
                y = (y * 0.999) if j % 3 == 0 else (y + 0.001) if j % 3 == 1 else mg.tanh(y)
            y.sum().backward()

        return chain_step
    if kind == "conv":
        x = mg.tensor(rng.standard_normal((8, 16, 32, 32)).astype(np.float32), requires_grad=True)
        w = mg.tensor(rng.standard_normal((16, 16, 5, 5)).astype(np.float32), requires_grad=True)
        grad = mg.tensor(rng.standard_normal((8, 16, 16, 16)).astype(np.float32))

        def conv_step(i):
            x.grad = w.grad = None
            F.conv2d(x, w, stride=2, padding=2).backward(grad)

        return conv_step
    images = rng.standard_normal((64 * 20, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, 64 * 20)
    model = build_model(kind, (1, 28, 28), 10)
    optimiser = SGD(model.parameters(), lr=0.01, momentum=0.9)

    def training_step(i):
        begin = (i % 20) * 64
        loss = F.cross_entropy(model(mg.tensor(images[begin:begin + 64])),
                               mg.tensor(labels[begin:begin + 64]))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    return training_step


def serve(kind):
    """Warm up, say "ready", then answer each line N with the seconds N steps took."""
    step = make_workload(kind)
    for i in range(10):
        step(i)
    print("ready", flush=True)
    for line in sys.stdin:
        start = time.perf_counter()
        for i in range(int(line)):
            step(i)
        print(time.perf_counter() - start, flush=True)


# --------------------------------------------------------------------------- driver
def start_worker(tree, kind, threads):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    env.update({variable: str(threads) for variable in THREAD_VARIABLES})
    worker = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", kind],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env=env, cwd=os.path.abspath(tree))
    if worker.stdout.readline().strip() != "ready":
        raise RuntimeError(f"the worker for {tree} did not start")
    return worker


def burst(worker, steps):
    worker.stdin.write(f"{steps}\n")
    worker.stdin.flush()
    return float(worker.stdout.readline())


def compare(a_tree, b_tree, kind, steps, rounds, threads):
    """(ratios B/A, A's times, B's times) over `rounds` adjacent pairs of bursts,
    the order alternating so that neither always goes first."""
    a, b = start_worker(a_tree, kind, threads), start_worker(b_tree, kind, threads)
    ratios, a_times, b_times = [], [], []
    try:
        for index in range(rounds):
            if index % 2 == 0:
                a_seconds, b_seconds = burst(a, steps), burst(b, steps)
            else:
                b_seconds, a_seconds = burst(b, steps), burst(a, steps)
            ratios.append(b_seconds / a_seconds)
            a_times.append(a_seconds / steps)
            b_times.append(b_seconds / steps)
    finally:
        for worker in (a, b):
            worker.stdin.close()
            worker.wait()
    return ratios, a_times, b_times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a_tree", nargs="?")
    parser.add_argument("b_tree", nargs="?")
    parser.add_argument("--workload", choices=("mlp", "cnn", "chain", "conv"), default="mlp")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if not (args.a_tree and args.b_tree):
        parser.error("give the two checkouts to compare, A then B")
    ratios, a_times, b_times = compare(args.a_tree, args.b_tree, args.workload, args.steps,
                                       args.rounds, args.threads)
    low, _, high = statistics.quantiles(ratios, n=4)
    print(f"{args.workload}: B/A median {statistics.median(ratios):.3f} (quartiles "
          f"{low:.3f}-{high:.3f}) over {args.rounds} rounds of {args.steps} steps; "
          f"A {statistics.median(a_times) * 1e3:.3f} ms, B "
          f"{statistics.median(b_times) * 1e3:.3f} ms per step; {args.threads} thread(s)")


if __name__ == "__main__":
    main()
