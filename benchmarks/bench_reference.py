"""Reference mode's cost: each kernel's textbook twin against the fast kernel.

    python benchmarks/bench_reference.py [--pairs 3] [--repeats 5] [--only conv,pool]

Every measurement runs in a fresh process, reference mode (MINIGRAD_REFERENCE=1) or
fast mode (MINIGRAD_REFERENCE=0), in interleaved pairs (benchmarks/_harness.py), so
that the machine's slow moments fall on both modes alike. A worker times each kernel
(the median of `--repeats` calls, after a warm-up call that compiles it) on
float32 arrays of a small CNN's size. The table gives, per kernel, the median over
pairs of the ratio reference / fast, its spread (min-max over pairs), the median
absolute times of both modes and the load average.

Reference mode should be slow only where it should be: in the loops a student
reads (im2col, the pooling window, batch norm's channels, the tiny matrices),
not in what both modes share (BLAS, autograd).
"""

import os

import numpy as np
from _harness import main, median_time


def _normal(r, *shape):
    return r.standard_normal(shape).astype(np.float32)


def _conv_cases(r):
    from minigrad.kernels import conv, winograd

    x, w, g = _normal(r, 16, 16, 14, 14), _normal(r, 32, 16, 3, 3), _normal(r, 16, 32, 14, 14)
    x2, w2, g2 = _normal(r, 16, 8, 16, 16), _normal(r, 16, 8, 5, 5), _normal(r, 16, 16, 8, 8)
    same, stride2 = ((1, 1), (1, 1), (1, 1), 1), ((2, 2), (2, 2), (1, 1), 1)
    return {
        "conv2d 3x3 s1 (winograd)": lambda: conv.conv2d_forward(x, w, None, *same),
        "conv2d 5x5 s2 (phased)": lambda: conv.conv2d_forward(x2, w2, None, *stride2),
        "conv input grad 3x3": lambda: conv.conv_transpose2d_forward(g, w, None, (14, 14), *same),
        "conv input grad 5x5 s2": lambda: conv.conv_transpose2d_forward(g2, w2, None, (16, 16),
                                                                        *stride2),
        "conv weight grad 3x3": lambda: conv.conv2d_weight_grad(x, g, (3, 3), *same),
        "conv weight grad 5x5 s2": lambda: conv.conv2d_weight_grad(x2, g2, (5, 5), *stride2),
        "winograd conv2d": lambda: winograd.conv2d(x, w, np.zeros(32, np.float32), (1, 1)),
    }


def _pool_and_norm_cases(r):
    from minigrad.kernels import norm, pool, special

    planes, half = _normal(r, 16, 16, 28, 28), _normal(r, 16, 16, 14, 14)
    _, index = pool.max_pool_forward(planes, 2, 2, 2, 2, 0, 0, 1, 1, 14, 14)
    divisor = np.full((14, 14), 4.0)
    y_hat, x_hat, _, _, inv_std = norm.batch_normalize(planes, 1e-5)
    return {
        "max pool 2x2": lambda: pool.max_pool_forward(planes, 2, 2, 2, 2, 0, 0, 1, 1, 14, 14),
        "max pool scatter": lambda: pool.max_pool_scatter(half, index, 28, 28),
        "avg pool 2x2": lambda: pool.avg_pool_forward(planes, divisor, 2, 2, 2, 2, 0, 0),
        "avg pool adjoint": lambda: pool.avg_pool_adjoint(half, divisor, 28, 28, 2, 2, 2, 2, 0, 0),
        "adaptive avg pool": lambda: pool.adaptive_avg_pool_forward(planes, (3, 3)),
        "batch norm": lambda: norm.batch_normalize(planes, 1e-5),
        "batch norm backward": lambda: norm.batch_normalize_backward(planes, x_hat, inv_std),
        "relu": lambda: special.relu(planes),
        "relu backward": lambda: special.relu_backward(planes, y_hat),
    }


def _other_cases(r):
    import minigrad as mg
    import minigrad.nn.functional as F
    from minigrad.kernels import matmul
    from minigrad.optim._fused import sgd_momentum_step
    from minigrad.train.models import cnn

    a, b = _normal(r, 1024, 2, 2), _normal(r, 1024, 2, 2)
    x, w_t, bias = _normal(r, 256, 2), _normal(r, 2, 64), _normal(r, 64)
    logits, labels = _normal(r, 64, 10), r.integers(0, 10, 64)
    params = [(_normal(r, 100_000), _normal(r, 100_000), _normal(r, 100_000)) for _ in range(3)]
    images, targets = mg.tensor(_normal(r, 32, 1, 8, 8)), r.integers(0, 10, 32)
    model = cnn((1, 8, 8), 10, channels=(8, 16), hidden=32)

    def cross_entropy():
        F.cross_entropy(mg.tensor(logits, requires_grad=True), labels).backward()

    def training_step():
        model.zero_grad()
        F.cross_entropy(model(images), targets).backward()

    return {
        "batched 2x2 matmul": lambda: matmul.batched_matmul(a, b),
        "fused linear k=2": lambda: matmul.linear_fused(x, w_t, bias),
        "softmax cross-entropy": cross_entropy,
        "sgd momentum step": lambda: [sgd_momentum_step(p, g, buf, 1e-4, 0.9, 0.0, 0.0, False)
                                      for p, g, buf in params],
        "cnn training step": training_step,
    }


def _cases():
    """name -> a no-argument callable, on the shapes of a small CNN's layers."""
    r = np.random.default_rng(0)
    return {**_conv_cases(r), **_pool_and_norm_cases(r), **_other_cases(r)}


def worker(reference):
    """Time every case in this process, in fast or reference mode."""
    def run(data, args):
        os.environ["MINIGRAD_REFERENCE"] = "1" if reference else "0"
        only = [word for word in args.only.split(",") if word]
        return {name: median_time(case, args.repeats)
                for name, case in _cases().items()
                if not only or any(word in name for word in only)}

    return run


def add_arguments(parser):
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated words of kernel names")


if __name__ == "__main__":
    main(__doc__, lambda args: {}, {"reference": worker(True), "fast": worker(False)},
         add_arguments)
