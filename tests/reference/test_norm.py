"""Batch norm: kernels.norm against its twin in reference.norm (float64), and the
twin against the formula written with NumPy's axis reductions."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.kernels import norm as fast
from minigrad.reference import norm as twin
from tests.helpers import QUICK, rng
from tests.reference.spies import spy_on

TIGHT = dict(rtol=1e-10, atol=1e-12)


@QUICK
@given(shape=st.sampled_from([(4, 3), (2, 3, 5), (3, 2, 4, 3), (1, 4, 2, 2)]),
       affine=st.booleans())
def test_batch_normalize_and_backward_agree_with_their_twins(shape, affine):
    r = rng(0)
    x = r.standard_normal(shape) * 3 + 1
    gamma, beta = (r.standard_normal(shape[1]), r.standard_normal(shape[1])) if affine \
        else (None, None)
    ours, theirs = fast.batch_normalize(x, 1e-5, gamma, beta), twin.batch_normalize(x, 1e-5,
                                                                                  gamma, beta)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, **TIGHT)
    axes = (0,) + tuple(range(2, x.ndim))
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + 1e-5)
    np.testing.assert_allclose(theirs[1], x_hat, **TIGHT)
    g = r.standard_normal(shape)
    back_fast = fast.batch_normalize_backward(g, theirs[1], theirs[4], gamma)
    back_twin = twin.batch_normalize_backward(g, theirs[1], theirs[4], gamma)
    for a, b in zip(back_fast, back_twin):
        np.testing.assert_allclose(a, b, **TIGHT)
    scale = 1.0 if gamma is None else gamma.reshape((1, -1) + (1,) * (x.ndim - 2))
    expected = scale * (g - g.mean(axis=axes, keepdims=True)
                        - x_hat * (g * x_hat).mean(axis=axes, keepdims=True)) / np.sqrt(var + 1e-5)
    np.testing.assert_allclose(back_twin[0], expected, **TIGHT)


def test_reference_mode_sends_batch_norm_to_its_twin():
    x = rng(1).standard_normal((4, 3, 2, 2))
    calls = []
    with spy_on(twin, ["batch_normalize", "batch_normalize_backward"], calls):
        layer = mg.nn.BatchNorm2d(3).to(dtype=np.float64)
        with mg.reference_mode():
            layer(mg.tensor(x, requires_grad=True)).sum().backward()
        layer(mg.tensor(x, requires_grad=True)).sum().backward()
    assert calls == ["batch_normalize", "batch_normalize_backward"]
