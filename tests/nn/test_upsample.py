"""F.interpolate and nn.Upsample: every output pixel computed here from the coordinate
rules one at a time, gradcheck on hypothesis-drawn sizes, PyTorch parity when installed."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


def source(i, n, m, scale, linear, align_corners):
    """Where output index i reads along an axis of input size n and output size m."""
    if not linear:
        return min(math.floor(i * scale), n - 1)
    if align_corners:
        return i * (n - 1) / (m - 1) if m > 1 else 0.0
    return max((i + 0.5) * scale - 0.5, 0.0)


def taps(i, n, m, scale, linear, align_corners):
    """[(input index, weight)] that output index i mixes."""
    x = source(i, n, m, scale, linear, align_corners)
    if not linear:
        return [(x, 1.0)]
    low = min(math.floor(x), n - 1)
    return [(low, 1 - (x - low)), (min(low + 1, n - 1), x - low)]


def resize_loop(x, sizes, scales, linear, align_corners):
    """The 2-D resize of x (N, C, H, W), pixel by pixel."""
    (n_h, n_w), (m_h, m_w) = x.shape[2:], sizes
    out = np.zeros(x.shape[:2] + tuple(sizes))
    for i in range(m_h):
        for j in range(m_w):
            for a, weight_a in taps(i, n_h, m_h, scales[0], linear, align_corners):
                for b, weight_b in taps(j, n_w, m_w, scales[1], linear, align_corners):
                    out[:, :, i, j] += weight_a * weight_b * x[:, :, a, b]
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 7), st.integers(1, 7),
       st.sampled_from([("nearest", None), ("bilinear", False), ("bilinear", True)]),
       st.integers(0, 2**16))
def test_resize_by_size_matches_the_loop_and_passes_gradcheck(h, w, out_h, out_w, mode_corners,
                                                              seed):
    mode, corners = mode_corners
    x = np.random.default_rng(seed).standard_normal((1, 2, h, w))
    tensor = mg.tensor(x, requires_grad=True)
    got = F.interpolate(tensor, size=(out_h, out_w), mode=mode, align_corners=corners)
    expected = resize_loop(x, (out_h, out_w), (h / out_h, w / out_w), mode != "nearest",
                           bool(corners))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(lambda t: F.interpolate(t, size=(out_h, out_w), mode=mode,
                                                align_corners=corners), (tensor,))


def test_scale_factor_reads_with_its_own_scale_unless_recomputed():
    x = np.arange(5.0).reshape(1, 1, 5)
    got = F.interpolate(mg.tensor(x), scale_factor=1.5, mode="linear")  # size 7, r = 1/1.5
    expected = [sum(w * x[0, 0, k] for k, w in taps(i, 5, 7, 1 / 1.5, True, False))
                for i in range(7)]
    np.testing.assert_allclose(got.numpy()[0, 0], expected, rtol=1e-12)
    recomputed = F.interpolate(mg.tensor(x), scale_factor=1.5, mode="linear",
                               recompute_scale_factor=True)  # r = 5/7
    expected = [sum(w * x[0, 0, k] for k, w in taps(i, 5, 7, 5 / 7, True, False))
                for i in range(7)]
    np.testing.assert_allclose(recomputed.numpy()[0, 0], expected, rtol=1e-12)


def test_upsample_layer_and_float32_stay_float32():
    layer = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
    x = mg.randn(1, 3, 4, 4)
    y = layer(x)
    assert y.shape == (1, 3, 8, 8) and y.dtype == mg.float32
    np.testing.assert_array_equal(nn.Upsample(size=8)(x).numpy()[:, :, ::2, ::2], x.numpy())


def test_bad_arguments_are_refused():
    x = mg.randn(1, 1, 4, 4)
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="mode 'linear' expects a 3-D input"):
        F.interpolate(x, size=3, mode="linear")
    with pytest.raises(ValueError, match="mode must be one of"):
        F.interpolate(x, size=3, mode="bicubic")
    with pytest.raises(ValueError, match="align_corners only applies"):
        F.interpolate(x, size=3, align_corners=True)
    with pytest.raises(ValueError, match=r"size must be a positive int or 2 of them"):
        F.interpolate(x, size=(3, 0))
    with pytest.raises(ValueError, match=r"makes spatial shape \(4, 4\) empty"):
        F.interpolate(x, scale_factor=0.2)


@pytest.mark.parametrize("kwargs", [
    {"size": (7, 3)}, {"scale_factor": 2}, {"scale_factor": (1.7, 0.6)},
    {"size": (8, 11), "mode": "bilinear"}, {"size": (3, 4), "mode": "bilinear",
                                            "align_corners": True},
    {"scale_factor": 2.5, "mode": "bilinear"},
])
def test_matches_pytorch_values_and_gradients(kwargs):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).standard_normal((2, 3, 5, 6))
    g = None
    results = []
    for lib, functional in ((mg, F), (torch, torch.nn.functional)):
        tensor = lib.tensor(x, requires_grad=True)
        out = functional.interpolate(tensor, **kwargs)
        if g is None:
            g = np.random.default_rng(8).standard_normal(tuple(out.shape))
        (out * lib.tensor(g)).sum().backward()
        results.append([np.asarray(out.detach().numpy() if lib is torch else out.numpy()),
                        tensor.grad.numpy()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
