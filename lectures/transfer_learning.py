"""Lecture 10: transfer learning: pretrain on some classes, reuse for others.

The embedded digits are split by class: a network is pretrained on digits 0-4
(all their training images), then adapted to digits 5-9 given only a few labelled
images per class. Three ways to train on the new task (Yosinski et al. 2014,
arXiv:1411.1792: early features are general, later ones task-specific):

    from scratch       a fresh network, every weight learned from the few images
    linear probe       keep the pretrained backbone frozen (no gradients) and train
                       only a new head: a logistic regression on learned features
    full fine-tune     new head with lr 5e-2, backbone unfrozen at lr 5e-3 (param
                       groups), so the pretrained features move only a little

minigrad.train.transfer provides freeze / replace_head / param_groups. Prints the
test accuracy on digits 5-9 of each, and how far the backbone moved; figure
transfer_learning.png.

What to expect, honestly: fine-tuning beats the linear probe (the features of
0-4 are not the best features for 5-9, and letting them move helps), and the
backbone moves only by a fraction (0.1-0.2) of its norm at its small lr. On these
8x8 images raw pixels are already good features, so training from scratch on the
few images is hard to beat: transfer pays off when the pretraining task is much
bigger and closer to the new one (ImageNet features for natural images), and a
lecture can use this result to ask why.
"""

import copy

import numpy as np
from _common import banner, evaluate, figure, load_flat_digits, main, save, train_epoch

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.train import freeze, param_groups, replace_head, trainable_parameters

HEAD_LR = 0.05


class Net(nn.Module):
    """features: 64 -> 128 -> 64 (ReLU); head: 64 -> n_classes."""

    def __init__(self, n_classes):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64),
                                      nn.ReLU())
        self.head = nn.Linear(64, n_classes)

    def forward(self, x):
        return self.head(self.features(x))


def split_by_class(x, y, classes):
    keep = np.isin(y, classes)
    return x[keep], (y[keep] - min(classes)).astype(np.int64)


def few_per_class(x, y, per_class):
    rng = mg.rng.default_generator()
    chosen = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                             for c in np.unique(y)])
    return x[chosen], y[chosen]


def fit(model, opt, x, y, epochs, batch_size=16):
    for _ in range(epochs):
        train_epoch(model, opt, x, y, batch_size)
    return model


def backbone_change(model, pretrained):
    """||W_now - W_pretrained|| / ||W_pretrained|| over the backbone's weights."""
    now = dict(model.features.named_parameters())
    before = dict(pretrained.features.named_parameters())
    change = sum(float(np.sum((now[k].numpy() - before[k].numpy()) ** 2)) for k in now)
    scale = sum(float(np.sum(before[k].numpy() ** 2)) for k in now)
    return (change / scale) ** 0.5


def run(out, full=False):
    x, y, x_test, y_test = load_flat_digits()
    source, target = [0, 1, 2, 3, 4], [5, 6, 7, 8, 9]
    per_class, epochs = (10, 60) if full else (5, 40)
    banner("Pretraining on digits 0-4")
    mg.manual_seed(1)
    pretrained = Net(5)
    x_src, y_src = split_by_class(x, y, source)
    fit(pretrained, optim.Adam(pretrained.parameters(), lr=2e-3), x_src, y_src,
        15 if full else 8, batch_size=32)
    _, source_acc = evaluate(pretrained, *split_by_class(x_test, y_test, source))
    print(f"  test accuracy on digits 0-4: {source_acc:.3f}")

    x_tgt, y_tgt = few_per_class(*split_by_class(x, y, target), per_class)
    x_tgt_test, y_tgt_test = split_by_class(x_test, y_test, target)
    banner(f"Digits 5-9 from {per_class} images per class ({len(x_tgt)} in all), "
           f"{epochs} epochs")
    results = {"source_acc": source_acc, "per_class": per_class}
    for label in ("from scratch", "linear probe", "full fine-tune"):
        mg.manual_seed(2)
        if label == "from scratch":
            model = Net(5)
            opt = optim.SGD(model.parameters(), lr=HEAD_LR, momentum=0.9)
        else:
            model = copy.deepcopy(pretrained)
            replace_head(model, "head", nn.Linear(64, 5))
            if label == "linear probe":
                freeze(model, "features")
                opt = optim.SGD(trainable_parameters(model), lr=HEAD_LR, momentum=0.9)
            else:
                groups = param_groups(model, {"features": HEAD_LR / 10}, default_lr=HEAD_LR)
                opt = optim.SGD(groups, lr=HEAD_LR, momentum=0.9)
        fit(model, opt, x_tgt, y_tgt, epochs)
        _, acc = evaluate(model, x_tgt_test, y_tgt_test)
        results[label] = {"test_acc": acc}
        moved = ""
        if label != "from scratch":
            results[label]["backbone_change"] = backbone_change(model, pretrained)
            moved = f"   backbone moved by {results[label]['backbone_change']:.3g} (relative)"
        print(f"  {label:<15} test accuracy {acc:.3f}{moved}")

    fig, axes = figure(1, 1, width=5)
    labels = ["from scratch", "linear probe", "full fine-tune"]
    axes[0, 0].bar(labels, [results[k]["test_acc"] for k in labels],
                   color=["grey", "tab:blue", "tab:orange"])
    axes[0, 0].set(ylabel="test accuracy on digits 5-9", ylim=(0, 1),
                   title=f"{per_class} labelled images per new class")
    save(fig, out, "transfer_learning.png")
    return results


if __name__ == "__main__":
    main(run, __doc__)
