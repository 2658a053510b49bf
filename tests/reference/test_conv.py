"""Convolution: every strategy of kernels.conv against its textbook twin in
reference.conv (float64, hypothesis-drawn stride, padding, dilation, groups), the
twins against the definitions, and the gate sending the fast drivers to the twins."""

import contextlib
from unittest import mock

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad._geometry import conv_output_size
from minigrad.kernels import conv as fast
from minigrad.reference import conv as twin
from tests.helpers import QUICK, rng
from tests.reference.spies import spy_on

TIGHT = dict(rtol=1e-10, atol=1e-10)
# thresholds that force each algorithm of kernels.conv (conv_strategy, transpose_strategy)
FORCED = {
    "winograd": dict(WINOGRAD_MIN_CHANNELS=1),
    "phased": dict(WINOGRAD_MIN_CHANNELS=10 ** 9, WIDE_MAX_WASTE=float("inf"),
                   ADJOINT_MIN_CHANNELS=10 ** 9),
    "flipped": dict(WINOGRAD_MIN_CHANNELS=10 ** 9, WIDE_MAX_WASTE=float("inf"),
                    ADJOINT_MIN_CHANNELS=1),
    "im2col": dict(WINOGRAD_MIN_CHANNELS=10 ** 9, WIDE_MAX_WASTE=-1.0),
}


@contextlib.contextmanager
def forced(name):
    with contextlib.ExitStack() as stack:
        for attribute, value in FORCED[name].items():
            stack.enter_context(mock.patch.object(fast, attribute, value))
        yield


@st.composite
def geometries(draw):
    groups = draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    if draw(st.booleans()):  # Winograd's case, often
        kernel, stride, dilation, groups = (3, 3), (1, 1), (1, 1), 1
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    size = tuple(max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, 5))
                 for k, p, d in zip(kernel, padding, dilation))
    return dict(n=draw(st.integers(0, 2)), channels=groups * draw(st.integers(1, 2)),
                out_channels=groups * draw(st.integers(1, 3)), size=size, kernel=kernel,
                stride=stride, padding=padding, dilation=dilation, groups=groups,
                strategy=draw(st.sampled_from(sorted(FORCED))))


def problem(geometry, seed=0):
    r = rng(seed)
    x = r.standard_normal((geometry["n"], geometry["channels"]) + geometry["size"])
    w = r.standard_normal((geometry["out_channels"], geometry["channels"] // geometry["groups"])
                          + geometry["kernel"])
    b = r.standard_normal(geometry["out_channels"])
    out = conv_output_size(geometry["size"], geometry["kernel"], geometry["stride"],
                           geometry["padding"], geometry["dilation"])
    g = r.standard_normal((geometry["n"], geometry["out_channels"]) + out)
    spatial = (geometry["stride"], geometry["padding"], geometry["dilation"], geometry["groups"])
    return x, w, b, g, spatial


@QUICK
@given(geometry=geometries())
def test_every_conv_strategy_agrees_with_its_twin(geometry):
    x, w, b, g, spatial = problem(geometry)
    with forced(geometry["strategy"]):
        y = fast.conv2d_forward(x, w, b, *spatial)
        dx = fast.conv_transpose2d_forward(g, w, None, geometry["size"], *spatial)
        dw = fast.conv2d_weight_grad(x, g, geometry["kernel"], *spatial)
    np.testing.assert_allclose(y, twin.conv2d_forward(x, w, b, *spatial), **TIGHT)
    np.testing.assert_allclose(dx, twin.conv_transpose2d_forward(g, w, None, geometry["size"],
                                                                 *spatial), **TIGHT)
    np.testing.assert_allclose(dw, twin.conv2d_weight_grad(x, g, geometry["kernel"], *spatial),
                               **TIGHT)


@QUICK
@given(geometry=geometries())
def test_the_twins_are_the_definitions(geometry):
    """conv2d_forward against the window sum; the transposed conv against the scatter
    form; the weight gradient by <dw, v> = <conv(x, v), g> for a random v."""
    x, w, b, g, (stride, padding, dilation, groups) = problem(geometry, seed=1)
    np.testing.assert_allclose(twin.conv2d_forward(x, w, b, stride, padding, dilation, groups),
                               twin.conv2d_direct(x, w, b, stride, padding, dilation, groups),
                               **TIGHT)
    b_in = rng(5).standard_normal(x.shape[1])
    natural = twin.conv_transpose2d_scatter(g, w, b_in, stride, padding, (0, 0), groups,
                                            dilation)
    z = twin.conv_transpose2d_forward(g, w, b_in, natural.shape[2:], stride, padding,
                                      dilation, groups)
    np.testing.assert_allclose(z, natural, **TIGHT)
    dw = twin.conv2d_weight_grad(x, g, geometry["kernel"], stride, padding, dilation, groups)
    v = rng(2).standard_normal(w.shape)
    y_v = twin.conv2d_direct(x, v, None, stride, padding, dilation, groups)
    np.testing.assert_allclose(np.vdot(dw, v), np.vdot(y_v, g), **TIGHT)


@QUICK
@given(geometry=geometries())
def test_im2col_and_col2im_agree_with_their_twins(geometry):
    x, _, _, g, (stride, padding, dilation, _) = problem(geometry, seed=3)
    args = geometry["kernel"] + stride + padding + dilation + g.shape[2:]
    cols = fast.im2col(x, *args)
    np.testing.assert_array_equal(cols, twin.im2col(x, *args))
    bias = rng(4).standard_normal(x.shape[1])
    back_fast, back_twin = np.empty_like(x), np.empty_like(x)
    fast.col2im(cols, bias, back_fast, *args)
    twin.col2im(cols, bias, back_twin, *args)
    np.testing.assert_allclose(back_fast, back_twin, **TIGHT)


def test_every_strategy_is_reachable():
    """The forcing above really selects each algorithm, so the agreement covers them all."""
    shapes = ((2, 4, 6, 6), (4, 4, 3, 3))
    for name, expected in (("winograd", "winograd"), ("phased", "phased"),
                           ("im2col", "im2col")):
        with forced(name):
            assert fast.conv_strategy(*shapes, (1, 1), (1, 1), (1, 1), 1) == expected
    for name in ("winograd", "flipped", "phased"):
        with forced(name):
            assert fast.transpose_strategy((2, 4, 6, 6), (4, 4, 3, 3), (6, 6), (1, 1), (1, 1),
                                           (1, 1), 1) == name
    with forced("im2col"):
        assert fast.transpose_strategy((2, 4, 6, 6), (4, 4, 3, 3), (6, 6), (1, 1), (1, 1),
                                       (1, 1), 1) == "col2im"


def test_reference_mode_sends_the_drivers_to_their_twins():
    x, w, b, g, spatial = problem(dict(n=2, channels=16, out_channels=16, size=(6, 6),
                                       kernel=(3, 3), stride=(1, 1), padding=(1, 1),
                                       dilation=(1, 1), groups=1))
    names = ["conv2d_forward", "conv_transpose2d_forward", "conv2d_weight_grad"]
    calls = []
    with spy_on(twin, names, calls):
        for mode in (True, False):
            with mg.reference_mode(mode):
                fast.conv2d_forward(x, w, b, *spatial)
                fast.conv_transpose2d_forward(g, w, None, (6, 6), *spatial)
                fast.conv2d_weight_grad(x, g, (3, 3), *spatial)
    assert calls == names  # once each, in reference mode only
