"""Small-matrix kernels: kernels.matmul against its twins in reference.matmul
(float64), and the twins against np.matmul and x @ w.T + b."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.kernels import matmul as fast
from minigrad.reference import matmul as twin
from tests.helpers import QUICK, rng
from tests.reference.spies import spy_on

TIGHT = dict(rtol=1e-12, atol=1e-12)


@QUICK
@given(batch=st.integers(1, 40), n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 4))
def test_batched_matmul_agrees_with_its_twin(batch, n, k, m):
    a, b = rng(0).standard_normal((batch, n, k)), rng(1).standard_normal((batch, k, m))
    c = twin.batched_matmul(a, b)
    np.testing.assert_allclose(fast.batched_matmul(a, b), c, **TIGHT)
    np.testing.assert_allclose(c, np.matmul(a, b), **TIGHT)


@QUICK
@given(n=st.integers(1, 30), k=st.integers(1, 3), m=st.integers(1, 20))
def test_linear_fused_agrees_with_its_twin(n, k, m):
    x, w, b = (rng(s).standard_normal(shape) for s, shape in ((2, (n, k)), (3, (m, k)), (4, (m,))))
    w_t = np.ascontiguousarray(w.T)
    y = twin.linear_fused(x, w_t, b)
    np.testing.assert_allclose(fast.linear_fused(x, w_t, b), y, **TIGHT)
    np.testing.assert_allclose(y, x @ w.T + b, **TIGHT)


def test_matmul_agrees_with_its_twin_above_the_split_size():
    a, b = rng(5).standard_normal((300, 400)), rng(6).standard_normal((400, 300))
    np.testing.assert_allclose(fast.matmul(a, b), twin.matmul(a, b), **TIGHT)


def test_reference_mode_sends_the_ops_to_the_twins():
    calls = []
    a = mg.tensor(rng(7).standard_normal((1024, 2, 2)))
    x = mg.tensor(rng(8).standard_normal((5, 2)))
    w, bias = mg.tensor(rng(9).standard_normal((3, 2))), mg.tensor(np.zeros(3))
    with spy_on(twin, ["matmul", "batched_matmul", "linear_fused"], calls):
        for mode in (True, False):
            with mg.reference_mode(mode):
                mg.matmul(a, a)
                mg.nn.functional.linear(x, w, bias)
                mg.matmul(x, w.T)
    assert calls == ["batched_matmul", "linear_fused", "matmul"]
