"""Lecture 5: batch normalisation in training and in evaluation.

Batch norm (Ioffe & Szegedy 2015, arXiv:1502.03167) normalises each feature with
the statistics of the current minibatch while training,

    y = gamma (x - mu_B) / sqrt(var_B + eps) + beta,

and keeps running averages (mu, var) for evaluation, where it becomes a fixed
affine map. This script shows, on an MLP for the embedded 8x8 digits:

1. train vs eval: in training mode a sample's output depends on the rest of its
   batch; in eval mode it does not. Batch statistics are noisy with std ~ 1/sqrt(B).
2. batch size: the same model trained with batch sizes 2, 8 and 64; small batches
   give noisy statistics and a gap between training-mode and eval-mode accuracy.
3. folding: in eval mode BN is affine, so it merges into the preceding Linear layer
   (W' = W gamma / sqrt(var + eps), b' = (b - mu) gamma / sqrt(var + eps) + beta);
   the folded network gives the same outputs with fewer ops.
4. batch size 2: BN in training mode maps every feature to exactly -1 or +1
   (two values, normalised), while LayerNorm (Ba et al. 2016) and GroupNorm (Wu & He
   2018) normalise each sample on its own and do not care about the batch.
Figures: batch_norm.png.
"""

import numpy as np
from _common import banner, evaluate, figure, load_flat_digits, main, save, train_epoch

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim


def make_model(hidden=32):
    return nn.Sequential(nn.Linear(64, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                         nn.Linear(hidden, 10))


def train(x, y, batch_size, epochs, seed=1):
    """SGD with momentum; lr scaled linearly with the batch size (Goyal et al. 2017)."""
    mg.manual_seed(seed)
    model = make_model()
    opt = optim.SGD(model.parameters(), lr=0.05 * batch_size / 32, momentum=0.9)
    for _ in range(epochs):
        train_epoch(model, opt, x, y, batch_size)
    return model


def batch_dependence(model, x):
    """How much sample 0's output changes when its batch companions change."""
    first, second = mg.tensor(x[:16]), mg.tensor(np.concatenate([x[:1], x[16:31]]))
    changes = {}
    with mg.no_grad():
        for mode in ("train", "eval"):
            model.train(mode == "train")
            a, b = model(first).numpy()[0], model(second).numpy()[0]
            changes[mode] = float(np.abs(a - b).max())
    model.train()
    return changes


def batch_mean_noise(model, x, batch_sizes, draws=200):
    """std over random batches of the batch mean of BN's first input feature, per B."""
    with mg.no_grad():
        features = model[0](mg.tensor(x)).numpy()[:, 0]
    rng = mg.rng.default_generator()
    return {b: float(np.std([features[rng.choice(len(x), b, replace=False)].mean()
                             for _ in range(draws)])) for b in batch_sizes}, float(features.std())


def accuracy_in_train_mode(model, x, y, batch_size):
    """Accuracy when BN uses the statistics of test batches of `batch_size` (no update
    of the running statistics: they are restored afterwards)."""
    saved = {k: v.copy() for k, v in model.state_dict().items()}
    correct = 0
    with mg.no_grad():
        for start in range(0, len(x) - batch_size + 1, batch_size):
            logits = model(mg.tensor(x[start:start + batch_size])).numpy()
            correct += int((logits.argmax(1) == y[start:start + batch_size]).sum())
    model.load_state_dict(saved)
    return correct / (len(x) // batch_size * batch_size)


def per_sample_norms_at_batch_size_two():
    """Max deviation of BN(train) outputs from +-1, and of LN/GN outputs from the
    same sample normalised alone, on a batch of 2 standard normal vectors."""
    pair = mg.tensor(mg.rng.default_generator().standard_normal((2, 32)))
    bn = nn.BatchNorm1d(32, dtype=np.float64)
    with mg.no_grad():
        bn_out = bn(pair).numpy()
        # |y| = |d/2| / sqrt(d^2/4 + eps) for a feature whose two values differ by d
        results = {"batchnorm_median_dev_from_pm1": float(np.median(np.abs(np.abs(bn_out) - 1))),
                   "batchnorm_max_abs_y0_plus_y1": float(np.abs(bn_out[0] + bn_out[1]).max())}
        for name, layer in (("layernorm", nn.LayerNorm(32, dtype=np.float64)),
                            ("groupnorm", nn.GroupNorm(4, 32, dtype=np.float64))):
            together = layer(pair).numpy()
            alone = np.concatenate([layer(pair[i:i + 1]).numpy() for i in range(2)])
            results[f"{name}_batch_vs_alone"] = float(np.abs(together - alone).max())
    return results


def run(out, full=False):
    x, y, x_test, y_test = load_flat_digits()
    if not full:
        x, y = x[:480], y[:480]
    epochs = 10 if full else 3
    results = {}

    banner("1. train vs eval")
    model = train(x, y, 32, epochs)
    results["change_of_sample_0"] = batch_dependence(model, x_test)
    print(f"  sample 0's output changes by {results['change_of_sample_0']['train']:.3g} in "
          f"train mode and {results['change_of_sample_0']['eval']:.3g} in eval mode when the "
          "other 15 samples of its batch change")
    noise, feature_std = batch_mean_noise(model, x, (2, 8, 32, 128))
    results["batch_mean_noise"], results["feature_std"] = noise, feature_std
    for b, s in noise.items():
        print(f"  B = {b:>3}: std of the batch mean {s:.4f}  (sigma / sqrt(B) = "
              f"{feature_std / np.sqrt(b):.4f})")

    banner("2. batch size")
    results["batch_size"] = {}
    for batch_size in (2, 8, 64):
        trained = train(x, y, batch_size, epochs)
        _, eval_acc = evaluate(trained, x_test, y_test)
        train_mode_acc = accuracy_in_train_mode(trained, x_test, y_test, batch_size)
        results["batch_size"][batch_size] = {"eval_acc": eval_acc, "train_mode_acc":
                                             train_mode_acc}
        print(f"  B = {batch_size:>2}: test accuracy eval mode {eval_acc:.3f}, with batch "
              f"statistics of test batches of {batch_size}: {train_mode_acc:.3f}")

    banner("3. folding BN into the Linear layer")
    model.eval()
    folded = nn.fold_batchnorm(model)
    with mg.no_grad():
        difference = float(np.abs(model(mg.tensor(x_test)).numpy()
                                  - folded(mg.tensor(x_test)).numpy()).max())
    kinds = [type(m).__name__ for m in folded]
    results["folding"] = {"max_abs_difference": difference, "layers": kinds}
    print(f"  folded layers {kinds}; max |difference| of outputs {difference:.2e}")

    banner("4. batch size 2: BatchNorm vs LayerNorm / GroupNorm")
    results["batch_of_two"] = per_sample_norms_at_batch_size_two()
    for key, value in results["batch_of_two"].items():
        print(f"  {key}: {value:.2e}")

    fig, axes = figure(1, 2, width=4.5)
    sizes = list(noise)
    axes[0, 0].loglog(sizes, [noise[b] for b in sizes], marker="o", label="measured")
    axes[0, 0].loglog(sizes, [feature_std / np.sqrt(b) for b in sizes], "--",
                      label="sigma / sqrt(B)")
    axes[0, 0].set(xlabel="batch size B", ylabel="std of batch mean",
                   title="Noise of batch statistics")
    axes[0, 0].legend(fontsize=8)
    labels = [str(b) for b in results["batch_size"]]
    for offset, key in enumerate(("eval_acc", "train_mode_acc")):
        axes[0, 1].bar(np.arange(len(labels)) + 0.4 * offset - 0.2,
                       [v[key] for v in results["batch_size"].values()], width=0.4, label=key)
    axes[0, 1].set(xticks=range(len(labels)), xticklabels=labels, xlabel="batch size",
                   ylabel="test accuracy", title="Eval mode vs batch statistics")
    axes[0, 1].legend(fontsize=8)
    save(fig, out, "batch_norm.png")
    return results


if __name__ == "__main__":
    main(run, __doc__)
