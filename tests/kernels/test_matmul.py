"""The Numba matmul kernels against their definitions, and the dispatch thresholds."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minigrad.kernels import matmul as kernels
from tests.helpers import QUICK, rng


@QUICK
@given(batch=st.integers(1, 5), n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 4),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_batched_matmul_matches_the_definition(batch, n, k, m, dtype):
    a = rng(0).standard_normal((batch, n, k)).astype(dtype)
    b = rng(1).standard_normal((batch, k, m)).astype(dtype)
    c = kernels.batched_matmul(a, b)
    assert c.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(c, kernels.matmul_naive(a, b), rtol=tol, atol=tol)


@QUICK
@given(n=st.integers(1, 6), k=st.integers(1, 5), m=st.integers(1, 6),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_linear_fused_matches_the_definition(n, k, m, dtype):
    x = rng(2).standard_normal((n, k)).astype(dtype)
    w = rng(3).standard_normal((m, k)).astype(dtype)
    b = rng(4).standard_normal(m).astype(dtype)
    y = kernels.linear_fused(x, np.ascontiguousarray(w.T), b)
    assert y.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y, kernels.linear_naive(x, w, b), rtol=tol, atol=tol)


def test_references_agree_with_closed_forms():
    """The naive loops themselves: a rotation composed with its inverse is the identity."""
    theta = np.linspace(0, 3, 7)
    rot = np.stack([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]
                   ).transpose(2, 0, 1)
    np.testing.assert_allclose(kernels.matmul_naive(rot, rot.transpose(0, 2, 1)),
                               np.broadcast_to(np.eye(2), rot.shape), atol=1e-12)
    y = kernels.linear_naive(np.eye(3), np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0]))
    np.testing.assert_allclose(y, [[1, 2], [2, 3], [3, 4]])


def test_dispatch_rules():
    assert kernels.use_batched_kernel((2000, 2, 2), (2000, 2, 2))
    assert kernels.use_batched_kernel((20, 100, 3, 2), (20, 100, 2, 3))
    assert not kernels.use_batched_kernel((2000, 8, 8), (2000, 8, 8))      # BLAS wins
    assert not kernels.use_batched_kernel((256, 2, 2), (256, 2, 2))         # too few
    assert not kernels.use_batched_kernel((2000, 2, 2), (1, 2, 2))          # broadcast
    assert not kernels.use_batched_kernel((2, 2), (2, 2))
    assert kernels.use_fused_linear((10000, 2), (64, 2))
    assert kernels.use_fused_linear((8, 3), (4, 3))
    assert not kernels.use_fused_linear((10000, 8), (64, 8))                  # BLAS wins
    assert not kernels.use_fused_linear((10000, 64), (64, 64))               # BLAS wins
    assert not kernels.use_fused_linear((10, 100, 2), (64, 2))


@QUICK
@given(batch=st.sampled_from([(), (1,), (3,), (2, 1)]), b_batch=st.sampled_from([(), (1,)]),
       n=st.integers(1, 40), k=st.integers(1, 9), m=st.integers(1, 40),
       threads=st.integers(1, 3), dtype=st.sampled_from([np.float32, np.float64]))
def test_split_matmul_matches_the_definition(batch, b_batch, n, k, m, threads, dtype):
    """Forced to split every product: row blocks when n >= m, else column blocks,
    boundaries on multiples of 16, batch axes broadcast as np.matmul does."""
    from minigrad.kernels import _threads

    a = rng(5).standard_normal(batch + (n, k)).astype(dtype)
    b = rng(6).standard_normal(b_batch + (k, m)).astype(dtype)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kernels, "SERIAL_BLAS_MIN_WORK", 0)
        patch.setattr(kernels, "SPLIT_MIN_WORK", 0)
        patch.setattr(_threads, "_threads", threads)
        c = kernels.matmul(a, b)
    a3 = np.broadcast_to(a, np.broadcast_shapes(batch, b_batch) + (n, k)).reshape(-1, n, k)
    b3 = np.broadcast_to(b, np.broadcast_shapes(batch, b_batch) + (k, m)).reshape(-1, k, m)
    expected = kernels.matmul_naive(a3, b3).reshape(c.shape)
    assert c.shape == np.broadcast_shapes(batch, b_batch) + (n, m) and c.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(c, expected, rtol=tol, atol=tol)


def test_matmul_leaves_vectors_integers_and_mixed_dtypes_to_numpy():
    v = np.arange(3.0)
    m = np.ones((3, 2), dtype=np.float32)
    assert kernels.matmul(v, np.ones((3, 2))).shape == (2,)
    np.testing.assert_array_equal(kernels.matmul(np.ones((2, 3), int), np.ones((3, 2), int)),
                                  np.full((2, 2), 3))
    assert kernels.matmul(np.ones((2, 3)), m).dtype == np.float64
