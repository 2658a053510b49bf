"""NAdam against a closed form of Dozat 2016's update with PyTorch's momentum
schedule (the moments as explicit weighted sums, the momentum product as an
explicit product), and on convergence."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.optim import NAdam, nadam_update
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


def momentum_at(t, beta1, psi):
    return beta1 * (1 - 0.5 * 0.96 ** (t * psi))


def reference_nadam(w0, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                    momentum_decay=4e-3, decoupled_weight_decay=False):
    """Coordinate by coordinate. mu_t = b1 (1 - 0.96^(t psi) / 2); with g_s the
    gradients (L2-decayed unless decoupled) and P_t = mu_1 ... mu_t:
        m_t = sum_s (1 - b1) b1^(t - s) g_s,   v_t = sum_s (1 - b2) b2^(t - s) g_s^2
        w_t = w' - lr [(1 - mu_t) / (1 - P_t) g_t + mu_{t+1} / (1 - P_t mu_{t+1}) m_t]
                   / (sqrt(v_t / (1 - b2^t)) + eps)
    where w' is w_{t-1}, times (1 - lr wd) when the decay is decoupled."""
    beta1, beta2 = betas
    w = [float(x) for x in w0.ravel()]
    history = [[] for _ in w]
    out = []
    for t, g in enumerate(grads, start=1):
        mu_t, mu_next = momentum_at(t, beta1, momentum_decay), momentum_at(t + 1, beta1,
                                                                           momentum_decay)
        product = float(np.prod([momentum_at(s, beta1, momentum_decay) for s in range(1, t + 1)]))
        for i, raw in enumerate(g.ravel()):
            grad_i = float(raw)
            if decoupled_weight_decay:
                w[i] *= 1 - lr * weight_decay
            else:
                grad_i += weight_decay * w[i]
            history[i].append(grad_i)
            pairs = list(enumerate(history[i], start=1))
            m = sum((1 - beta1) * beta1 ** (t - s) * gs for s, gs in pairs)
            v = sum((1 - beta2) * beta2 ** (t - s) * gs * gs for s, gs in pairs)
            denom = np.sqrt(v / (1 - beta2 ** t)) + eps
            w[i] -= lr * ((1 - mu_t) / (1 - product) * grad_i
                          + mu_next / (1 - product * mu_next) * m) / denom
        out.append(np.array(w).reshape(w0.shape))
    return out


configs = st.fixed_dictionaries({
    "lr": st.floats(1e-3, 0.1),
    "betas": st.tuples(st.sampled_from([0.0, 0.5, 0.9]), st.sampled_from([0.9, 0.999])),
    "eps": st.sampled_from([1e-8, 1e-3]),
    "weight_decay": st.sampled_from([0.0, 0.05]),
    "momentum_decay": st.sampled_from([4e-3, 0.1]),
    "decoupled_weight_decay": st.booleans(),
})


@QUICK
@given(configs, st.integers(0, 2**16))
def test_nadam_matches_reference_step_by_step(config, seed):
    init, grads = initial_weights(seed=seed), gradient_sequence(seed=seed + 1, steps=12)
    actual = run_minigrad(lambda p: NAdam(p, **config), init, grads)
    assert_trajectories_close(actual, reference_nadam(init, grads, **config))


def test_update_function_one_step_from_a_nonzero_state():
    rng = np.random.default_rng(5)
    w, g = rng.normal(size=4), rng.normal(size=4)
    m, v = rng.normal(size=4), rng.uniform(0.1, 2.0, size=4)
    lr, beta1, beta2, eps, wd, psi, t, product = 0.01, 0.9, 0.99, 1e-8, 0.1, 0.05, 3, 0.4
    mu_t, mu_next = momentum_at(t, beta1, psi), momentum_at(t + 1, beta1, psi)
    expected_w, expected_m, expected_v = [], [], []
    for i in range(4):
        grad_i = g[i] + wd * w[i]
        m_i = beta1 * m[i] + (1 - beta1) * grad_i
        v_i = beta2 * v[i] + (1 - beta2) * grad_i ** 2
        denom = (v_i / (1 - beta2 ** t)) ** 0.5 + eps
        step = (1 - mu_t) / (1 - product * mu_t) * grad_i + \
            mu_next / (1 - product * mu_t * mu_next) * m_i
        expected_w.append(w[i] - lr * step / denom)
        expected_m.append(m_i)
        expected_v.append(v_i)
    new_product = nadam_update(w, g, m, v, t, product, lr, beta1, beta2, eps, wd, psi, False)
    assert new_product == pytest.approx(product * mu_t, rel=1e-15)
    for actual, wanted in ((w, expected_w), (m, expected_m), (v, expected_v)):
        np.testing.assert_allclose(actual, wanted, rtol=1e-13, atol=1e-15)


def test_float32_stays_float32_and_mu_product_is_a_number():
    init, grads = initial_weights(dtype=np.float32), gradient_sequence(dtype=np.float32)
    actual, optimizer = run_minigrad_keeping_optimizer(
        lambda p: NAdam(p, lr=0.01, weight_decay=0.01), init, grads)
    assert all(a.dtype == np.float32 for a in actual)
    state = next(iter(optimizer.state.values()))
    assert state["exp_avg"].dtype == state["exp_avg_sq"].dtype == np.float32
    assert isinstance(state["mu_product"], float) and state["step"] == len(grads)
    expected = reference_nadam(init, grads, lr=0.01, weight_decay=0.01)
    assert_trajectories_close(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad, message", [
    (dict(lr=-0.5), "NAdam: Invalid learning rate: -0.5"),
    (dict(betas=(0.9, 1.0)), "NAdam: Invalid beta parameter at index 1: 1.0"),
    (dict(betas=(-0.1, 0.9)), "NAdam: Invalid beta parameter at index 0: -0.1"),
    (dict(eps=-1.0), "NAdam: Invalid epsilon value: -1.0"),
    (dict(momentum_decay=-1e-3), "NAdam: Invalid momentum_decay value: -0.001"),
])
def test_validation_names_the_value(bad, message):
    with pytest.raises(ValueError, match=message):
        NAdam([mg.tensor(np.ones(2), requires_grad=True)], **bad)


@pytest.mark.parametrize("decoupled", [False, True])
def test_nadam_converges_on_quadratic(decoupled):
    w = minimise(lambda p: NAdam(p, lr=0.05, decoupled_weight_decay=decoupled), quadratic_loss,
                 np.zeros(3), 1500)
    np.testing.assert_allclose(w, QUADRATIC_MIN, atol=1e-4)
