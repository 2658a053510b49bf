"""Lecture 8: data preprocessing on a 2-D cloud, and why it makes optimisation easier.

Part 1 (cs231n notes, "Data preprocessing"): a correlated Gaussian cloud far from
the origin, transformed with minigrad.data's fitted preprocessors:

    zero-centre      x' = x - mu                        mean 0
    standardise      x' = (x - mu) / sigma              unit variance per feature
    PCA              x' = (x - mu) U                    decorrelated (diagonal covariance)
    whiten           x' = (x - mu) U diag(1/sqrt(l))    covariance = identity

Part 2: loss sensitivity. Logistic regression on two classes of that cloud. Far
from the origin with unequal scales, the loss is a narrow valley in (w, b): its
Hessian, H = E[s(1-s) x~ x~^T] with x~ = (x, 1), is badly conditioned: the loss
is very sensitive to b and to w along the cloud's long axis, barely to the rest,
and gradient descent at the largest stable step (lr = 1 / lambda_max) crawls
along the valley floor. After standardisation (more so after whitening) the same
model is well conditioned and the same budget of steps gets much further.
Figure: preprocessing.png.
"""

import numpy as np
from _common import banner, figure, main, save

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.data import PCA, Standardize, ZeroCenter

MEAN = np.array([6.0, -4.0])
COVARIANCE = np.array([[4.0, 1.8], [1.8, 1.0]])
TARGET = 0.3  # a loss both representations can reach


def cloud(n):
    rng = mg.rng.default_generator()
    return rng.multivariate_normal(MEAN, COVARIANCE, size=n)


def transforms(x):
    """stage name -> transformed copy of x (N, 2)."""
    return {
        "original": x,
        "zero-centred": ZeroCenter().fit_transform(x),
        "standardised": Standardize().fit_transform(x),
        "PCA (decorrelated)": PCA().fit_transform(x),
        "PCA whitened": PCA(whiten=True, eps=0.0).fit_transform(x),
    }


def logistic_loss(x, y, w, b):
    """Mean binary cross-entropy of sigmoid(x w + b). x (N, 2), y (N,), w (2,), b ()."""
    return F.binary_cross_entropy_with_logits(x @ w + b, y)


def hessian_at(x, w, b):
    """(3, 3) Hessian of the logistic loss in (w, b): E[s (1 - s) x~ x~^T]."""
    x_tilde = np.concatenate([x, np.ones((len(x), 1))], axis=1)
    s = 1 / (1 + np.exp(-(x @ w + b)))
    return (x_tilde * (s * (1 - s))[:, None]).T @ x_tilde / len(x)


def gradient_descent(x, y, lr, steps, target):
    """Full-batch GD from w = 0. Returns (losses, first step with loss < target or None)."""
    w = mg.zeros(2, dtype=np.float64, requires_grad=True)
    b = mg.zeros((), dtype=np.float64, requires_grad=True)
    xt, yt, losses = mg.tensor(x), mg.tensor(y), []
    for _ in range(steps):
        loss = logistic_loss(xt, yt, w, b)
        losses.append(loss.item())
        gw, gb = mg.grad(loss, [w, b])
        with mg.no_grad():
            w.data -= lr * gw.numpy()
            b.data -= lr * gb.numpy()
    hit = next((k for k, v in enumerate(losses) if v < target), None)
    return losses, hit, w.numpy().copy(), float(b.numpy())


def part_two(n, steps):
    x = cloud(n)
    # label by the side of a line through the cloud's mean (plus a little noise)
    direction = np.array([1.0, -1.5])
    noise = 0.3 * mg.rng.default_generator().standard_normal(n)
    y = ((x - MEAN) @ direction + noise > 0).astype(np.float64)
    results, curves = {}, {}
    representations = (("raw", x), ("standardised", Standardize().fit_transform(x)),
                       ("whitened", PCA(whiten=True, eps=0.0).fit_transform(x)))
    for name, data in representations:
        eigenvalues = np.linalg.eigvalsh(hessian_at(data, np.zeros(2), 0.0))
        lr = 1.0 / eigenvalues[-1]
        losses, hit, _, _ = gradient_descent(data, y, lr, steps, target=TARGET)
        results[name] = {"condition_number": float(eigenvalues[-1] / eigenvalues[0]),
                         "lr": float(lr), "final_loss": losses[-1],
                         "steps_to_target_loss": hit}
        curves[name] = losses
        print(f"  {name:<13} Hessian condition number {eigenvalues[-1] / eigenvalues[0]:9.1f}"
              f"  lr {lr:.3g}  loss after {steps} steps {losses[-1]:.4f}"
              f"  steps to loss < {TARGET}: {hit if hit is not None else f'> {steps}'}")
    return results, curves, (x, y)


def run(out, full=False):
    n = 2000 if full else 400
    banner(f"Part 1: {n} points from N({MEAN.tolist()}, {COVARIANCE.tolist()})")
    stages = transforms(cloud(n))
    fig, axes = figure(2, 3, width=3.4, height=3.2)
    results = {"stages": {}}
    for ax, (name, data) in zip(axes.ravel(), stages.items()):
        mean, cov = data.mean(axis=0), np.cov(data.T, ddof=0)
        results["stages"][name] = {"mean": mean, "covariance": cov}
        print(f"  {name:<19} mean ({mean[0]:7.3f}, {mean[1]:7.3f})  covariance "
              f"[[{cov[0, 0]:.3f}, {cov[0, 1]:.3f}], [{cov[1, 0]:.3f}, {cov[1, 1]:.3f}]]")
        ax.scatter(data[:, 0], data[:, 1], s=3)
        ax.axhline(0, color="k", linewidth=0.5)
        ax.axvline(0, color="k", linewidth=0.5)
        ax.set(title=name, aspect="equal", adjustable="datalim")
    steps = 2000 if full else 500
    banner("Part 2: logistic regression before and after standardisation")
    results["sensitivity"], curves, _ = part_two(n, steps)
    ax = axes[1, 2]
    for name, losses in curves.items():
        ax.semilogy(losses, label=name)
    ax.set(xlabel="GD step (lr = 1 / lambda_max)", ylabel="loss", title="Same model, same data")
    ax.legend(fontsize=7)
    save(fig, out, "preprocessing.png")
    return results


if __name__ == "__main__":
    main(run, __doc__)
