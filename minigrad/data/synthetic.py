"""Small 2-D classification problems that show what a network can and cannot separate.

Each generator returns (x (N, 2) float32, y (N,) int64) and draws from the global
generator (minigrad.rng.default_generator()) unless given `rng`, so
`mg.manual_seed(s)` makes the data repeatable.
"""

import numpy as np

from minigrad.rng import default_generator

__all__ = ["make_spiral", "make_moons", "make_blobs", "GENERATORS", "as_splits"]


def make_spiral(n_per_class=100, n_classes=3, noise=0.2, rng=None):
    """Interleaved spiral arms (the cs231n toy problem), not linearly separable.

    Point i of arm k: r = i / n, theta = 4 r + 2 pi k / K + noise * eps,
    x = (r sin theta, r cos theta).
    Returns: x (n_per_class * n_classes, 2), y (same,)
    """
    rng = rng or default_generator()
    radius = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    label = np.repeat(np.arange(n_classes), n_per_class)
    theta = 4.0 * radius + 2.0 * np.pi * label / n_classes
    theta = theta + noise * rng.standard_normal(theta.shape)
    x = np.stack([radius * np.sin(theta), radius * np.cos(theta)], axis=1)
    return x.astype(np.float32), label.astype(np.int64)


def make_moons(n_samples=200, noise=0.1, rng=None):
    """Two interleaving half circles: upper (0) centred at (0, 0), lower (1) at (1, 0.5).

    Returns: x (n_samples, 2), y (n_samples,)
    """
    rng = rng or default_generator()
    n_upper = n_samples // 2
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_samples - n_upper)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    x = np.concatenate([upper, lower]) + noise * rng.standard_normal((n_samples, 2))
    y = np.concatenate([np.zeros(n_upper), np.ones(n_samples - n_upper)])
    return x.astype(np.float32), y.astype(np.int64)


def make_blobs(n_per_class=100, n_classes=3, std=0.5, box=5.0, rng=None):
    """Isotropic Gaussian clusters, centres uniform in [-box, box]^2.

    Returns: x (n_per_class * n_classes, 2), y (same,)
    """
    rng = rng or default_generator()
    centres = rng.uniform(-box, box, size=(n_classes, 2))
    y = np.repeat(np.arange(n_classes), n_per_class)
    x = centres[y] + std * rng.standard_normal((len(y), 2))
    return x.astype(np.float32), y.astype(np.int64)


GENERATORS = {"spiral": make_spiral, "moons": make_moons, "blobs": make_blobs}


def as_splits(name, n_test_fraction=0.25):
    """Generate `name` with its defaults and split it into train and test at random."""
    from minigrad.data.datasets import Splits

    x, y = GENERATORS[name]()
    order = default_generator().permutation(len(y))
    n_test = int(len(y) * n_test_fraction)
    test, train = order[:n_test], order[n_test:]
    classes = tuple(str(c) for c in range(int(y.max()) + 1))
    return Splits(x[train], y[train], x[test], y[test], classes)
