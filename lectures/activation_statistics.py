"""Lecture 1: activation statistics of a deep net under different weight inits.

A 6-hidden-layer network of width 4096 gets a batch of 16 unit-Gaussian inputs
(the cs231n "Training neural networks I" experiment; Glorot & Bengio 2010):

    h_0 = x ~ N(0, 1),   h_l = f(h_{l-1} W_l),   W_l ~ N(0, s^2), D_in = D_out = 4096

    tanh, s = 0.01            std shrinks by 0.01*sqrt(4096) = 0.64 per layer -> 0
    tanh, s = 0.05            pre-activations have std ~3: tanh saturates at +-1
    tanh, s = 1/sqrt(D_in)    Xavier: std stays well scaled
    relu, s = 1/sqrt(D_in)    Xavier for ReLU halves the variance per layer
    relu, s = sqrt(2/D_in)    Kaiming (He et al. 2015): std stays constant

Prints the per-layer mean/std table of each setting and saves the classic rows of
per-layer histograms (activation_statistics.png). Then builds the tanh net from
nn modules and runs a forward and backward pass under the ActivationStats probe,
which adds the gradient statistics: with N(0, 0.01^2) the gradients shrink layer
by layer towards the input too (activation_statistics_probe_small.png and
activation_statistics_probe_xavier.png). Default width 2048 (seconds);
--full uses exactly width 4096, batch 16.
"""

import math

import numpy as np
from _common import banner, main, save

import minigrad as mg
import minigrad.nn as nn
from minigrad.diagnostics import ActivationStats, format_table, plot_histograms, tensor_stats

DEPTH, BATCH = 6, 16


def settings(width):
    """(label, nonlinearity, weight std) for every experiment."""
    return [
        ("tanh N(0,0.01^2)", "tanh", 0.01),
        ("tanh N(0,0.05^2)", "tanh", 0.05),
        ("tanh Xavier", "tanh", 1 / math.sqrt(width)),
        ("relu Xavier", "relu", 1 / math.sqrt(width)),
        ("relu Kaiming", "relu", math.sqrt(2 / width)),
    ]


def forward_stats(x, nonlinearity, weight_std, width):
    """TensorStats of every hidden layer's output. x: (BATCH, width)."""
    rng = mg.rng.default_generator()
    activation = mg.tanh if nonlinearity == "tanh" else mg.relu
    # one shared range per row, so that shrinking and saturation are visible
    value_range = (-1.0, 1.0) if nonlinearity == "tanh" else (0.0, 3.0)
    stats, h = [], x
    with mg.no_grad():
        for layer in range(1, DEPTH + 1):
            w = mg.tensor(weight_std * rng.standard_normal((width, width), dtype=np.float32))
            h = activation(h @ w)
            stats.append(tensor_stats(h, f"layer {layer}", nonlinearity, bins=40,
                                      value_range=value_range))
    return stats


def probe_network(width, weight_std):
    """The same tanh net built from nn modules, watched by ActivationStats during a
    forward and backward pass (loss = mean of the squared outputs)."""
    layers = []
    for _ in range(DEPTH):
        linear = nn.Linear(width, width, bias=False)
        nn.init.normal_(linear.weight, std=weight_std)
        layers += [linear, nn.Tanh()]
    model = nn.Sequential(*layers)
    probe = ActivationStats(model, bins=40)
    x = mg.tensor(mg.rng.default_generator().standard_normal((BATCH, width),
                                                              dtype=np.float32))
    (model(x) ** 2).mean().backward()
    probe.remove()
    return probe


def run(out, full=False):
    width = 4096 if full else 2048
    print(f"{DEPTH} hidden layers, width {width}, batch {BATCH}, x ~ N(0, 1)")
    x = mg.tensor(mg.rng.default_generator().standard_normal((BATCH, width),
                                                              dtype=np.float32))
    rows, titles, results = [], [], {"width": width}
    for label, nonlinearity, weight_std in settings(width):
        banner(f"{label}: W ~ N(0, {weight_std:.4g}^2)")
        stats = forward_stats(x, nonlinearity, weight_std, width)
        print(format_table(stats))
        rows.append(stats)
        titles.append(label)
        results[label] = {"std": [s.std for s in stats], "mean": [s.mean for s in stats],
                          "saturated": [s.frac_saturated for s in stats],
                          "zero": [s.frac_zero for s in stats]}
    fig = plot_histograms(rows, row_titles=titles)
    fig.suptitle(f"Per-layer activations, width {width}, batch {BATCH}")
    save(fig, out, "activation_statistics.png")

    banner("The same with nn modules and the ActivationStats probe, gradients included")
    results["probe"] = {}
    for label, weight_std, tag in (("tanh N(0,0.01^2)", 0.01, "small"),
                                   ("tanh Xavier", 1 / math.sqrt(width), "xavier")):
        probe = probe_network(width, weight_std)
        print(f"{label}:\n{probe.table()}")
        results["probe"][label] = {
            "std": [s.std for s in probe.activations.values()],
            "grad_std": [probe.gradients[name].std for name in probe.activations]}
        fig = probe.plot_histograms(title=label)
        save(fig, out, f"activation_statistics_probe_{tag}.png")
    return results


if __name__ == "__main__":
    main(run, __doc__)
