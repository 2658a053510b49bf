"""Pooling: kernels.pool against its textbook twins in reference.pool (float64,
hypothesis-drawn windows, ties and NaNs for max pooling), the twins against the
definitions and their adjoints, and gradchecks of the adaptive pooling pair in
both modes."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.kernels import pool as fast
from minigrad.ops.pool import (
    AdaptiveAvgPool2d,
    AdaptiveAvgPool2dAdjoint,
    _avg_divisor,
    _pool_geometry,
    adaptive_avg_pool2d,
)
from minigrad.reference import pool as twin
from minigrad.testing.coverage import gradchecks
from tests.helpers import GRADCHECK, QUICK, rng
from tests.reference.spies import spy_on

TIGHT = dict(rtol=1e-12, atol=1e-12)


@st.composite
def windows(draw, dilated=True):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilated else (1, 1)
    size = tuple(max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, 5))
                 for k, p, d in zip(kernel, padding, dilation))
    return dict(shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3))) + size, kernel=kernel,
                stride=stride, padding=padding, dilation=dilation,
                ceil_mode=draw(st.booleans()))


def geometry_of(window, x, op="max_pool2d"):
    return _pool_geometry(op, mg.tensor(x), window["kernel"], window["stride"],
                          window["padding"], window["dilation"], window["ceil_mode"])


def max_args(geometry):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (geometry.kernel, geometry.stride,
                                              geometry.padding, geometry.dilation)
    return (kh, kw, sh, sw, ph, pw, dh, dw) + geometry.out_size


@QUICK
@given(window=windows(), values=st.sampled_from(["normal", "ties", "nan"]))
def test_max_pool_agrees_with_its_twin_on_ties_and_nans(window, values):
    r = rng(0)
    x = r.standard_normal(window["shape"])
    if values != "normal":  # few distinct values: many ties in every window
        x = r.integers(-1, 2, window["shape"]).astype(np.float64)
    if values == "nan":
        x[r.random(window["shape"]) < 0.3] = np.nan
    geometry = geometry_of(window, x)
    y_fast, index_fast = fast.max_pool_forward(x, *max_args(geometry))
    y_twin, index_twin = twin.max_pool_forward(x, *max_args(geometry))
    np.testing.assert_array_equal(y_fast, y_twin)  # NaNs in the same places
    np.testing.assert_array_equal(index_fast, index_twin)
    np.testing.assert_array_equal(y_twin, twin.max_pool2d_direct(
        x, geometry.kernel, geometry.stride, geometry.padding, geometry.dilation,
        geometry.out_size))
    grad = r.standard_normal(y_twin.shape)
    np.testing.assert_allclose(fast.max_pool_scatter(grad, index_fast, *x.shape[2:]),
                               twin.max_pool_scatter(grad, index_twin, *x.shape[2:]), **TIGHT)
    np.testing.assert_array_equal(fast.max_pool_gather(x, index_fast),
                                  twin.max_pool_gather(x, index_twin))


@QUICK
@given(window=windows(dilated=False))
def test_twin_scatter_is_the_adjoint_of_gather(window):
    r = rng(1)
    x = r.standard_normal(window["shape"])
    geometry = geometry_of(window, x)
    _, index = twin.max_pool_forward(x, *max_args(geometry))
    grad, probe = r.standard_normal(index.shape), r.standard_normal(x.shape)
    np.testing.assert_allclose(np.vdot(twin.max_pool_scatter(grad, index, *x.shape[2:]), probe),
                               np.vdot(grad, twin.max_pool_gather(probe, index)), **TIGHT)


@QUICK
@given(window=windows(dilated=False), include_pad=st.booleans())
def test_avg_pool_and_its_adjoint_agree_with_their_twins(window, include_pad):
    r = rng(2)
    x = r.standard_normal(window["shape"])
    geometry = geometry_of(window, x, "avg_pool2d")
    divisor = _avg_divisor(geometry, include_pad)
    args = geometry.window_args()
    y = twin.avg_pool_forward(x, divisor, *args)
    np.testing.assert_allclose(fast.avg_pool_forward(x, divisor, *args), y, **TIGHT)
    np.testing.assert_allclose(y, twin.avg_pool2d_direct(x, geometry.kernel, geometry.stride,
                                                         geometry.padding, geometry.out_size,
                                                         include_pad), **TIGHT)
    grad = r.standard_normal(y.shape)
    dx = twin.avg_pool_adjoint(grad, divisor, *x.shape[2:], *args)
    np.testing.assert_allclose(fast.avg_pool_adjoint(grad, divisor, *x.shape[2:], *args), dx,
                               **TIGHT)
    np.testing.assert_allclose(np.vdot(dx, x), np.vdot(grad, y), **TIGHT)


@QUICK
@given(size=st.tuples(st.integers(1, 7), st.integers(1, 7)),
       out=st.tuples(st.integers(1, 7), st.integers(1, 7)))
def test_adaptive_pool_and_its_adjoint_agree_with_their_twins(size, out):
    r = rng(3)
    x = r.standard_normal((2, 3) + size)
    y = twin.adaptive_avg_pool_forward(x, out)
    np.testing.assert_allclose(fast.adaptive_avg_pool_forward(x, out), y, **TIGHT)
    np.testing.assert_allclose(y[:, :, 0, 0], x[:, :, :-(-size[0] // out[0]),
                                                :-(-size[1] // out[1])].mean(axis=(2, 3)),
                               **TIGHT)
    grad = r.standard_normal(y.shape)
    dx = twin.adaptive_avg_pool_adjoint(grad, size)
    np.testing.assert_allclose(fast.adaptive_avg_pool_adjoint(grad, size), dx, **TIGHT)
    np.testing.assert_allclose(np.vdot(dx, x), np.vdot(grad, y), **TIGHT)


@gradchecks(AdaptiveAvgPool2d, AdaptiveAvgPool2dAdjoint)
@GRADCHECK
@given(size=st.tuples(st.integers(1, 5), st.integers(1, 5)),
       out=st.tuples(st.integers(1, 4), st.integers(1, 4)), reference=st.booleans())
def test_adaptive_pool_gradchecks_to_second_order_in_both_modes(size, out, reference):
    x = mg.tensor(rng(4).standard_normal((2, 2) + size), requires_grad=True)
    with mg.reference_mode(reference):
        assert mg.gradcheck(lambda t: adaptive_avg_pool2d(t, out), (x,))
        assert mg.gradgradcheck(lambda t: adaptive_avg_pool2d(t, out), (x,))


def test_reference_mode_sends_every_pool_kernel_to_its_twin():
    x = rng(5).standard_normal((2, 3, 6, 6))
    divisor = np.full((3, 3), 4.0)
    names = ["max_pool_forward", "max_pool_scatter", "max_pool_gather", "avg_pool_forward",
             "avg_pool_adjoint", "adaptive_avg_pool_forward", "adaptive_avg_pool_adjoint"]
    calls = []
    with spy_on(twin, names, calls):
        for mode in (True, False):
            with mg.reference_mode(mode):
                _, index = fast.max_pool_forward(x, 2, 2, 2, 2, 0, 0, 1, 1, 3, 3)
                fast.max_pool_scatter(x[:, :, :3, :3], index, 6, 6)
                fast.max_pool_gather(x, index)
                fast.avg_pool_forward(x, divisor, 2, 2, 2, 2, 0, 0)
                fast.avg_pool_adjoint(x[:, :, :3, :3], divisor, 6, 6, 2, 2, 2, 2, 0, 0)
                fast.adaptive_avg_pool_forward(x, (3, 3))
                fast.adaptive_avg_pool_adjoint(x[:, :, :3, :3], (6, 6))
    assert calls == names  # once each, in reference mode only
