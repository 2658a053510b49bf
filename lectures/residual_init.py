"""Lecture 9: initialising residual networks: variance across blocks.

A residual block adds its branch to its input, x_{l+1} = x_l + F(x_l) (He et al.
2016, arXiv:1512.03385). Here F(x) = W2 relu(W1 x), both layers He-initialised
(W ~ N(0, 2 / fan_in), He et al. 2015). Then E[relu(W1 x)^2] = Var(x) and
Var(F(x)) = 2 Var(x), and the branch is independent of x to first order, so

    Var(x_{l+1}) = Var(x_l) + Var(F(x_l)) = 3 Var(x_l)     -> std grows 3^(L/2)

Setting the last layer of every branch to zero (W2 = 0; "zero-init residual",
Goyal et al. 2017, arXiv:1706.02677, sec. 5.1; Zhang et al. 2019 "Fixup",
arXiv:1901.09321) makes every block the identity at initialisation: activations
and gradients keep their scale whatever the depth, and W2 still receives a
gradient (relu(W1 x) is not zero), so the blocks start learning at the first step.

The ActivationStats probe (minigrad.diagnostics) records each block's output std
and the std of the loss gradient with respect to it. Figure: residual_init.png.
"""

import numpy as np
from _common import banner, figure, main, save

import minigrad as mg
import minigrad.nn as nn
from minigrad.diagnostics import ActivationStats


class ResidualBlock(nn.Module):
    """x + W2 relu(W1 x).   x: (N, width) -> (N, width)."""

    def __init__(self, width, zero_init):
        super().__init__()
        self.fc1 = nn.Linear(width, width, bias=False)
        self.fc2 = nn.Linear(width, width, bias=False)
        nn.init.kaiming_normal_(self.fc1.weight, nonlinearity="relu")
        if zero_init:
            nn.init.zeros_(self.fc2.weight)
        else:
            nn.init.kaiming_normal_(self.fc2.weight, nonlinearity="relu")

    def forward(self, x):
        return x + self.fc2(mg.relu(self.fc1(x)))


def measure(depth, width, batch, zero_init):
    """Per-block output std and gradient std, and the gradient norm of the last W2."""
    mg.manual_seed(1)
    blocks = [ResidualBlock(width, zero_init) for _ in range(depth)]
    model = nn.Sequential(*blocks)
    probe = ActivationStats(model, modules=[(f"block {i + 1}", b) for i, b in enumerate(blocks)])
    x = mg.tensor(mg.rng.default_generator().standard_normal((batch, width)).astype(np.float32))
    target = mg.tensor(mg.rng.default_generator().standard_normal((batch, width))
                       .astype(np.float32))
    loss = ((model(x) - target) ** 2).mean()
    loss.backward()
    probe.remove()
    names = list(probe.activations)
    return {"std": [probe.activations[n].std for n in names],
            "grad_std": [probe.gradients[n].std for n in names],
            "last_w2_grad_norm": float(np.linalg.norm(blocks[-1].fc2.weight.grad.numpy())),
            "first_w2_grad_norm": float(np.linalg.norm(blocks[0].fc2.weight.grad.numpy()))}


def run(out, full=False):
    depth, width, batch = (50, 512, 128) if full else (12, 128, 64)
    banner(f"{depth} residual blocks x + W2 relu(W1 x), width {width}, batch {batch}, "
           f"x ~ N(0, 1)")
    results = {"depth": depth}
    fig, axes = figure(1, 2, width=4.5)
    for label, zero_init in (("He init", False), ("zero-init last layer", True)):
        stats = measure(depth, width, batch, zero_init)
        results[label] = stats
        ratios = np.array(stats["std"][1:]) / np.array(stats["std"][:-1])
        print(f"  {label:<21} output std: block 1 {stats['std'][0]:.3g}, block {depth} "
              f"{stats['std'][-1]:.3g} (mean growth per block {ratios.mean():.3f}); "
              f"grad std block 1 {stats['grad_std'][0]:.3g}, block {depth} "
              f"{stats['grad_std'][-1]:.3g}; |dL/dW2| of block 1 "
              f"{stats['first_w2_grad_norm']:.3g}")
        blocks = np.arange(1, depth + 1)
        axes[0, 0].semilogy(blocks, stats["std"], marker=".", label=label)
        axes[0, 1].semilogy(blocks, stats["grad_std"], marker=".", label=label)
    axes[0, 0].semilogy(np.arange(1, depth + 1), np.sqrt(3.0) ** np.arange(1, depth + 1), ":",
                        color="grey", label="sqrt(3)^l")
    axes[0, 0].set(xlabel="block", ylabel="std of block output", title="Forward")
    axes[0, 1].set(xlabel="block", ylabel="std of dL/d(block output)", title="Backward")
    axes[0, 0].legend(fontsize=8)
    save(fig, out, "residual_init.png")
    return results


if __name__ == "__main__":
    main(run, __doc__)
