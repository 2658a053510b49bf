import numpy as np

import minigrad as mg
from minigrad.data import make_blobs, make_moons, make_spiral


def test_spiral_points_follow_the_arm_formula_without_noise():
    x, y = make_spiral(n_per_class=50, n_classes=3, noise=0.0)
    assert x.shape == (150, 2) and x.dtype == np.float32
    np.testing.assert_array_equal(np.bincount(y), [50, 50, 50])
    radius = np.hypot(x[:, 0], x[:, 1])
    i = np.tile(np.arange(50), 3)
    np.testing.assert_allclose(radius, i / 49, atol=1e-6)
    theta = 4 * radius + 2 * np.pi * y / 3
    np.testing.assert_allclose(x[:, 0], radius * np.sin(theta), atol=1e-5)


def test_moons_lie_on_their_circles_without_noise():
    x, y = make_moons(n_samples=100, noise=0.0)
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-6)


def test_blobs_cluster_around_distinct_centres_and_seed_repeats():
    mg.manual_seed(3)
    x, y = make_blobs(n_per_class=200, n_classes=4, std=0.1)
    spreads = [x[y == k].std(axis=0) for k in range(4)]
    np.testing.assert_allclose(spreads, 0.1, rtol=0.2)
    mg.manual_seed(3)
    x2, _ = make_blobs(n_per_class=200, n_classes=4, std=0.1)
    np.testing.assert_array_equal(x, x2)
