"""Matrix multiplication: NumPy semantics, gradients vs the einsum formula."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.ops import linalg
from minigrad.testing.coverage import gradchecks
from minigrad.testing.strategies import arrays
from tests.helpers import GRADCHECK, QUICK, naive_unbroadcast, rng


@st.composite
def matmul_shapes(draw):
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    kind = draw(st.sampled_from(["mm", "mv", "vm", "vv", "batched", "broadcast"]))
    if kind == "mm":
        return (n, k), (k, m)
    if kind == "mv":
        return (n, k), (k,)
    if kind == "vm":
        return (k,), (k, m)
    if kind == "vv":
        return (k,), (k,)
    batch = draw(st.integers(1, 3))
    if kind == "batched":
        return (batch, n, k), (batch, k, m)
    return (batch, 1, n, k), (2, k, m)


@gradchecks(linalg.MatMul)
@GRADCHECK
@given(shapes=matmul_shapes(), data=st.data())
def test_matmul_gradcheck(shapes, data):
    a = mg.tensor(data.draw(arrays(shapes[0])), requires_grad=True)
    b = mg.tensor(data.draw(arrays(shapes[1])), requires_grad=True)
    np.testing.assert_allclose((a @ b).numpy(), np.matmul(a.numpy(), b.numpy()), atol=1e-12)
    assert mg.gradcheck(mg.matmul, (a, b))
    assert mg.gradgradcheck(lambda p, q: p @ q, (a, b))


@QUICK
@given(shapes=matmul_shapes(), data=st.data())
def test_matmul_gradient_matches_einsum_formula(shapes, data):
    a_np, b_np = data.draw(arrays(shapes[0])), data.draw(arrays(shapes[1]))
    a, b = mg.tensor(a_np, requires_grad=True), mg.tensor(b_np, requires_grad=True)
    c = a @ b
    g = rng(7).standard_normal(c.shape)
    c.backward(g)
    a2 = a_np[None] if a_np.ndim == 1 else a_np  # promote vectors to matrices
    b2 = b_np[:, None] if b_np.ndim == 1 else b_np
    g2 = g.reshape(np.matmul(a2, b2).shape)
    ga = np.einsum("...ij,...kj->...ik", g2, np.broadcast_to(b2, g2.shape[:-2] + b2.shape[-2:]))
    gb = np.einsum("...ki,...kj->...ij", np.broadcast_to(a2, g2.shape[:-2] + a2.shape[-2:]), g2)
    np.testing.assert_allclose(a.grad.numpy(), naive_unbroadcast(ga, a2.shape).reshape(a_np.shape),
                               atol=1e-10)
    np.testing.assert_allclose(b.grad.numpy(), naive_unbroadcast(gb, b2.shape).reshape(b_np.shape),
                               atol=1e-10)


def test_matmul_float32_and_errors():
    a = mg.randn(3, 4, requires_grad=True)
    b = mg.randn(4, 2, requires_grad=True)
    (a @ b).sum().backward()
    assert (a @ b).dtype == np.float32 and a.grad.dtype == np.float32
    with pytest.raises(mg.ShapeError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) are not "
                                            r"aligned.*\(4\).*\(5\)"):
        a @ mg.zeros(5, 2)
    with pytest.raises(mg.ShapeError, match=r"matmul \(batch dimensions\): cannot broadcast"):
        mg.zeros(2, 3, 4) @ mg.zeros(3, 4, 5)
    with pytest.raises(mg.ShapeError, match="at least 1-D"):
        mg.matmul(mg.tensor(2.0), a)
