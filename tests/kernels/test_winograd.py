"""Winograd F(2x2, 3x3): against the textbook loops, each transform against its
adjoint, the plane spacing, which convolutions take it, and float64 gradchecks of
conv2d / conv_transpose2d to second order with every 3x3 stride-1 conv sent here."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.kernels import conv as conv_kernels
from minigrad.kernels import naive, winograd
from minigrad.ops.conv import conv2d, conv_transpose2d
from tests.helpers import GRADCHECK, QUICK, rng


@st.composite
def geometries(draw, max_channels=4):
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    # at least one output row and column: H + 2p - 2 >= 1
    size = tuple(max(1, 3 - 2 * p) + draw(st.integers(0, 6)) for p in padding)
    return dict(n=draw(st.integers(1, 3)), channels=draw(st.integers(1, max_channels)),
                out_channels=draw(st.integers(1, max_channels)), size=size, padding=padding)


def arrays(geometry, dtype, seed=0):
    r = rng(seed)
    x = r.standard_normal((geometry["n"], geometry["channels"]) + geometry["size"])
    w = r.standard_normal((geometry["out_channels"], geometry["channels"], 3, 3))
    b = r.standard_normal(geometry["out_channels"])
    return x.astype(dtype), w.astype(dtype), b.astype(dtype)


@QUICK
@given(geometry=geometries(), dtype=st.sampled_from([np.float32, np.float64]))
def test_conv2d_matches_the_naive_loops(geometry, dtype):
    x, w, b = arrays(geometry, dtype)
    y = winograd.conv2d(x, w, b, geometry["padding"])
    expected = naive.conv2d_forward_naive(x.astype(float), w.astype(float), b.astype(float),
                                          (1, 1), geometry["padding"])
    assert y.dtype == dtype and y.shape == expected.shape
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y, expected, rtol=tol, atol=tol)


@QUICK
@given(geometry=geometries(), dtype=st.sampled_from([np.float32, np.float64]))
def test_weight_grad_is_the_gradient_of_the_naive_convolution(geometry, dtype):
    """<conv(x, v), g> is linear in the kernel v: its gradient dw satisfies
    <dw, v> = <conv_naive(x, v), g> for every v."""
    x, w, _ = arrays(geometry, dtype)
    out = naive.conv2d_forward_naive(x.astype(float), w.astype(float), None, (1, 1),
                                     geometry["padding"])
    g = rng(1).standard_normal(out.shape)
    dw = winograd.weight_grad(x, g.astype(dtype), geometry["padding"])
    assert dw.dtype == dtype and dw.shape == w.shape
    for seed in (2, 3):
        probe = rng(seed).standard_normal(w.shape)
        lhs = np.vdot(naive.conv2d_forward_naive(x.astype(float), probe, None, (1, 1),
                                                 geometry["padding"]), g)
        tol = 1e-4 if dtype == np.float32 else 1e-10
        np.testing.assert_allclose(np.vdot(dw, probe), lhs, rtol=tol, atol=tol)


def test_each_transform_is_checked_against_its_adjoint():
    """filter_gradient = filter_transform^T and gradient_transform = output_transform^T
    (the weight gradient is built from the adjoints), through <A u, v> = <u, A^T v>."""
    r = rng(4)
    w = r.standard_normal((3, 2, 3, 3))
    du = r.standard_normal((16, 3, 2))
    u = winograd.filter_transform(w, np.empty((16, 3, 2)))
    np.testing.assert_allclose(np.vdot(u, du), np.vdot(w, winograd.filter_gradient(du)),
                               rtol=1e-12)
    tiles_h, tiles_w, shape = 2, 3, (2, 3, 3, 5)  # odd output edges: 3 x 5 in 2 x 3 tiles
    m = r.standard_normal((16, 3, 2 * tiles_h * tiles_w))
    g = r.standard_normal(shape)
    y = np.empty(shape)
    winograd.output_transform(m, np.zeros(3), y, tiles_h, tiles_w)
    dm = winograd.gradient_transform(g, tiles_h, tiles_w, np.empty_like(m))
    np.testing.assert_allclose(np.vdot(y, g), np.vdot(m, dm), rtol=1e-12)


def test_g_w_gt_matches_the_matrix_formula():
    g_matrix = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
    w = rng(5).standard_normal((1, 1, 3, 3))
    u = winograd.filter_transform(w, np.empty((16, 1, 1)))
    np.testing.assert_allclose(u.reshape(4, 4), g_matrix @ w[0, 0] @ g_matrix.T, rtol=1e-12)


@pytest.mark.parametrize("rows, length", [(64, 256), (32, 196), (1, 1), (128, 64)])
def test_planes_are_contiguous_rows_starting_in_distinct_cache_sets(rows, length):
    planes = winograd._planes(rows, length, np.float32)
    assert planes.shape == (16, rows, length) and planes.strides[1:] == (4 * length, 4)
    starts = [planes[k].__array_interface__["data"][0] for k in range(16)]
    assert len({(start // 64) % 64 for start in starts}) == 16
    planes[...] = 1.0  # the whole view lies inside its buffer
    assert planes.sum() == 16 * rows * length


def test_dispatch_sends_only_3x3_stride_1_ungrouped_wide_convolutions(monkeypatch):
    calls = []
    original = winograd.conv2d
    monkeypatch.setattr(winograd, "conv2d", lambda *a: calls.append(a[1].shape) or original(*a))
    x = rng(6).standard_normal((2, 16, 6, 6)).astype(np.float32)
    for w_shape, stride, groups, expected in [
        ((16, 16, 3, 3), (1, 1), 1, True),
        ((16, 16, 3, 3), (2, 2), 1, False),     # stride 2
        ((16, 8, 3, 3), (1, 1), 2, False),      # grouped
        ((16, 16, 5, 5), (1, 1), 1, False),     # 5x5
        ((4, 16, 3, 3), (1, 1), 1, False),      # too few output channels
    ]:
        calls.clear()
        w = rng(7).standard_normal(w_shape).astype(np.float32)
        conv_kernels.conv2d_forward(x, w, None, stride, (1, 1), (1, 1), groups)
        assert bool(calls) == expected, (w_shape, stride, groups)


@GRADCHECK
@given(geometry=geometries(max_channels=2), bias=st.booleans(), transpose=st.booleans())
def test_conv_ops_gradcheck_to_second_order_through_winograd(geometry, bias, transpose):
    """Every 3x3 stride-1 conv, and each one inside the backward passes, goes through
    Winograd here (threshold lowered to one channel); float64 gradchecks."""
    x, w, b = (mg.tensor(a, requires_grad=True) for a in arrays(geometry, np.float64))
    padding = geometry["padding"]
    if transpose:
        # conv_transpose2d(x, w) with w (C_in, C_out, 3, 3); padding <= 1 keeps it stride 1
        padding = tuple(min(p, 1) for p in padding)
        w = mg.tensor(rng(8).standard_normal((geometry["channels"], geometry["out_channels"],
                                              3, 3)), requires_grad=True)
        b = mg.tensor(rng(9).standard_normal(geometry["out_channels"]), requires_grad=True)
        assume(all(s + 2 - 2 * p >= 1 for s, p in zip(geometry["size"], padding)))

        def f(*args):
            return conv_transpose2d(*args, padding=padding)
    else:
        def f(*args):
            return conv2d(*args, padding=padding)
    inputs = (x, w, b) if bias else (x, w)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(conv_kernels, "WINOGRAD_MIN_CHANNELS", 1)
        assert mg.gradcheck(f, inputs)
        assert mg.gradgradcheck(f, inputs)
