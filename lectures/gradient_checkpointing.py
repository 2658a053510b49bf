"""Lecture 11: gradient checkpointing: trading recomputation for memory.

Backpropagation keeps every intermediate activation of the forward pass until the
backward pass has used it, so activation memory grows linearly with depth.
Checkpointing (Chen et al. 2016, arXiv:1604.06174) splits a depth-L network into
k segments, keeps only the k segment inputs during forward, and recomputes each
segment's activations during backward:

    stored activations ~ k + L/k  segments' worth   (minimal at k = sqrt(L))
    extra compute      ~ one more forward pass

Measured here on a deep MLP (L blocks of Linear + Tanh, float32) with
minigrad.utils.checkpoint_sequential, using tracemalloc to count NumPy's bytes:
the memory held after forward (what the graph keeps for backward), the peak during
forward + backward, and the wall time, for k = 1 (no checkpointing), 2, sqrt(L),
L/2 (time: best of a few runs). Gradients are compared with the plain run (they
must agree to rounding: the same arithmetic). Figure: gradient_checkpointing.png.
"""

import math
import time
import tracemalloc

import numpy as np
from _common import banner, figure, main, save

import minigrad as mg
import minigrad.nn as nn
from minigrad.utils import checkpoint_sequential

MB = 2**20


def build(depth, width):
    mg.manual_seed(1)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*layers)


def measure(model, x, segments):
    """(held after forward, peak, seconds, gradients) for one forward + backward."""
    model.zero_grad()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    out = model(x) if segments == 1 else checkpoint_sequential(model, segments, x)
    loss = (out * out).mean()
    held = tracemalloc.get_traced_memory()[0] - baseline
    loss.backward()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    return held, peak, seconds, [p.grad.numpy().copy() for p in model.parameters()]


def run(out, full=False):
    depth, width, batch = (64, 256, 2048) if full else (16, 128, 256)
    repeats = 3 if full else 2
    model = build(depth, width)
    x = mg.tensor(mg.rng.default_generator().standard_normal((batch, width))
                  .astype(np.float32))
    activation_mb = batch * width * 4 / MB
    banner(f"{depth} x (Linear({width}, {width}) + Tanh), batch {batch}: one activation = "
           f"{activation_mb:.2f} MB")
    choices = sorted({1, 2, round(math.sqrt(depth)), depth // 2})
    results, reference = {"depth": depth, "activation_mb": activation_mb, "runs": {}}, None
    measure(model, x, 1)  # warm-up: first-call costs are not checkpointing's
    for segments in choices:
        runs = [measure(model, x, segments) for _ in range(repeats)]
        held, peak, _, grads = runs[-1]
        seconds = min(run[2] for run in runs)  # best of: less noise from other processes
        if reference is None:
            reference = grads
        difference = max(float(np.abs(a - b).max()) for a, b in zip(grads, reference))
        results["runs"][segments] = {"held_mb": held / MB, "peak_mb": peak / MB,
                                     "seconds": seconds, "max_grad_difference": difference}
        print(f"  segments {segments:>3}: held after forward {held / MB:7.2f} MB "
              f"({held / MB / activation_mb:5.1f} activations), peak {peak / MB:7.2f} MB, "
              f"time {seconds * 1e3:7.1f} ms, max |grad difference| {difference:.1e}")
    fig, axes = figure(1, 2, width=4.2)
    runs = results["runs"]
    axes[0, 0].plot(choices, [runs[k]["held_mb"] for k in choices], marker="o",
                    label="held after forward")
    axes[0, 0].plot(choices, [runs[k]["peak_mb"] for k in choices], marker="s", label="peak")
    axes[0, 0].set(xscale="log", xlabel="segments (1 = no checkpointing)", ylabel="MB",
                   title="Memory")
    axes[0, 0].legend(fontsize=8)
    axes[0, 1].plot(choices, [runs[k]["seconds"] * 1e3 for k in choices], marker="o")
    axes[0, 1].set(xscale="log", xlabel="segments", ylabel="ms (forward + backward)",
                   title="Time")
    save(fig, out, "gradient_checkpointing.png")
    return results


if __name__ == "__main__":
    main(run, __doc__)
