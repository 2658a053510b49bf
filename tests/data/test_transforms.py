import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.data.transforms import (
    ColorJitter,
    Compose,
    CutMix,
    Cutout,
    GaussianNoise,
    MixUp,
    RandomCrop,
    RandomHorizontalFlip,
    RandomResizedCrop,
    bilinear_crop_resize,
)
from minigrad.errors import ShapeError


def images(n=6, c=2, h=5, w=7, seed=0):
    return np.random.default_rng(seed).standard_normal((n, c, h, w)).astype(np.float32)


def test_flip_mirrors_some_images_and_leaves_the_rest():
    x = images(n=40)
    mg.manual_seed(0)
    out = RandomHorizontalFlip(p=0.5)(x)
    flipped = [np.array_equal(out[i], x[i, :, :, ::-1]) for i in range(40)]
    kept = [np.array_equal(out[i], x[i]) for i in range(40)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 8 < sum(flipped) < 32
    assert np.array_equal(RandomHorizontalFlip(p=1.0)(x), x[..., ::-1])


@settings(max_examples=20, deadline=None)
@given(pad=st.integers(0, 3), size=st.integers(1, 5), seed=st.integers(0, 99))
def test_random_crop_windows_come_from_the_padded_image(pad, size, seed):
    x = images(n=4, h=5, w=5)
    out = RandomCrop(size, padding=pad, rng=np.random.default_rng(seed))(x)
    assert out.shape == (4, 2, size, size)
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    span = 5 + 2 * pad - size + 1
    for n in range(4):  # naive reference: some window position must match exactly
        windows = [padded[n, :, i:i + size, j:j + size] for i in range(span) for j in range(span)]
        assert any(np.array_equal(out[n], w) for w in windows)


def test_random_crop_too_large():
    with pytest.raises(ShapeError, match=r"crop \(9, 9\) is larger than the padded image"):
        RandomCrop(9, padding=1)(images(h=5, w=5))


def naive_bilinear(image, top, left, height, width, out_h, out_w):
    c, h, w = image.shape
    out = np.zeros((c, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            r = min(max(top + (i + 0.5) * height / out_h - 0.5, 0), h - 1)
            q = min(max(left + (j + 0.5) * width / out_w - 0.5, 0), w - 1)
            r0, q0 = int(np.floor(r)), int(np.floor(q))
            r1, q1 = min(r0 + 1, h - 1), min(q0 + 1, w - 1)
            a, b = r - r0, q - q0
            out[:, i, j] = ((1 - a) * (1 - b) * image[:, r0, q0] + (1 - a) * b * image[:, r0, q1]
                            + a * (1 - b) * image[:, r1, q0] + a * b * image[:, r1, q1])
    return out


def test_bilinear_resize_matches_naive_loop_and_identity():
    x = images(n=3, h=6, w=5).astype(np.float64)
    top, left = np.array([0.0, 1.5, 2.0]), np.array([0.0, 0.3, 1.0])
    height, width = np.array([6.0, 3.2, 4.0]), np.array([5.0, 2.5, 4.0])
    out = bilinear_crop_resize(x, top, left, height, width, (4, 3))
    for n in range(3):
        np.testing.assert_allclose(out[n], naive_bilinear(x[n], top[n], left[n], height[n],
                                                          width[n], 4, 3), atol=1e-12)
    same = bilinear_crop_resize(x, np.zeros(3), np.zeros(3), np.full(3, 6.0), np.full(3, 5.0),
                                (6, 5))
    np.testing.assert_allclose(same, x, atol=1e-12)


def test_random_resized_crop_shape_and_full_scale_is_identity():
    x = images(n=5, h=8, w=8)
    assert RandomResizedCrop(4)(x).shape == (5, 2, 4, 4)
    out = RandomResizedCrop(8, scale=(1.0, 1.0), ratio=(1.0, 1.0))(x)
    np.testing.assert_allclose(out, x, atol=1e-6)


def test_color_jitter_ranges():
    x = np.abs(images(n=200)) + 0.1
    out = ColorJitter(brightness=0.3)(x)
    ratio = (out / x).reshape(200, -1)
    # one brightness factor per image
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[:, :1], ratio.shape), rtol=1e-5)
    assert ratio.min() >= 0.7 - 1e-6 and ratio.max() <= 1.3 + 1e-6
    out = ColorJitter(contrast=0.5)(x)
    np.testing.assert_allclose(out.mean(axis=(1, 2, 3)), x.mean(axis=(1, 2, 3)), rtol=1e-5)
    spread = out.std(axis=(1, 2, 3)) / x.std(axis=(1, 2, 3))
    assert spread.min() >= 0.5 - 1e-5 and spread.max() <= 1.5 + 1e-5


def test_gaussian_noise_statistics():
    x = np.zeros((100, 1, 20, 20), np.float32)
    noise = GaussianNoise(std=0.2)(x)
    assert noise.dtype == np.float32 and abs(noise.std() - 0.2) < 0.005


def test_cutout_zeroes_one_clipped_square():
    x = np.ones((50, 3, 9, 9), np.float32)
    out = Cutout(4)(x)
    for n in range(50):
        zero = out[n, 0] == 0
        assert np.array_equal(zero, out[n, 2] == 0)  # same square in every channel
        rows, cols = np.flatnonzero(zero.any(axis=1)), np.flatnonzero(zero.any(axis=0))
        assert 1 <= len(rows) <= 4 and 1 <= len(cols) <= 4
        assert zero.sum() == len(rows) * len(cols)  # a rectangle, clipped square


def test_mixup_soft_targets_match_pixel_weights():
    x = images(n=8)
    y = np.arange(8) % 3
    mg.manual_seed(5)
    out, soft = MixUp(num_classes=3, alpha=0.4)(x, y)
    assert soft.shape == (8, 3)
    np.testing.assert_allclose(soft.sum(axis=1), 1, atol=1e-6)
    # recover lambda and the partner from sample 0 and check the mix of pixels
    rng = np.random.default_rng(5)
    lam = rng.beta(0.4, 0.4)
    partner = rng.permutation(8)
    np.testing.assert_allclose(out, lam * x + (1 - lam) * x[partner], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(soft, lam * np.eye(3)[y] + (1 - lam) * np.eye(3)[y[partner]],
                               atol=1e-6)


def test_cutmix_targets_weigh_the_pasted_area():
    x = np.stack([np.full((1, 10, 10), float(k), np.float32) for k in range(6)])
    y = np.arange(6)
    mg.manual_seed(1)
    out, soft = CutMix(num_classes=6, alpha=1.0)(x, y)
    # image k is filled with the value k, so the share of pixels showing value k
    # in a mixed image is exactly the weight its target must give class k
    shares = np.stack([[np.mean(out[n] == k) for k in range(6)] for n in range(6)])
    np.testing.assert_allclose(soft, shares, atol=1e-6)
    assert (shares.max(axis=1) < 1).any()  # something was actually pasted
    np.testing.assert_allclose(soft.sum(axis=1), 1, atol=1e-6)
    with pytest.raises(ValueError, match="CutMix: needs the labels"):
        CutMix(num_classes=6)(x)


def test_compose_passes_labels_through():
    x = images()
    out, y = Compose([RandomHorizontalFlip(p=1.0), GaussianNoise(std=0.0)])(x, np.arange(6))
    np.testing.assert_array_equal(out, x[..., ::-1])
    np.testing.assert_array_equal(y, np.arange(6))
