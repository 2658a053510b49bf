"""Pooling kernels against the naive loops: values, arg-max indices, and the
adjoint identities <pool(x), g> = <x, adjoint(g)>."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
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


def first_argmax_reference(x, kernel, stride, padding, dilation):
    """(max, flat index h*W + w) by the rule, as a plain loop: padding never wins,
    the first maximum in row-major window order wins a tie, a NaN beats every
    number and the first NaN wins."""
    n_batch, channels, height, width = x.shape
    out = [naive.pool_output_size(size, k, s, p, d)
           for size, k, s, p, d in zip((height, width), kernel, stride, padding, dilation)]
    y = np.empty((n_batch, channels, *out), dtype=x.dtype)
    index = np.empty((n_batch, channels, *out), dtype=np.int64)
    for n, c, i, j in np.ndindex(n_batch, channels, *out):
        best, where = None, None
        for u, v in np.ndindex(*kernel):
            h = i * stride[0] - padding[0] + u * dilation[0]
            w = j * stride[1] - padding[1] + v * dilation[1]
            if 0 <= h < height and 0 <= w < width:
                value = x[n, c, h, w]
                if best is None or (not np.isnan(best) and (value > best or np.isnan(value))):
                    best, where = value, h * width + w
        y[n, c, i, j], index[n, c, i, j] = best, where
    return y, index


@QUICK
@given(window=windows(), dilation=st.sampled_from([(1, 1), (2, 1), (1, 2)]),
       levels=st.integers(1, 4), nans=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_max_pool_follows_the_tie_and_nan_rules(window, dilation, levels, nans, dtype):
    """Values and arg-max indices against the rule written as a loop, with ties (few
    distinct values), padding, dilation, odd sizes, and NaNs (which send the input
    to the NaN-aware kernel); the no-NaN kernel's interior (flat tap offsets) and
    border (in-bounds tap ranges) paths both run."""
    shape, kernel, stride, padding, _ = window
    if any(d * (k - 1) + 1 > size + 2 * p for d, k, size, p in
           zip(dilation, kernel, shape[2:], padding)):
        return  # the dilated window does not fit: the ops layer refuses it
    out = [naive.pool_output_size(size, k, s, p, d)
           for size, k, s, p, d in zip(shape[2:], kernel, stride, padding, dilation)]
    x = rng(2).integers(0, levels, shape).astype(dtype)
    if nans:
        x[rng(3).random(shape) < 0.2] = np.nan
    y, index = kernels.max_pool_forward(x, *kernel, *stride, *padding, *dilation, *out)
    y_ref, index_ref = first_argmax_reference(x, kernel, stride, padding, dilation)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(index, index_ref)


def test_a_nan_in_one_chunk_of_the_batch_sends_only_that_chunk_to_the_nan_kernel():
    """The NaN check runs per chunk, on the chunk's own thread: a batch large enough
    to be split, with a NaN only in its last sample, must still give the rule's
    values and indices everywhere (the no-NaN kernel would miss that NaN)."""
    n_batch, channels, size = 8, 4, 64  # 4 chunks of 2 samples on 2 threads
    x = rng(4).integers(0, 3, (n_batch, channels, size, size)).astype(np.float32)
    x[-1, 2, 5, 7] = np.nan
    previous = mg.get_num_threads()
    mg.set_num_threads(2)
    try:
        y, index = kernels.max_pool_forward(x, 2, 2, 2, 2, 0, 0, 1, 1, size // 2, size // 2)
    finally:
        mg.set_num_threads(previous)
    y_ref, index_ref = first_argmax_reference(x, (2, 2), (2, 2), (0, 0), (1, 1))
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(index, index_ref)
    assert np.isnan(y[-1, 2, 2, 3]) and not np.isnan(y[:-1]).any()
