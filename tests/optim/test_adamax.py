"""Adamax against a closed form of Kingma & Ba's Algorithm 2 (the infinity norm
written as a max over the whole history, not as a recursion), and on convergence."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.optim import Adamax, adamax_update
from tests.optim.common import (
    QUADRATIC_MIN,
    QUICK,
    assert_trajectories_close,
    gradient_sequence,
    initial_weights,
    minimise,
    quadratic_loss,
    run_minigrad,
    run_minigrad_keeping_optimizer,
)


def reference_adamax(w0, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """Coordinate by coordinate. After t steps, with g_s the (L2-decayed) gradients:
        m_t = sum_s (1 - b1) b1^(t - s) g_s
        u_t = max_s b2^(t - s) (|g_s| + eps)      (PyTorch's eps inside the max)
        w_t = w_{t-1} - lr / (1 - b1^t) * m_t / u_t"""
    beta1, beta2 = betas
    w = [float(x) for x in w0.ravel()]
    history = [[] for _ in w]
    out = []
    for t, g in enumerate(grads, start=1):
        for i, raw in enumerate(g.ravel()):
            history[i].append(float(raw) + weight_decay * w[i])
            m = sum((1 - beta1) * beta1 ** (t - s) * gs
                    for s, gs in enumerate(history[i], start=1))
            u = max(beta2 ** (t - s) * (abs(gs) + eps) for s, gs in enumerate(history[i], start=1))
            w[i] -= lr / (1 - beta1 ** t) * m / u
        out.append(np.array(w).reshape(w0.shape))
    return out


configs = st.fixed_dictionaries({
    "lr": st.floats(1e-3, 0.1),
    "betas": st.tuples(st.sampled_from([0.0, 0.5, 0.9]), st.sampled_from([0.5, 0.9, 0.999])),
    "eps": st.sampled_from([1e-8, 1e-3]),
    "weight_decay": st.sampled_from([0.0, 0.05]),
})


@QUICK
@given(configs, st.integers(0, 2**16))
def test_adamax_matches_reference_step_by_step(config, seed):
    init, grads = initial_weights(seed=seed), gradient_sequence(seed=seed + 1, steps=12)
    actual = run_minigrad(lambda p: Adamax(p, **config), init, grads)
    assert_trajectories_close(actual, reference_adamax(init, grads, **config))


def test_update_function_one_step_from_a_nonzero_state():
    """The recursion itself, one step at t = 4, each line written out by hand."""
    rng = np.random.default_rng(3)
    w, g = rng.normal(size=4), rng.normal(size=4)
    m, u = rng.normal(size=4), rng.uniform(0.1, 2.0, size=4)
    lr, beta1, beta2, eps, wd, t = 0.01, 0.8, 0.95, 1e-3, 0.1, 4
    expected_w, expected_m, expected_u = [], [], []
    for i in range(4):
        grad_i = g[i] + wd * w[i]
        m_i = beta1 * m[i] + (1 - beta1) * grad_i
        u_i = max(beta2 * u[i], abs(grad_i) + eps)
        expected_m.append(m_i)
        expected_u.append(u_i)
        expected_w.append(w[i] - lr / (1 - math.pow(beta1, t)) * m_i / u_i)
    adamax_update(w, g, m, u, t, lr, beta1, beta2, eps, wd)
    for actual, wanted in ((w, expected_w), (m, expected_m), (u, expected_u)):
        np.testing.assert_allclose(actual, wanted, rtol=1e-13, atol=1e-15)


def test_float32_stays_float32():
    init, grads = initial_weights(dtype=np.float32), gradient_sequence(dtype=np.float32)
    actual, optimizer = run_minigrad_keeping_optimizer(
        lambda p: Adamax(p, lr=0.01, weight_decay=0.01), init, grads)
    assert all(a.dtype == np.float32 for a in actual)
    state = next(iter(optimizer.state.values()))
    assert state["exp_avg"].dtype == state["exp_inf"].dtype == np.float32
    expected = reference_adamax(init, grads, lr=0.01, weight_decay=0.01)
    assert_trajectories_close(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad, message", [
    (dict(lr=-0.5), "Adamax: Invalid learning rate: -0.5"),
    (dict(betas=(1.0, 0.999)), r"Adamax: Invalid beta parameter at index 0: 1.0; "
                               r"expected 0.0 <= beta1 < 1.0"),
    (dict(betas=(0.9, 1.5)), "Adamax: Invalid beta parameter at index 1: 1.5"),
    (dict(eps=-1.0), "Adamax: Invalid epsilon value: -1.0"),
    (dict(weight_decay=-1.0), "Adamax: Invalid weight_decay value: -1.0"),
])
def test_validation_names_the_value(bad, message):
    with pytest.raises(ValueError, match=message):
        Adamax([mg.tensor(np.ones(2), requires_grad=True)], **bad)


def test_adamax_converges_on_quadratic():
    w = minimise(lambda p: Adamax(p, lr=0.05), quadratic_loss, np.zeros(3), 2000)
    np.testing.assert_allclose(w, QUADRATIC_MIN, atol=1e-4)
