"""Winograd F(2x2, 3x3): kernels.winograd against its twin in reference.winograd (the
matrices applied tile by tile), and the twin against the direct convolution."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.kernels import winograd as fast
from minigrad.reference import conv as conv_twin
from minigrad.reference import winograd as twin
from tests.helpers import QUICK, rng

TIGHT = dict(rtol=1e-10, atol=1e-10)


@QUICK
@given(n=st.integers(0, 2), channels=st.integers(1, 3), out_channels=st.integers(1, 3),
       padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       extra=st.tuples(st.integers(0, 5), st.integers(0, 5)))
def test_conv2d_and_weight_grad_agree_with_their_twins(n, channels, out_channels, padding,
                                                         extra):
    size = tuple(max(1, 3 - 2 * p) + e for p, e in zip(padding, extra))
    r = rng(0)
    x = r.standard_normal((n, channels) + size)
    w = r.standard_normal((out_channels, channels, 3, 3))
    b = r.standard_normal(out_channels)
    y = twin.conv2d(x, w, b, padding)
    np.testing.assert_allclose(fast.conv2d(x, w, b, padding), y, **TIGHT)
    np.testing.assert_allclose(y, conv_twin.conv2d_direct(x, w, b, (1, 1), padding), **TIGHT)
    g = r.standard_normal(y.shape)
    dw = twin.weight_grad(x, g, padding)
    np.testing.assert_allclose(fast.weight_grad(x, g, padding), dw, **TIGHT)
    v = r.standard_normal(w.shape)  # <dw, v> = <conv(x, v), g>
    np.testing.assert_allclose(np.vdot(dw, v), np.vdot(conv_twin.conv2d_direct(
        x, v, None, (1, 1), padding), g), **TIGHT)


def test_reference_mode_runs_the_tile_by_tile_twin(monkeypatch):
    x, w, b = rng(1).standard_normal((1, 2, 5, 5)), rng(2).standard_normal((2, 2, 3, 3)), None
    monkeypatch.setattr(twin, "conv2d", lambda *a: "twin")
    monkeypatch.setattr(twin, "weight_grad", lambda *a: "twin grad")
    with mg.reference_mode():
        assert fast.conv2d(x, w, b, (1, 1)) == "twin"
        assert fast.weight_grad(x, x, (1, 1)) == "twin grad"
    assert fast.conv2d(x, w, np.zeros(2), (1, 1)).shape == (1, 2, 5, 5)
