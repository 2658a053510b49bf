"""Assignment 4: the practice of training — initialisation, learning rates, early
stopping, augmentation, transfer learning, and a stated accuracy to reach."""

import numpy as np

import minigrad as mg
import minigrad.nn as nn


# ----------------------------------------------------------------- 4.1 initialisation
def init_weight(fan_in, fan_out, scheme, rng):
    """A (fan_in, fan_out) weight drawn from N(0, std^2):
    "normal0.01": std 0.01;  "normal0.05": std 0.05;
    "xavier": std sqrt(2 / (fan_in + fan_out))   (Glorot & Bengio 2010);
    "kaiming": std sqrt(2 / fan_in)              (He et al. 2015, arXiv:1502.01852).
    """
    ### BEGIN SOLUTION
    if scheme == "normal0.01":
        std = 0.01
    elif scheme == "normal0.05":
        std = 0.05
    elif scheme == "xavier":
        std = np.sqrt(2.0 / (fan_in + fan_out))
    elif scheme == "kaiming":
        std = np.sqrt(2.0 / fan_in)
    else:
        raise ValueError(f"init_weight: unknown scheme {scheme!r}")
    return rng.normal(0.0, std, (fan_in, fan_out))
    ### END SOLUTION


def layer_stds(scheme, nonlinearity, depth=10, width=256, batch=500, seed=0):
    """Push x ~ N(0, 1) of shape (batch, width) through `depth` layers
    h <- f(h @ W), W = init_weight(width, width, scheme, rng), f = tanh or relu,
    rng = np.random.default_rng(seed) (x drawn first). Returns the standard deviation
    of each layer's output h: a list of `depth` floats."""
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    h = rng.standard_normal((batch, width))
    activation = np.tanh if nonlinearity == "tanh" else (lambda z: np.maximum(z, 0.0))
    stds = []
    for _ in range(depth):
        h = activation(h @ init_weight(width, width, scheme, rng))
        stds.append(float(h.std()))
    return stds
    ### END SOLUTION


# ----------------------------------------------------------------- 4.2 LR range test
def lr_range_test(train_step, start_lr, end_lr, num_steps, diverge=4.0):
    """Smith's LR range test (arXiv:1506.01186): one training step per learning rate,
    the rates spaced geometrically from start_lr to end_lr; stop after the first loss
    above diverge * (the best loss so far). train_step(lr) -> loss (float).
    Returns (lrs, losses), two lists of equal length."""
    ### BEGIN SOLUTION
    lrs = np.geomspace(start_lr, end_lr, num_steps)
    tried, losses, best = [], [], np.inf
    for lr in lrs:
        loss = float(train_step(float(lr)))
        tried.append(float(lr))
        losses.append(loss)
        best = min(best, loss)
        if loss > diverge * best:
            break
    return tried, losses
    ### END SOLUTION


def suggest_lr(lrs, losses):
    """A tenth of the learning rate at the lowest loss."""
    ### BEGIN SOLUTION
    return lrs[int(np.argmin(losses))] / 10
    ### END SOLUTION


# ----------------------------------------------------------------- 4.3 early stopping
class EarlyStopping:
    """Stop when the validation loss has not improved by more than min_delta for
    `patience` epochs in a row. step(val_loss) returns True when training should
    stop; best (the lowest loss) and best_epoch (0-based) say where it was."""

    def __init__(self, patience, min_delta=0.0):
        ### BEGIN SOLUTION
        self.patience, self.min_delta = patience, min_delta
        self.best, self.best_epoch, self.epoch, self.bad_epochs = np.inf, -1, -1, 0
        ### END SOLUTION

    def step(self, val_loss):
        ### BEGIN SOLUTION
        self.epoch += 1
        if val_loss < self.best - self.min_delta:
            self.best, self.best_epoch = val_loss, self.epoch
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience
        ### END SOLUTION


# ----------------------------------------------------------------- 4.4 augmentation
def random_crop(images, padding, rng):
    """Zero-pad each image (N, C, H, W) by `padding` on every side and cut a random
    H x W window from it, offsets (dy, dx) drawn per image with rng.integers(0, 2p + 1,
    size=2). Returns (N, C, H, W)."""
    ### BEGIN SOLUTION
    n, _, h, w = images.shape
    padded = np.pad(images, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.empty_like(images)
    for index in range(n):
        dy, dx = rng.integers(0, 2 * padding + 1, size=2)
        out[index] = padded[index, :, dy:dy + h, dx:dx + w]
    return out
    ### END SOLUTION


def horizontal_flip(images, rng, p=0.5):
    """Mirror each image left-right with probability p (flip = rng.random(N) < p)."""
    ### BEGIN SOLUTION
    out = images.copy()
    flip = rng.random(len(images)) < p
    out[flip] = out[flip][..., ::-1]
    return out
    ### END SOLUTION


# ----------------------------------------------------------------- 4.5 transfer learning
def freeze(module):
    """Stop training `module`: every parameter's requires_grad becomes False."""
    ### BEGIN SOLUTION
    for param in module.parameters():
        param.requires_grad_(False)
    ### END SOLUTION


def finetune_param_groups(backbone, head, lr, backbone_lr_scale=0.1):
    """Param groups for fine-tuning: the backbone at lr * backbone_lr_scale, the head
    at lr. Returns [{"params": [...], "lr": ...}, {"params": [...], "lr": ...}]."""
    ### BEGIN SOLUTION
    return [{"params": list(backbone.parameters()), "lr": lr * backbone_lr_scale},
            {"params": list(head.parameters()), "lr": lr}]
    ### END SOLUTION


# ----------------------------------------------------------------- 4.6 a stated accuracy
def train_to_accuracy(seed=0):
    """Train a classifier of your choice (minigrad.nn) on minigrad.data.load_digits()
    so that its test accuracy is at least 0.95, in a few seconds. Returns the test
    accuracy in [0, 1]."""
    ### BEGIN SOLUTION
    from minigrad.data import load_digits

    mg.manual_seed(seed)
    data = load_digits()
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = mg.optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(seed)
    for _ in range(6):
        order = rng.permutation(len(data.y_train))
        for start in range(0, len(order), 128):
            batch = order[start:start + 128]
            loss = nn.functional.cross_entropy(model(mg.tensor(data.x_train[batch])),
                                               data.y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with mg.no_grad():
        predicted = model(mg.tensor(data.x_test)).numpy().argmax(axis=1)
    return float(np.mean(predicted == data.y_test))
    ### END SOLUTION
