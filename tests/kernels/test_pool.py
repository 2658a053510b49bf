"""Pooling kernels against the naive loops: values, arg-max indices, and the
adjoint identities <pool(x), g> = <x, adjoint(g)>."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from minigrad.kernels import naive
from minigrad.kernels import pool as kernels
from tests.helpers import QUICK, rng


@st.composite
def windows(draw):
    k, s = (draw(st.integers(1, 3)), draw(st.integers(1, 3))), \
        (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    size = tuple(max(1, kk - 2 * pp) + draw(st.integers(0, 4)) for kk, pp in zip(k, p))
    out = tuple(naive.pool_output_size(n, kk, ss, pp) for n, kk, ss, pp in zip(size, k, s, p))
    return (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + size, k, s, p, out


@QUICK
@given(window=windows())
def test_max_pool_values_indices_and_adjoint(window):
    shape, (kh, kw), (sh, sw), (ph, pw), out = window
    x = rng(0).permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)
    y, index = kernels.max_pool_forward(x, kh, kw, sh, sw, ph, pw, 1, 1, *out)
    np.testing.assert_array_equal(y, naive.max_pool2d_naive(x, (kh, kw), (sh, sw), (ph, pw)))
    planes = x.reshape(shape[0], shape[1], -1)
    np.testing.assert_array_equal(np.take_along_axis(planes, index.reshape(
        shape[0], shape[1], -1), axis=2).reshape(y.shape), y)
    np.testing.assert_array_equal(kernels.max_pool_gather(x, index), y)
    g = rng(1).standard_normal(y.shape)
    back = kernels.max_pool_scatter(g, index, *shape[2:])
    np.testing.assert_allclose(np.vdot(y, g), np.vdot(x, back), rtol=1e-12)


@QUICK
@given(window=windows())
def test_avg_pool_matches_naive_and_its_adjoint(window):
    shape, k, s, p, out = window
    x = rng(2).standard_normal(shape)
    counts = [np.minimum(np.arange(o) * ss - pp + kk, n + pp) - (np.arange(o) * ss - pp)
              for o, ss, pp, kk, n in zip(out, s, p, k, shape[2:])]
    divisor = np.outer(*counts).astype(np.float64)
    y = kernels.avg_pool_forward(x, divisor, *k, *s, *p)
    np.testing.assert_allclose(y, naive.avg_pool2d_naive(x, k, s, p), atol=1e-12)
    g = rng(3).standard_normal(y.shape)
    back = kernels.avg_pool_adjoint(g, divisor, *shape[2:], *k, *s, *p)
    np.testing.assert_allclose(np.vdot(y, g), np.vdot(x, back), rtol=1e-10)


@QUICK
@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(2, 9), w=st.integers(2, 9),
       levels=st.integers(1, 4), dtype=st.sampled_from([np.float32, np.float64]))
def test_inside_path_matches_the_general_loop_with_ties(n, c, h, w, levels, dtype):
    """The no-padding, no-NaN kernel (flat tap offsets) gives the general loop's values
    and arg-max indices for the usual 2x2 stride-2 pool, ties included (few distinct
    values: the first maximum in row-major order wins), odd sizes included."""
    x = rng(2).integers(0, levels, (n, c, h, w)).astype(dtype)
    out = (h // 2, w // 2)
    y_fast, index_fast = kernels.max_pool_forward(x, 2, 2, 2, 2, 0, 0, 1, 1, *out)
    y_ref = np.empty_like(y_fast)
    index_ref = np.empty_like(index_fast)
    kernels._max_forward(x, y_ref, index_ref, 2, 2, 2, 2, 0, 0, 1, 1)
    np.testing.assert_array_equal(y_fast, y_ref)
    np.testing.assert_array_equal(index_fast, index_ref)
    np.testing.assert_array_equal(y_fast, naive.max_pool2d_naive(x, (2, 2), (2, 2), (0, 0)))
