"""Lecture 6: dropout, inverted so that evaluation needs no rescaling.

Inverted dropout (Srivastava et al. 2014, JMLR 15) zeroes each unit with
probability p during training and scales the survivors by 1/(1 - p):

    y = m * x / (1 - p),   m ~ Bernoulli(1 - p)   =>   E[y] = x

so at test time the layer is the identity. Part 1 checks the expectation (fraction
of zeros, survivor value, mean) and that the average of many train-mode passes of
a layer after dropout approaches its eval-mode output. Part 2 trains a wide MLP on
60 noisy two-moons points with and without dropout: without it the network fits
every training point (noise included) and its test loss climbs as it grows
confident (overfitting); with it the boundary stays smoother, the test loss
climbs far less and test accuracy is higher. Figure: dropout.png.
"""

import numpy as np
from _common import banner, evaluate, figure, main, save, train_epoch

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.data import make_moons


def expectation(p, n=200_000, value=2.0):
    x = mg.full((n,), value)
    y = nn.Dropout(p)(x).numpy()
    survivors = y[y != 0]
    return {"frac_zero": float(np.mean(y == 0)), "survivor_value": float(survivors[0]),
            "mean": float(y.mean()), "expected_mean": value}


def averaged_passes(passes, width=64):
    """Max |mean of train-mode outputs - eval output| of Linear(Dropout(x))."""
    model = nn.Sequential(nn.Dropout(0.5), nn.Linear(width, 4))
    x = mg.tensor(mg.rng.default_generator().standard_normal((1, width)).astype(np.float32))
    with mg.no_grad():
        total = sum(model(x).numpy() for _ in range(passes))
        model.eval()
        reference = model(x).numpy()
    return float(np.abs(total / passes - reference).max()), float(np.abs(reference).max())


def make_model(p):
    """2-256-256-2 MLP, far more capacity than 60 noisy points need."""
    layers = [nn.Linear(2, 256), nn.ReLU()]
    layers += [nn.Dropout(p)] if p else []
    layers += [nn.Linear(256, 256), nn.ReLU()]
    layers += [nn.Dropout(p)] if p else []
    return nn.Sequential(*layers, nn.Linear(256, 2))


def curves(data, p, epochs, every):
    """Train full-batch with Adam; every `every` epochs record train/test loss and acc."""
    x, y, x_test, y_test = data
    mg.manual_seed(1)
    model = make_model(p)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    history = {"epoch": [], "train_loss": [], "test_loss": [], "train_acc": [], "test_acc": []}
    for epoch in range(1, epochs + 1):
        train_epoch(model, opt, x, y, batch_size=len(x))
        if epoch % every == 0:
            history["epoch"].append(epoch)
            for split, (xs, ys) in (("train", (x, y)), ("test", (x_test, y_test))):
                loss, acc = evaluate(model, xs, ys)
                history[f"{split}_loss"].append(loss)
                history[f"{split}_acc"].append(acc)
    return history, model


def draw_boundary(ax, model, x, y, title):
    grid = np.linspace(-2.0, 3.0, 150)
    xx, yy = np.meshgrid(grid, np.linspace(-1.5, 2.0, 120))
    points = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)
    model.eval()
    with mg.no_grad():
        probability = mg.softmax(model(mg.tensor(points)), axis=1).numpy()[:, 1]
    ax.contourf(xx, yy, probability.reshape(xx.shape), levels=10, cmap="RdBu", alpha=0.6)
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap="RdBu", edgecolors="k", s=14)
    ax.set_title(title, fontsize=9)


def run(out, full=False):
    results = {"expectation": {}}
    banner("Part 1: inverted dropout keeps the expectation")
    for p in (0.2, 0.5, 0.8):
        stats = expectation(p)
        results["expectation"][p] = stats
        print(f"  p = {p}: zeros {stats['frac_zero']:.4f}, survivors {stats['survivor_value']:.4f}"
              f" (= 2 / (1 - p) = {2 / (1 - p):.4f}), mean {stats['mean']:.4f} (x = 2)")
    passes = 4000 if full else 1000
    gap, scale = averaged_passes(passes)
    results["averaged_passes"] = {"passes": passes, "max_gap": gap, "output_scale": scale}
    print(f"  mean of {passes} train-mode passes vs eval output: max gap {gap:.4f} "
          f"(outputs ~{scale:.2f})")

    n_train, epochs = (60, 600) if full else (60, 150)
    data = make_moons(n_train, noise=0.35) + make_moons(1000, noise=0.35)
    banner(f"Part 2: MLP 2-256-256-2 on {n_train} noisy moons, {epochs} full-batch Adam steps")
    fig, axes = figure(1, 3, width=4.0)
    results["training"] = {}
    for column, p in enumerate((0.0, 0.5)):
        history, model = curves(data, p, epochs, every=5)
        results["training"][p] = history
        label = "no dropout" if p == 0 else f"dropout p={p}"
        print(f"  {label:<14} final train loss {history['train_loss'][-1]:.4f} acc "
              f"{history['train_acc'][-1]:.3f} | test loss {history['test_loss'][-1]:.4f} acc "
              f"{history['test_acc'][-1]:.3f} (best test loss {min(history['test_loss']):.4f})")
        line = axes[0, 0].plot(history["epoch"], history["train_loss"], linestyle="--")[0]
        axes[0, 0].plot(history["epoch"], history["test_loss"], color=line.get_color(),
                        label=label)
        draw_boundary(axes[0, column + 1], model, data[0], data[1],
                      f"{label}: test acc {history['test_acc'][-1]:.3f}")
    axes[0, 0].set(xlabel="epoch", ylabel="cross-entropy", yscale="log",
                   title="train (dashed) / test loss")
    axes[0, 0].legend(fontsize=8)
    save(fig, out, "dropout.png")
    return results


if __name__ == "__main__":
    main(run, __doc__)
