"""Shared plumbing for the lecture scripts: arguments, seeding, figures, results.

Every lecture script defines `run(out, full=False) -> dict` (the key numbers it
printed) and ends with `main(run, __doc__)`, which gives it the same command line:

    python lectures/NAME.py --out DIR [--full] [--seed 0]

Figures are drawn on matplotlib's Agg canvas (no display needed) and saved in
DIR; the key numbers are also written to DIR/NAME.json so a lecturer can quote
them and the tests can check them.
"""

import argparse
import inspect
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: lectures are rendered to files, never to a window

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import minigrad as mg  # noqa: E402

__all__ = ["main", "figure", "save", "to_jsonable", "banner", "minibatches", "train_epoch",
           "evaluate", "load_flat_digits"]


def figure(n_rows=1, n_cols=1, width=4.0, height=3.2):
    """(Figure, 2-D array of Axes) on the Agg canvas, without pyplot's global state."""
    fig = Figure(figsize=(width * n_cols, height * n_rows), layout="constrained")
    axes = np.asarray(fig.subplots(n_rows, n_cols, squeeze=False))
    return fig, axes


def save(fig, out, filename):
    """Save `fig` as out/filename and print where it went. Returns the path."""
    path = Path(out) / filename
    fig.savefig(path, dpi=110)
    print(f"  figure: {path}")
    return path


def banner(title):
    print(f"\n== {title} ==")


def to_jsonable(value):
    """NumPy scalars/arrays and nested containers -> plain Python for json.dump."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def main(run, doc, argv=None):
    """Parse --out/--full/--seed, seed minigrad's generator, call run(out, full), write
    the returned numbers to OUT/<script>.json."""
    name = Path(inspect.getsourcefile(run)).stem  # the lecture script's file name
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument("--out", default=f"lecture_output/{name}",
                        help="directory for figures and the results JSON")
    parser.add_argument("--full", action="store_true", help="lecture-scale sizes (slower)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    mg.manual_seed(args.seed)
    results = run(out, full=args.full)
    path = out / f"{name}.json"
    path.write_text(json.dumps(to_jsonable(results), indent=1))
    print(f"  numbers: {path}")
    return results


# ----------------------------------------------------------------- small training loops
# The lectures train small models on in-memory arrays; these loops are spelled out
# (rather than using minigrad.train.Trainer) so each lecture shows every step.

def minibatches(n, batch_size, shuffle=True):
    """Index arrays covering range(n) in batches, shuffled with minigrad's generator."""
    order = mg.rng.default_generator().permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def train_epoch(model, optimizer, x, y, batch_size=64, transform=None, penalty=None):
    """One epoch of minibatch training with cross-entropy; returns the mean loss.

    transform(xb, yb) -> (xb, yb) augments a batch (yb may become soft targets);
    penalty() -> Tensor is added to the loss (e.g. an L2 term).
    """
    from minigrad.nn import functional as F

    model.train()
    total, count = 0.0, 0
    for index in minibatches(len(x), batch_size):
        xb, yb = x[index], y[index]
        if transform is not None:
            xb, yb = transform(xb, yb)
        loss = F.cross_entropy(model(mg.tensor(xb)), mg.tensor(yb) if yb.ndim > 1 else yb)
        total += loss.item() * len(index)
        count += len(index)
        if penalty is not None:
            loss = loss + penalty()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return total / count


def evaluate(model, x, y):
    """(mean cross-entropy, accuracy) of model on arrays x, y in eval mode."""
    from minigrad.nn import functional as F

    model.eval()
    with mg.no_grad():
        logits = model(mg.tensor(x))
        loss = F.cross_entropy(logits, y).item()
    model.train()
    return loss, float(np.mean(logits.numpy().argmax(axis=1) == y))


def load_flat_digits():
    """The embedded 8x8 digits as (x_train (N, 64), y_train, x_test, y_test), float32."""
    from minigrad.data import load_digits

    splits = load_digits()
    flat = lambda images: images.reshape(len(images), -1)  # noqa: E731
    return flat(splits.x_train), splits.y_train, flat(splits.x_test), splits.y_test
