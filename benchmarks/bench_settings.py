"""What each process-wide setting minigrad applies is worth: with it against without it.

    python benchmarks/bench_settings.py [--pairs 3] [--settings malloc,omp] [--steps 20]

minigrad sets two things when its kernels first run (never at import; both are
listed by minigrad.show_config()):
  malloc  glibc's mmap threshold 16 MB and trim threshold 256 MB (minigrad/_allocator.py).
          Workload: `--steps` training steps of the benchmark CNN on Fashion-MNIST-sized
          batches (64, 1, 28, 28), after two warm-up steps. "without" runs with
          MINIGRAD_TUNE_MALLOC=0, glibc's defaults.
  omp     OMP_WAIT_POLICY=PASSIVE for Numba's OpenMP pool, which only the batched
          tiny-matrix kernel uses (kernels/_lazy.launch_parallel_threads).
          Workload: kernels.batched_matmul on 100,000 2x2 float32 products, the median
          of 50 calls. "without" starts the pool with the OpenMP runtime's default.
Each is a pair of contenders, "with" and "without", each alone in a fresh process,
interleaved (benchmarks/_harness.py); a ratio below 1 means the setting pays.
"""

import os

import numpy as np
from _harness import main, median_time

BATCH = 64


def prepare(args):
    r = np.random.default_rng(0)
    return {"images": r.standard_normal((BATCH * (args.steps + 2), 1, 28, 28),
                                        dtype=np.float32),
            "labels": r.integers(0, 10, BATCH * (args.steps + 2)),
            "a": r.standard_normal((100_000, 2, 2), dtype=np.float32),
            "b": r.standard_normal((100_000, 2, 2), dtype=np.float32)}


def add_arguments(parser):
    parser.add_argument("--settings", default="malloc,omp")
    parser.add_argument("--steps", type=int, default=20)


def training_steps(data, args):
    import time

    import minigrad as mg
    import minigrad.nn.functional as F
    from minigrad.optim import SGD
    from minigrad.train.models import cnn

    mg.manual_seed(0)
    model = cnn((1, 28, 28), 10)
    opt = SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step(i):
        batch = slice(i * BATCH, (i + 1) * BATCH)
        loss = F.cross_entropy(model(mg.tensor(data["images"][batch])),
                               mg.tensor(data["labels"][batch]))
        opt.zero_grad()
        loss.backward()
        opt.step()

    step(0)
    step(1)
    start = time.perf_counter()
    for i in range(2, args.steps + 2):
        step(i)
    return (time.perf_counter() - start) / args.steps


def batched_products(data, passive):
    from minigrad.kernels import _lazy, matmul

    if not passive:  # start Numba's pool with the OpenMP runtime's own default policy
        from numba.np.ufunc import parallel

        _lazy.load_numba()
        parallel._launch_threads()
        _lazy._threads_launched = True
    return median_time(lambda: matmul.batched_matmul(data["a"], data["b"]), 50, warmup=3)


def worker(setting_on):
    def run(data, args):
        if args.variant == "malloc":
            if not setting_on:
                os.environ["MINIGRAD_TUNE_MALLOC"] = "0"
            return {"CNN training step": training_steps(data, args)}
        os.environ.pop("OMP_WAIT_POLICY", None)
        return {"batched 2x2 matmul, 100k": batched_products(data, setting_on)}

    return run


if __name__ == "__main__":
    main(__doc__, prepare, {"with": worker(True), "without": worker(False)}, add_arguments,
         variants=lambda args: args.settings.split(","))
