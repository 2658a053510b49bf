"""matmul's Numba fast path and the fused linear op: same values and gradients as the
BLAS path and the definition, float64 gradchecks, dtypes, errors, PyTorch parity."""

import contextlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.kernels import matmul as kernels
from minigrad.ops import linalg
from minigrad.testing.coverage import gradchecks
from tests.helpers import GRADCHECK, QUICK, rng


@contextlib.contextmanager
def fast_paths(enabled=True):
    """enabled: send even tiny batches through the Numba kernels, so gradchecks stay
    small; disabled: never use them (the BLAS path)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kernels, "TINY_MIN_BATCH", 1 if enabled else 10 ** 9)
        patch.setattr(kernels, "FUSED_MAX_INNER", 10 ** 9 if enabled else 0)
        yield


def count_calls(monkeypatch, name):
    calls = []
    original = getattr(kernels, name)
    monkeypatch.setattr(kernels, name, lambda *args: calls.append(1) or original(*args))
    return calls


# --------------------------------------------------------------------------- batched matmul
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_big_batch_of_tiny_matrices_uses_the_kernel_and_matches_the_definition(monkeypatch,
                                                                               dtype):
    calls = count_calls(monkeypatch, "batched_matmul")
    a_np = rng(0).standard_normal((4, 300, 2, 3)).astype(dtype)
    b_np = rng(1).standard_normal((4, 300, 3, 2)).astype(dtype)
    a, b = mg.tensor(a_np, requires_grad=True), mg.tensor(b_np, requires_grad=True)
    c = a @ b
    assert calls and c.dtype == dtype and c.shape == (4, 300, 2, 2)
    expected = kernels.matmul_naive(a_np.reshape(1200, 2, 3), b_np.reshape(1200, 3, 2))
    np.testing.assert_allclose(c.numpy(), expected.reshape(c.shape), rtol=1e-5, atol=1e-5)
    g = rng(2).standard_normal(c.shape).astype(dtype)
    c.backward(g)
    assert a.grad.dtype == dtype
    np.testing.assert_allclose(a.grad.numpy(), np.einsum("...ij,...kj->...ik", g, b_np),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(b.grad.numpy(), np.einsum("...ki,...kj->...ij", a_np, g),
                               rtol=1e-4, atol=1e-4)


@gradchecks(linalg.MatMul)
@GRADCHECK
@given(batch=st.integers(1, 3), n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3))
def test_matmul_through_the_kernel_gradchecks_to_second_order(batch, n, k, m):
    a = mg.tensor(rng(3).standard_normal((batch, n, k)), requires_grad=True)
    b = mg.tensor(rng(4).standard_normal((batch, k, m)), requires_grad=True)
    with fast_paths():
        assert kernels.use_batched_kernel(a.shape, b.shape)
        assert mg.gradcheck(mg.matmul, (a, b))
        assert mg.gradgradcheck(mg.matmul, (a, b))


def test_matmul_kernel_path_keeps_broadcasting_and_errors_of_numpy():
    a = mg.tensor(rng(5).standard_normal((500, 2, 2)))
    b = mg.tensor(rng(6).standard_normal((1, 2, 2)))          # broadcast: BLAS path
    np.testing.assert_allclose((a @ b).numpy(), np.matmul(a.numpy(), b.numpy()), atol=1e-12)
    with pytest.raises(mg.ShapeError, match=r"matmul: shapes \(500, 2, 2\) and \(500, 3, 2\)"):
        a @ mg.zeros(500, 3, 2)


# --------------------------------------------------------------------------- fused linear
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_with_tiny_inputs_uses_the_fused_kernel(monkeypatch, dtype):
    calls = count_calls(monkeypatch, "linear_fused")
    x_np = rng(7).standard_normal((5000, 2)).astype(dtype)
    w_np = rng(8).standard_normal((16, 2)).astype(dtype)
    b_np = rng(9).standard_normal(16).astype(dtype)
    y = linalg.linear(mg.tensor(x_np), mg.tensor(w_np), mg.tensor(b_np))
    assert calls and y.dtype == dtype
    np.testing.assert_allclose(y.numpy(), x_np @ w_np.T + b_np, rtol=1e-5, atol=1e-5)


@gradchecks(linalg.FusedLinear)
@GRADCHECK
@given(lead=st.sampled_from([(), (3,), (2, 3)]), k=st.integers(1, 4), m=st.integers(1, 3),
       fast=st.booleans())
def test_linear_gradchecks_to_second_order(lead, k, m, fast):
    x = mg.tensor(rng(10).standard_normal(lead + (k,)), requires_grad=True)
    w = mg.tensor(rng(11).standard_normal((m, k)), requires_grad=True)
    b = mg.tensor(rng(12).standard_normal(m), requires_grad=True)
    with fast_paths(fast):
        assert mg.gradcheck(linalg.linear, (x, w, b))
        assert mg.gradgradcheck(linalg.linear, (x, w, b))


@QUICK
@given(n=st.integers(1, 5), k=st.integers(1, 6), m=st.integers(1, 5), bias=st.booleans())
def test_linear_matches_the_definition_and_its_gradients(n, k, m, bias):
    x_np, w_np = rng(13).standard_normal((n, k)), rng(14).standard_normal((m, k))
    b_np = rng(15).standard_normal(m) if bias else np.zeros(m)
    x, w = mg.tensor(x_np, requires_grad=True), mg.tensor(w_np, requires_grad=True)
    b = mg.tensor(b_np, requires_grad=True) if bias else None
    y = linalg.linear(x, w, b)
    np.testing.assert_allclose(y.numpy(), kernels.linear_naive(x_np, w_np, b_np), atol=1e-12)
    g = rng(16).standard_normal((n, m))
    y.backward(g)
    np.testing.assert_allclose(x.grad.numpy(), np.einsum("ij,jq->iq", g, w_np), atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), np.einsum("ij,iq->jq", g, x_np), atol=1e-12)
    if bias:
        np.testing.assert_allclose(b.grad.numpy(), g.sum(axis=0), atol=1e-12)


def test_linear_errors_name_the_shapes():
    with pytest.raises(mg.ShapeError, match=r"linear: input shape \(4, 3\) and weight shape "
                                            r"\(2, 5\) do not match"):
        linalg.linear(mg.zeros(4, 3), mg.zeros(2, 5))
    with pytest.raises(mg.ShapeError, match=r"linear: bias must have shape \(2,\), got \(3,\)"):
        linalg.linear(mg.zeros(4, 3), mg.zeros(2, 3), mg.zeros(3))


def test_linear_matches_pytorch():
    torch = pytest.importorskip("torch")
    x, w, b = (rng(17).standard_normal(s).astype(np.float32) for s in [(6000, 3), (8, 3), (8,)])
    expected = torch.nn.functional.linear(*(torch.tensor(v) for v in (x, w, b))).numpy()
    y = linalg.linear(mg.tensor(x), mg.tensor(w), mg.tensor(b))
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-5)
