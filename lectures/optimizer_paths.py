"""Lecture 3: optimiser paths on 2-D loss surfaces.

Six update rules (minigrad.optim, PyTorch's rules) race on three surfaces that each
expose one weakness of plain gradient descent:

    ill-conditioned quadratic  f = 1/2 (x^2 + 50 y^2)       SGD zig-zags across the
                               valley; momentum averages the zig-zag out
    Rosenbrock                 f = (1 - x)^2 + 100 (y - x^2)^2
                               a curved banana valley, minimum at (1, 1)
    saddle                     f = x^2 - y^2 (start on the ridge, y = 1e-3)
                               the gradient along y is tiny: SGD lingers, adaptive
                               methods (per-coordinate scaling) escape fast

    SGD           w <- w - lr g
    momentum      b <- 0.9 b + g;  w <- w - lr b          (Polyak 1964)
    Nesterov      w <- w - lr (g + 0.9 b)                 (Sutskever et al. 2013)
    AdaGrad       r <- r + g^2;  w <- w - lr g / sqrt(r)  (Duchi et al. 2011)
    RMSProp       r <- 0.99 r + 0.01 g^2;  ...            (Tieleman & Hinton 2012)
    Adam          bias-corrected first and second moments (Kingma & Ba 2015)

Prints the final loss (and distance to the minimum) of each; figure
optimizer_paths.png draws the paths over the contours.
"""

import numpy as np
from _common import banner, figure, main, save

import minigrad as mg
import minigrad.optim as optim


def ill_conditioned(w):
    return 0.5 * (w[0] ** 2 + 50 * w[1] ** 2)


def rosenbrock(w):
    return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2


def saddle(w):
    return w[0] ** 2 - w[1] ** 2


# surface: (function, start, minimum or None, steps (fast, full), plot box, learning rates)
SURFACES = {
    "ill-conditioned": (ill_conditioned, (-4.0, 1.0), (0.0, 0.0), (60, 200),
                        ((-4.5, 1.5), (-1.5, 1.5)),
                        dict(sgd=0.035, momentum=0.01, nesterov=0.01, adagrad=0.5,
                             rmsprop=0.05, adam=0.1)),
    "rosenbrock": (rosenbrock, (-1.5, 2.0), (1.0, 1.0), (2000, 10000),
                   ((-2.0, 2.0), (-1.0, 3.0)),
                   dict(sgd=1e-3, momentum=2e-4, nesterov=2e-4, adagrad=0.3,
                        rmsprop=0.01, adam=0.05)),
    "saddle": (saddle, (-1.0, 1e-3), None, (40, 100), ((-1.5, 1.5), (-1.5, 1.5)),
               dict(sgd=0.05, momentum=0.05, nesterov=0.05, adagrad=0.1, rmsprop=0.01,
                    adam=0.05)),
}


def make_optimizer(name, params, lr):
    if name == "sgd":
        return optim.SGD(params, lr=lr)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if name == "nesterov":
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    if name == "adagrad":
        return optim.Adagrad(params, lr=lr)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr)
    return optim.Adam(params, lr=lr)


def descend(loss_fn, start, optimizer_name, lr, steps):
    """The path (steps + 1, 2) and losses (steps + 1,) of one optimiser."""
    w = mg.tensor(np.array(start, dtype=np.float64), requires_grad=True)
    opt = make_optimizer(optimizer_name, [w], lr)
    path, losses = [w.numpy().copy()], []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(w)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        path.append(w.numpy().copy())
        if not np.all(np.abs(w.numpy()) < 1e6):
            break
    losses.append(float(loss_fn(w).item()))
    return np.array(path), np.array(losses)


def plot_surface(ax, loss_fn, box, paths, title):
    (x0, x1), (y0, y1) = box
    xx, yy = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    zz = loss_fn(np.stack([xx, yy]))
    levels = np.quantile(zz, np.linspace(0.0, 1.0, 25) ** 2)
    ax.contour(xx, yy, zz, levels=np.unique(levels), linewidths=0.4, colors="grey")
    for name, path in paths.items():
        ax.plot(path[:, 0], path[:, 1], linewidth=1.0, label=name)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), title=title)


def run(out, full=False):
    fig, axes = figure(1, len(SURFACES), width=4.2, height=3.8)
    results = {}
    for column, (surface, spec) in enumerate(SURFACES.items()):
        loss_fn, start, minimum, steps, box, lrs = spec
        steps = steps[1] if full else steps[0]
        banner(f"{surface}: start {start}, {steps} steps")
        paths, results[surface] = {}, {}
        for name, lr in lrs.items():
            path, losses = descend(loss_fn, start, name, lr, steps)
            paths[name] = path
            distance = None if minimum is None else float(np.linalg.norm(path[-1] - minimum))
            results[surface][name] = {"lr": lr, "final_loss": float(losses[-1]),
                                      "final_point": path[-1], "distance": distance}
            where = "" if distance is None else f"  |w - w*| {distance:.3g}"
            print(f"  {name:<9} lr {lr:<7g} final loss {losses[-1]:>11.4g}{where}"
                  f"  at ({path[-1][0]:.3g}, {path[-1][1]:.3g})")
        plot_surface(axes[0, column], loss_fn, box, paths, surface)
    axes[0, 0].legend(fontsize=7)
    save(fig, out, "optimizer_paths.png")
    return results


if __name__ == "__main__":
    main(run, __doc__)
