"""Lecture 7: regularisation and early stopping on a small training set.

With 200 training images of the 8x8 digits, an MLP memorises the training set and
its validation loss turns upward. Each regulariser trades training fit for
validation performance:

    L2 penalty      loss + lambda/2 ||W||^2  (weight decay; Krogh & Hertz 1992)
    dropout         p = 0.3 on the hidden layers (Srivastava et al. 2014)
    cutout          zero a random 3x3 square of each image (DeVries & Taylor 2017)
    mixup           train on lam x_i + (1 - lam) x_j with soft targets, lam ~ Beta(a, a)
                    (Zhang et al. 2018)

Early stopping (Prechelt 1998) watches the validation loss and stops after
`patience` epochs without improvement, keeping the best epoch's weights. Every run
trains for the full budget so the whole validation curve is drawn; the epoch at
which EarlyStopping(patience=5) would have stopped, and the epoch whose weights
it would have kept, are marked. Test accuracy is reported for the final weights
and for the early-stopped ones. Augmentation makes the validation curve noisier
and slower to bottom out, so a short patience can stop such runs too early (see
cutout with --full): patience is a hyperparameter too. Figure:
regularization.png.
"""

import numpy as np
from _common import banner, evaluate, figure, main, save, train_epoch

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.data import load_digits
from minigrad.data.transforms import Cutout, MixUp
from minigrad.train import EarlyStopping

PATIENCE = 5


def make_model(p=0.0):
    layers = [nn.Flatten(), nn.Linear(64, 128), nn.ReLU()]
    layers += [nn.Dropout(p)] if p else []
    layers += [nn.Linear(128, 128), nn.ReLU()]
    layers += [nn.Dropout(p)] if p else []
    return nn.Sequential(*layers, nn.Linear(128, 10))


def variants():
    """name -> (model dropout p, batch transform, L2 weight)."""
    return {
        "baseline": (0.0, None, 0.0),
        "L2 (1e-3)": (0.0, None, 1e-3),
        "dropout 0.3": (0.3, None, 0.0),
        "cutout 3x3": (0.0, Cutout(3), 0.0),
        "mixup a=0.4": (0.0, MixUp(10, alpha=0.4), 0.0),
    }


def train_variant(data, p, transform, l2, epochs):
    x, y, x_val, y_val, x_test, y_test = data
    mg.manual_seed(1)
    model = make_model(p)
    opt = optim.Adam(model.parameters(), lr=2e-3)
    weights = [param for name, param in model.named_parameters() if name.endswith("weight")]
    penalty = (lambda: nn.l2_penalty(weights, l2)) if l2 else None
    stopper, kept_state = EarlyStopping("val_loss", patience=PATIENCE), None
    history = {"train_loss": [], "val_loss": [], "val_acc": [], "stop_epoch": None}
    for epoch in range(1, epochs + 1):
        history["train_loss"].append(train_epoch(model, opt, x, y, 32, transform, penalty))
        val_loss, val_acc = evaluate(model, x_val, y_val)
        history["val_loss"].append(val_loss)
        history["val_acc"].append(val_acc)
        if history["stop_epoch"] is None:  # what an early-stopped run would have seen
            if stopper.update({"val_loss": val_loss}):
                kept_state, history["kept_epoch"] = model.state_dict(), epoch
            if stopper.should_stop:
                history["stop_epoch"] = epoch
    history["final_test_loss"], history["final_test_acc"] = evaluate(model, x_test, y_test)
    model.load_state_dict(kept_state)
    history["early_stopped_test_loss"], history["early_stopped_test_acc"] = evaluate(
        model, x_test, y_test)
    return history


def load(n_train, n_val):
    splits = load_digits()
    order = mg.rng.default_generator().permutation(len(splits.x_train))
    train, val = order[:n_train], order[n_train:n_train + n_val]
    return (splits.x_train[train], splits.y_train[train], splits.x_train[val],
            splits.y_train[val], splits.x_test, splits.y_test)


def run(out, full=False):
    n_train, epochs = (300, 120) if full else (200, 60)
    data = load(n_train, 400)
    banner(f"MLP 64-128-128-10, {n_train} training images, {epochs} epochs, Adam 2e-3")
    fig, axes = figure(1, 2, width=5.0)
    results = {}
    for name, (p, transform, l2) in variants().items():
        history = train_variant(data, p, transform, l2, epochs)
        results[name] = history
        kept = history["kept_epoch"]
        print(f"  {name:<12} val loss: final {history['val_loss'][-1]:.4f}, best "
              f"{min(history['val_loss']):.4f}; early stopping: stops at epoch "
              f"{history['stop_epoch']}, keeps epoch {kept:>3}; test acc: final "
              f"{history['final_test_acc']:.3f}, early-stopped "
              f"{history['early_stopped_test_acc']:.3f}")
        epochs_axis = np.arange(1, epochs + 1)
        line = axes[0, 0].plot(epochs_axis, history["val_loss"], label=name)[0]
        axes[0, 0].plot(kept, history["val_loss"][kept - 1], "o", color=line.get_color())
        if history["stop_epoch"]:
            axes[0, 0].axvline(history["stop_epoch"], color=line.get_color(), linestyle=":",
                               linewidth=0.8)
        axes[0, 1].plot(epochs_axis, history["train_loss"], color=line.get_color(), label=name)
    lowest = min(min(h["val_loss"]) for h in results.values())
    axes[0, 0].set_ylim(0.8 * lowest, 2.5 * lowest)  # zoom past the first epochs' drop
    axes[0, 0].set(xlabel="epoch", ylabel="validation loss",
                   title=f"validation (o kept, : stop with patience {PATIENCE})")
    axes[0, 1].set(xlabel="epoch", ylabel="training loss (as optimised)", yscale="log",
                   title="training")
    axes[0, 0].legend(fontsize=7)
    save(fig, out, "regularization.png")
    return results


if __name__ == "__main__":
    main(run, __doc__)
