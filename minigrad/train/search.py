"""Random hyper-parameter search (Bergstra & Bengio 2012, JMLR 13:281-305).

Random points cover each important dimension better than a grid of the same size,
because a grid repeats the same few values of every parameter. Scale-like
parameters (learning rate, weight decay) are drawn log-uniformly: 1e-4..1e-3
gets as many trials as 1e-2..1e-1.

    space = {"lr": LogUniform(1e-4, 1e-1), "batch_size": Choice([32, 64, 128])}
    results = random_search(run_short_training, space, n_trials=10,
                            out_csv="runs/search.csv", metric="val_acc", mode="max")
"""

import csv
import io
import math

from minigrad.rng import default_generator
from minigrad.train.checkpoint import atomic_write

__all__ = ["LogUniform", "Uniform", "IntUniform", "Choice", "sample", "random_search"]


class LogUniform:
    """log(x) ~ U[log low, log high]."""

    def __init__(self, low, high):
        if not 0 < low < high:
            raise ValueError(f"LogUniform: need 0 < low < high, got {low}, {high}")
        self.low, self.high = low, high

    def draw(self, rng):
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))


class Uniform:
    """x ~ U[low, high]."""

    def __init__(self, low, high):
        self.low, self.high = low, high

    def draw(self, rng):
        return float(rng.uniform(self.low, self.high))


class IntUniform:
    """An integer uniformly in low..high (both included)."""

    def __init__(self, low, high):
        self.low, self.high = low, high

    def draw(self, rng):
        return int(rng.integers(self.low, self.high + 1))


class Choice:
    """One of `options`, each equally likely."""

    def __init__(self, options):
        self.options = list(options)

    def draw(self, rng):
        return self.options[int(rng.integers(len(self.options)))]


def sample(space, rng=None):
    """One configuration: each entry of `space` drawn (constants pass through)."""
    rng = rng or default_generator()
    return {name: (dist.draw(rng) if hasattr(dist, "draw") else dist)
            for name, dist in space.items()}


def _write_table(path, rows):
    columns = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    text = buffer.getvalue().encode()
    atomic_write(path, lambda handle: handle.write(text))


def random_search(objective, space, n_trials, out_csv=None, metric="val_loss", mode=None,
                  rng=None):
    """Run objective(config) -> {metric: value, ...} on `n_trials` random configs.

    The table (one row per trial: trial, the config, the results) is rewritten after
    every trial, so an interrupted search keeps what it found. A trial that raises
    (e.g. a diverging loss) is recorded with its error and the search goes on.
    Returns: the rows sorted best first by `metric` (failed trials last).
    """
    rng = rng or default_generator()
    mode = mode or ("max" if "acc" in metric else "min")
    rows = []
    for trial in range(n_trials):
        config = sample(space, rng)
        row = {"trial": trial, **config}
        try:
            row.update(objective(dict(config)))
        except (FloatingPointError, ArithmeticError, ValueError) as exc:
            row["error"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
        if out_csv:
            _write_table(out_csv, rows)

    def order(row):
        value = row.get(metric)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return (1, 0.0)
        return (0, -value if mode == "max" else value)

    return sorted(rows, key=order)
