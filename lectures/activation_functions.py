"""Lecture 2: activation functions and their derivatives, the derivatives by autodiff.

For each nonlinearity y = f(x) on a grid of x, one call y.sum().backward() gives
f'(x) at every point (x.grad), because d(sum_i f(x_i))/dx_j = f'(x_j). What to see:

    sigmoid   f' <= 1/4, ~0 for |x| > 5: saturates, outputs not zero-centred
    tanh      zero-centred, f'(0) = 1, still saturates
    ReLU      f' = 1 for x > 0, 0 for x < 0: no saturation, but dead for x < 0
    Leaky ReLU / PReLU   slope 0.01 / learned a (0.25) for x < 0 (He et al. 2015)
    ELU       alpha (e^x - 1) for x < 0: smooth, mean closer to 0 (Clevert et al. 2015)
    SELU      scaled ELU keeping activations at mean 0, var 1 (Klambauer et al. 2017)
    GELU      x Phi(x) (Hendrycks & Gimpel 2016);  SiLU x sigmoid(x) (Elfwing et al. 2017)
    Softplus  log(1 + e^x), a smooth ReLU whose derivative is the sigmoid

PReLU's slope is a parameter, so the same backward also gives dL/da. Prints
f'(-2), f'(0), f'(2) per function; figure activation_functions.png.
"""

import numpy as np
from _common import banner, figure, main, save

import minigrad as mg
import minigrad.nn as nn

MODULES = {
    "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "ReLU": nn.ReLU, "LeakyReLU": nn.LeakyReLU,
    "PReLU": nn.PReLU, "ELU": nn.ELU, "SELU": nn.SELU, "GELU": nn.GELU, "SiLU": nn.SiLU,
    "Softplus": nn.Softplus,
}


def value_and_derivative(module, x_values):
    """(f(x), f'(x)) on the grid, f' from one backward pass."""
    x = mg.tensor(x_values, requires_grad=True)
    y = module(x)
    y.sum().backward()
    return y.numpy(), x.grad.numpy()


def run(out, full=False):
    points = 2001 if full else 201
    grid = np.linspace(-5.0, 5.0, points)
    probe_points = np.array([-2.0, 0.0, 2.0])
    fig, axes = figure(2, 5, width=2.6, height=2.4)
    results = {}
    banner("f'(x) by autodiff at x = -2, 0, 2")
    for ax, (name, make) in zip(axes.ravel(), MODULES.items()):
        module = make()
        if hasattr(module, "weight"):
            module.to(np.float64)
        y, dy = value_and_derivative(module, grid)
        results[name] = {"max_derivative": float(dy.max()), "min_value": float(y.min())}
        if name == "PReLU":  # d sum(y) / da = sum of the negative x
            results[name]["grad_slope"] = float(module.weight.grad.numpy()[0])
        _, at_points = value_and_derivative(module, probe_points)
        results[name]["derivative_at_-2_0_2"] = at_points
        print(f"  {name:<10} f'(-2) {at_points[0]:8.4f}  f'(0) {at_points[1]:8.4f}  "
              f"f'(2) {at_points[2]:8.4f}   max f' {dy.max():.4f}")
        ax.plot(grid, y, label="f(x)")
        ax.plot(grid, dy, label="f'(x)", linestyle="--")
        ax.axhline(0, color="k", linewidth=0.4)
        ax.set_title(name, fontsize=9)
        ax.set_ylim(-2.0, 3.0)
    axes[0, 0].legend(fontsize=7)
    save(fig, out, "activation_functions.png")
    return results


if __name__ == "__main__":
    main(run, __doc__)
