"""Convolution and max-pool speed: forward + backward, float32, NCHW, minigrad vs PyTorch.

    python benchmarks/bench_conv.py [--pairs 3] [--repeats 10] [--threads N] [--numpy]

For each shape (N, Cin, H, W, Cout, k, stride, pad): one forward and one backward
(gradients of input, weight and bias) with a fixed random output gradient, timed as
the median of `--repeats` calls after a warm-up call. The last row is a 2x2 max-pool
on (64, 32, 28, 28). Each contender runs alone in a fresh process (benchmarks/
_harness.py: interleaved pairs, median ratio, spread, both times, load average):
  minigrad  minigrad.nn.functional.conv2d / max_pool2d (Numba im2col + BLAS,
            Winograd for 3x3 with 16+ channels);
  torch     torch.nn.functional.conv2d / max_pool2d, PyTorch's default threads;
  numpy     (--numpy) the textbook vectorised im2col: sliding_window_view + one
            GEMM, col2im by kernel offsets.
The geometric mean of the six conv ratios is computed per pair, then summarised
the same way. Start-up and compile times are in bench_startup.py.
"""

import math
import statistics

import numpy as np
from _harness import main, median_time, requested_threads

SHAPES = [  # (N, Cin, H, W, Cout, k, stride, pad)
    (64, 1, 28, 28, 32, 3, 1, 1),
    (64, 32, 14, 14, 64, 3, 1, 1),
    (64, 3, 32, 32, 32, 3, 1, 1),
    (64, 64, 16, 16, 64, 3, 1, 1),
    (64, 128, 8, 8, 128, 3, 1, 1),
    (8, 16, 32, 32, 16, 5, 2, 2),
]
POOL_SHAPE = (64, 32, 28, 28)
POOL_NAME = "maxpool 2x2 (64, 32, 28, 28)"


def name(shape):
    return "conv " + ",".join(str(v) for v in shape)


def prepare(args):
    """Inputs, weights, biases and output gradients of every case (NumPy only)."""
    r = np.random.default_rng(0)
    arrays = {}
    for index, (n, cin, h, w, cout, k, stride, pad) in enumerate(SHAPES):
        out = (h + 2 * pad - k) // stride + 1
        arrays[f"x{index}"] = r.standard_normal((n, cin, h, w), dtype=np.float32)
        arrays[f"w{index}"] = r.standard_normal((cout, cin, k, k), dtype=np.float32) / \
            np.float32(math.sqrt(cin * k * k))
        arrays[f"b{index}"] = r.standard_normal(cout, dtype=np.float32)
        arrays[f"g{index}"] = r.standard_normal((n, cout, out, out), dtype=np.float32)
    arrays["pool_x"] = r.standard_normal(POOL_SHAPE, dtype=np.float32)
    arrays["pool_g"] = r.standard_normal(POOL_SHAPE[:2] + (14, 14), dtype=np.float32)
    return arrays


def add_arguments(parser):
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--numpy", action="store_true", help="also time plain NumPy im2col")


def _time_conv_and_pool(lib, F, data, args):
    """The same calls in either library: minigrad speaks PyTorch's names, so one body
    serves both workers, each of which imports only its own library."""
    if requested_threads():
        lib.set_num_threads(requested_threads())
    times = {}
    for index, shape in enumerate(SHAPES):
        x, w, b = (lib.tensor(data[f"{key}{index}"], requires_grad=True) for key in "xwb")
        grad = lib.tensor(data[f"g{index}"])

        def run(x=x, w=w, b=b, grad=grad, stride=shape[6], pad=shape[7]):
            x.grad = w.grad = b.grad = None
            F.conv2d(x, w, b, stride=stride, padding=pad).backward(grad)

        times[name(shape)] = median_time(run, args.repeats)
    x, grad = lib.tensor(data["pool_x"], requires_grad=True), lib.tensor(data["pool_g"])

    def pool():
        x.grad = None
        F.max_pool2d(x, 2).backward(grad)

    times[POOL_NAME] = median_time(pool, args.repeats)
    return times


def minigrad_worker(data, args):
    import minigrad as mg
    import minigrad.nn.functional as F

    return _time_conv_and_pool(mg, F, data, args)


def torch_worker(data, args):
    import torch
    import torch.nn.functional as F

    return _time_conv_and_pool(torch, F, data, args)


def numpy_conv(x, w, b, g, stride, pad):
    """The textbook vectorised version: unfold all windows, one GEMM, fold back."""
    cout, cin, k, _ = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(x_pad, (k, k), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]                  # (N, C, Ho, Wo, k, k)
    n, _, ho, wo = windows.shape[:4]
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, cin * k * k)
    y = (cols @ w.reshape(cout, -1).T).reshape(n, ho, wo, cout).transpose(0, 3, 1, 2) + \
        b[None, :, None, None]
    g_rows = g.transpose(0, 2, 3, 1).reshape(-1, cout)
    grad_w = (g_rows.T @ cols).reshape(w.shape)
    grad_b = g.sum(axis=(0, 2, 3))
    grad_cols = (g_rows @ w.reshape(cout, -1)).reshape(n, ho, wo, cin, k, k)
    grad_pad = np.zeros_like(x_pad)
    for u in range(k):                                           # col2im, one tap at a time
        for v in range(k):
            grad_pad[:, :, u:u + stride * ho:stride, v:v + stride * wo:stride] += \
                grad_cols[:, :, :, :, u, v].transpose(0, 3, 1, 2)
    return y, grad_w, grad_b, grad_pad


def numpy_pool(x, g):
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // 2, 2, w // 2, 2)
    y = blocks.max(axis=(3, 5))
    mask = blocks == y[:, :, :, None, :, None]  # ties share the gradient: fine for timing
    return y, (mask * g[:, :, :, None, :, None]).reshape(x.shape)


def numpy_worker(data, args):
    times = {}
    for index, shape in enumerate(SHAPES):
        arrays = [data[f"{key}{index}"] for key in "xwbg"]
        times[name(shape)] = median_time(lambda a=arrays, s=shape: numpy_conv(*a, s[6], s[7]),
                                         args.repeats)
    times[POOL_NAME] = median_time(lambda: numpy_pool(data["pool_x"], data["pool_g"]),
                                   args.repeats)
    return times


def geometric_mean_line(pairs, table, args, first, other):
    """The geometric mean of the conv ratios, per pair, summarised like a row."""
    per_pair = []
    for _, results, _ in pairs:
        logs = [math.log(results[first][name(s)] / results[other][name(s)]) for s in SHAPES]
        per_pair.append(math.exp(sum(logs) / len(logs)))
    worst = max(table[name(s)]["ratio"] for s in SHAPES)
    print(f"conv geomean {first}/{other}: {statistics.median(per_pair):.2f} (spread "
          f"{min(per_pair):.2f}-{max(per_pair):.2f}); largest shape median ratio {worst:.2f}")


def workers():
    import sys

    chosen = {"minigrad": minigrad_worker, "torch": torch_worker}
    if "--numpy" in sys.argv:
        chosen["numpy"] = numpy_worker
    return chosen


if __name__ == "__main__":
    main(__doc__, prepare, workers(), add_arguments, after=geometric_mean_line)
