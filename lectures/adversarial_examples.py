"""Lecture 13: adversarial examples with the fast gradient sign method.

Goodfellow, Shlens & Szegedy 2015 (arXiv:1412.6572): for a trained classifier
with loss L(x, y), move every pixel a small step eps in the direction that
increases the loss,

    x_adv = clip(x + eps * sign(dL/dx), 0, 1),

one backward pass to the input (x.requires_grad = True). In a model that is close
to linear in x, the change of the logits is ~ eps * ||w||_1, which grows with the
number of pixels, so a perturbation that is small in every pixel flips the
prediction. Random signs of the same size barely matter: the direction is what
counts. Trained here: an MLP on the embedded 8x8 digits (pixels in [0, 1]).
Prints test accuracy against eps for FGSM and for random sign noise; figure
adversarial_examples.png (accuracy curves, and one digit before/after).
"""

import numpy as np
from _common import banner, evaluate, figure, load_flat_digits, main, save, train_epoch

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
import minigrad.optim as optim

EPSILONS = (0.0, 0.02, 0.05, 0.1, 0.2)


def fgsm(model, x, y, eps):
    """x_adv (N, 64) for inputs x (N, 64) in [0, 1] and labels y (N,)."""
    x = mg.tensor(x, requires_grad=True)
    loss = F.cross_entropy(model(x), y)
    (grad_x,) = mg.grad(loss, x)
    return np.clip(x.numpy() + eps * np.sign(grad_x.numpy()), 0.0, 1.0).astype(np.float32)


def random_signs(x, eps):
    signs = mg.rng.default_generator().choice([-1.0, 1.0], size=x.shape)
    return np.clip(x + eps * signs, 0.0, 1.0).astype(np.float32)


def run(out, full=False):
    x, y, x_test, y_test = load_flat_digits()
    epochs = 30 if full else 12
    banner(f"Training an MLP 64-128-10 on the digits ({epochs} epochs)")
    mg.manual_seed(1)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(epochs):
        train_epoch(model, opt, x, y, batch_size=32)
    model.eval()
    results = {"clean_acc": evaluate(model, x_test, y_test)[1], "fgsm": {}, "random": {}}
    print(f"  clean test accuracy {results['clean_acc']:.3f}")

    banner("Accuracy under perturbations of size eps per pixel")
    for eps in EPSILONS:
        results["fgsm"][eps] = evaluate(model, fgsm(model, x_test, y_test, eps), y_test)[1]
        results["random"][eps] = evaluate(model, random_signs(x_test, eps), y_test)[1]
        print(f"  eps {eps:<5}: FGSM accuracy {results['fgsm'][eps]:.3f}   random signs "
              f"{results['random'][eps]:.3f}")

    eps = 0.1
    adversarial = fgsm(model, x_test, y_test, eps)
    with mg.no_grad():
        before = model(mg.tensor(x_test)).numpy().argmax(1)
        after = model(mg.tensor(adversarial)).numpy().argmax(1)
    flipped = np.flatnonzero((before == y_test) & (after != y_test))
    example = int(flipped[0])
    results["example"] = {"index": example, "label": int(y_test[example]),
                          "adversarial_prediction": int(after[example]),
                          "max_pixel_change": float(np.abs(adversarial[example]
                                                           - x_test[example]).max())}
    print(f"  test image {example}: label {y_test[example]}, predicted {after[example]} after "
          f"changing each pixel by at most {eps}")

    fig, axes = figure(1, 4, width=2.8, height=2.8)
    axes[0, 0].plot(EPSILONS, [results["fgsm"][e] for e in EPSILONS], marker="o", label="FGSM")
    axes[0, 0].plot(EPSILONS, [results["random"][e] for e in EPSILONS], marker="s",
                    label="random signs")
    axes[0, 0].set(xlabel="eps", ylabel="test accuracy", ylim=(0, 1), title="Robustness")
    axes[0, 0].legend(fontsize=7)
    images = (("clean", x_test[example], before[example]),
              ("perturbation", adversarial[example] - x_test[example], None),
              ("adversarial", adversarial[example], after[example]))
    for ax, (title, image, prediction) in zip(axes[0, 1:], images):
        ax.imshow(image.reshape(8, 8), cmap="gray" if prediction is not None else "RdBu")
        ax.set_title(title + ("" if prediction is None else f": predicted {prediction}"),
                     fontsize=9)
        ax.set_axis_off()
    save(fig, out, "adversarial_examples.png")
    return results


if __name__ == "__main__":
    main(run, __doc__)
