"""Lecture 12: gradient descent vs Newton's method, and the optimal step size.

Part 1 (one dimension). Finding sqrt(2) is minimising F(x) = x^3/3 - 2x on x > 0:
F'(x) = x^2 - 2, F''(x) = 2x. Two iterations from x0 = 1.5 and x0 = 15:

    gradient descent   x <- x - a (x^2 - 2),          a = 0.1
    Newton             x <- x - (x^2 - 2) / (2x)      (step a = 1 / F''(x))

Gradient descent converges linearly from 1.5 (error times |1 - 2a sqrt 2| = 0.72
per step) and diverges from 15 (the step a F'(15) = 22.3 overshoots); Newton
converges quadratically from both (digits double each step).

Part 2 (many dimensions). For a loss L(w) with gradient g and Hessian H, the step
along -g that minimises the local quadratic model is

    a* = g'g / g'Hg                     (Nocedal & Wright 2006, sec. 3.5)

and g'Hg needs only a Hessian-vector product, which autodiff gives without ever
forming H: Hg = d/dw (g(w) . v) at v = g, i.e. mg.grad(g, w, v) on a gradient
taken with create_graph=True (Pearlmutter 1994). In one dimension a* = 1/F''(x),
Newton's step. On an ill-conditioned quadratic we compare a fixed step, the
optimal step (steepest descent with exact line search, which zig-zags) and
Newton's step (one step to the minimum). Figure: gd_vs_newton.png.
"""

import math

import numpy as np
from _common import banner, figure, main, save

import minigrad as mg

SQRT2 = math.sqrt(2.0)


def iterate(update, x0, steps, blow_up=1e6):
    """[x0, x1, ...] of x <- update(x), stopping early once |x| > blow_up."""
    xs = [x0]
    for _ in range(steps):
        x = update(xs[-1])
        xs.append(x)
        if not abs(x) < blow_up:
            break
    return xs


def derivatives(x):
    """F'(x) and F''(x) of F(x) = x^3/3 - 2x, by autodiff (second derivative through
    create_graph)."""
    x = mg.tensor(np.float64(x), requires_grad=True)
    loss = x**3 / 3 - 2 * x
    (g,) = mg.grad(loss, x, create_graph=True)
    (h,) = mg.grad(g, x)
    return g.item(), h.item()


def gradient_descent_step(x, a=0.1):
    """x - a F'(x) = x - a (x^2 - 2)."""
    return x - a * derivatives(x)[0]


def newton_step(x):
    """x - F'(x) / F''(x) = x - (x^2 - 2) / (2x)."""
    g, h = derivatives(x)
    return x - g / h


def part_one(steps):
    results = {}
    for x0 in (1.5, 15.0):
        for name, update in (("gd", gradient_descent_step), ("newton", newton_step)):
            xs = iterate(update, x0, steps)
            errors = [abs(x - SQRT2) for x in xs]
            converged = next((k for k, e in enumerate(errors) if e < 1e-10), None)
            results[f"{name}_x0={x0:g}"] = {"xs": xs, "errors": errors,
                                            "steps_to_1e-10": converged}
            shown = ", ".join(f"{x:.10g}" for x in xs[:6])
            print(f"{name:>6} from x0={x0:<4g}: {shown}{' ...' if len(xs) > 6 else ''}")
            print(f"{'':>6}   steps to |x - sqrt 2| < 1e-10: {converged}; last x = {xs[-1]:.6g}")
    return results


def quadratic(w, a_matrix):
    """L(w) = 1/2 w'Aw: minimum at 0, Hessian A."""
    return 0.5 * (w @ (a_matrix @ w))


def gradient_and_hvp(w, a_matrix, v=None):
    """(g, H v) at w by double backward: H v = d/dw (g(w) . v), v held constant.
    v defaults to g itself (the direction steepest descent moves along)."""
    w = mg.tensor(w, requires_grad=True)
    (g,) = mg.grad(quadratic(w, a_matrix), w, create_graph=True)
    v = g.detach() if v is None else mg.tensor(v)
    (hv,) = mg.grad((g * v).sum(), w)
    return g.numpy().copy(), hv.numpy()


def part_two(steps, condition):
    a_matrix = mg.tensor(np.diag([1.0, condition]))
    w0 = np.array([condition / 2, 1.0])
    paths = {}
    for rule in ("fixed", "optimal", "newton"):
        w, path, step_sizes = w0.copy(), [w0.copy()], []
        for _ in range(steps):
            g, hg = gradient_and_hvp(w, a_matrix)
            if rule == "fixed":
                step = -1.0 / condition * g  # the largest safe constant is 2 / lambda_max
            elif rule == "optimal":
                alpha = (g @ g) / (g @ hg)
                step_sizes.append(alpha)
                step = -alpha * g
            else:  # Newton: solve H d = -g; here H is read off with HVPs on the basis
                hessian = np.stack([gradient_and_hvp(w, a_matrix, e)[1] for e in np.eye(2)])
                step = -np.linalg.solve(hessian, g)
            w = w + step
            path.append(w.copy())
        path = np.array(path)
        loss = [0.5 * p @ (a_matrix.numpy() @ p) for p in path]
        paths[rule] = {"path": path, "loss": loss, "step_sizes": step_sizes}
        print(f"{rule:>8}: loss after {steps} steps {loss[-1]:.3e}"
              + (f"; optimal steps a* = {', '.join(f'{s:.3f}' for s in step_sizes[:4])}"
                 if step_sizes else ""))
    return paths


def plot(one, two, condition):
    fig, axes = figure(1, 2, width=5)
    ax = axes[0, 0]
    for key, value in one.items():
        errors = np.maximum(value["errors"], 1e-17)
        ax.semilogy(errors[:25], marker=".", label=key)
    ax.set_ylim(1e-17, 1e8)
    ax.set(xlabel="iteration", ylabel="|x - sqrt 2|", title="x <- x - a (x^2 - 2)")
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    grid = np.linspace(-condition / 2 - 1, condition / 2 + 1, 200)
    xx, yy = np.meshgrid(grid, np.linspace(-1.5, 1.5, 200))
    ax.contour(xx, yy, 0.5 * (xx**2 + condition * yy**2), levels=20, linewidths=0.5)
    for rule, value in two.items():
        ax.plot(value["path"][:, 0], value["path"][:, 1], marker=".", label=rule)
    ax.set(title=f"1/2 (x^2 + {condition:g} y^2)", xlabel="w1", ylabel="w2")
    ax.legend(fontsize=7)
    return fig


def run(out, full=False):
    steps = 40 if full else 12
    banner("Part 1: x <- x - a (x^2 - 2), a = 0.1, vs Newton")
    one = part_one(steps)
    banner("Part 2: step size on an ill-conditioned quadratic, H v by double backward")
    condition = 10.0
    two = part_two(steps, condition)
    save(plot(one, two, condition), out, "gd_vs_newton.png")
    return {"part1": one, "part2": {k: {"loss": v["loss"], "step_sizes": v["step_sizes"]}
                                     for k, v in two.items()}}


if __name__ == "__main__":
    main(run, __doc__)
