"""RAdam against a transcription of Liu et al. 2019's Algorithm 2 (rho_t from the
simple-moving-average length, the rectifier from its variance ratio), and on
convergence."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.optim import RAdam, radam_update
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


def reference_step(w, g, m, v, t, lr, beta1, beta2, eps, weight_decay, decoupled):
    """One step, coordinate by coordinate, returning new lists (w, m, v).
    Liu et al.: rho_inf = 2 / (1 - b2) - 1, rho_t = rho_inf - 2 t b2^t / (1 - b2^t);
    if rho_t > 5 the adaptive step m_hat * r_t * l_t with l_t = sqrt(1 - b2^t) /
    (sqrt(v_t) + eps) (PyTorch's eps placement), otherwise the momentum step m_hat."""
    w, m, v = list(w), list(m), list(v)
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * t * beta2 ** t / (1.0 - beta2 ** t)
    for i in range(len(w)):
        grad_i = g[i]
        if decoupled:
            w[i] = w[i] * (1.0 - lr * weight_decay)
        else:
            grad_i = grad_i + weight_decay * w[i]
        m[i] = beta1 * m[i] + (1.0 - beta1) * grad_i
        v[i] = beta2 * v[i] + (1.0 - beta2) * grad_i * grad_i
        m_hat = m[i] / (1.0 - beta1 ** t)
        if rho_t > 5.0:
            r_t = math.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                            / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
            l_t = math.sqrt(1.0 - beta2 ** t) / (math.sqrt(v[i]) + eps)
            w[i] = w[i] - lr * m_hat * r_t * l_t
        else:
            w[i] = w[i] - lr * m_hat
    return w, m, v


def reference_radam(w0, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                    decoupled_weight_decay=False):
    w = [float(x) for x in w0.ravel()]
    m, v, out = [0.0] * len(w), [0.0] * len(w), []
    for t, g in enumerate(grads, start=1):
        w, m, v = reference_step(w, [float(x) for x in g.ravel()], m, v, t, lr, betas[0],
                                 betas[1], eps, weight_decay, decoupled_weight_decay)
        out.append(np.array(w).reshape(w0.shape))
    return out


configs = st.fixed_dictionaries({
    "lr": st.floats(1e-3, 0.1),
    # beta2 = 0.999 stays in the momentum branch for 5 steps, 0.5 never leaves it
    "betas": st.tuples(st.sampled_from([0.0, 0.5, 0.9]), st.sampled_from([0.5, 0.9, 0.999])),
    "eps": st.sampled_from([1e-8, 1e-3]),
    "weight_decay": st.sampled_from([0.0, 0.05]),
    "decoupled_weight_decay": st.booleans(),
})


@QUICK
@given(configs, st.integers(0, 2**16))
def test_radam_matches_reference_step_by_step(config, seed):
    init, grads = initial_weights(seed=seed), gradient_sequence(seed=seed + 1, steps=12)
    actual = run_minigrad(lambda p: RAdam(p, **config), init, grads)
    assert_trajectories_close(actual, reference_radam(init, grads, **config))


@pytest.mark.parametrize("t", [2, 9])  # beta2 = 0.999: the momentum branch, then rectified
def test_update_function_one_step_from_a_nonzero_state(t):
    rng = np.random.default_rng(t)
    w, g = rng.normal(size=4), rng.normal(size=4)
    m, v = rng.normal(size=4), rng.uniform(0.1, 2.0, size=4)
    expected = reference_step(w, g, m, v, t, 0.01, 0.9, 0.999, 1e-8, 0.1, True)
    radam_update(w, g, m, v, t, 0.01, 0.9, 0.999, 1e-8, 0.1, True)
    for actual, wanted in zip((w, m, v), expected):
        np.testing.assert_allclose(actual, wanted, rtol=1e-12, atol=1e-15)


def test_first_steps_are_momentum_sgd():
    """rho_t <= 5 for t <= 5 when beta2 = 0.999: w moves by exactly lr * m_hat."""
    init, grads = initial_weights(), gradient_sequence(steps=5)
    actual = run_minigrad(lambda p: RAdam(p, lr=0.1), init, grads)
    m, w = np.zeros_like(init), init.copy()
    for t, (g, got) in enumerate(zip(grads, actual), start=1):
        m = 0.9 * m + 0.1 * g
        w = w - 0.1 * m / (1 - 0.9 ** t)
        np.testing.assert_allclose(got, w, rtol=1e-13)


def test_float32_stays_float32():
    init, grads = initial_weights(dtype=np.float32), gradient_sequence(dtype=np.float32,
                                                                       steps=12)
    actual, optimizer = run_minigrad_keeping_optimizer(
        lambda p: RAdam(p, lr=0.01, weight_decay=0.01), init, grads)
    assert all(a.dtype == np.float32 for a in actual)
    state = next(iter(optimizer.state.values()))
    assert state["exp_avg"].dtype == state["exp_avg_sq"].dtype == np.float32
    expected = reference_radam(init, grads, lr=0.01, weight_decay=0.01)
    assert_trajectories_close(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad, message", [
    (dict(lr=-0.5), "RAdam: Invalid learning rate: -0.5"),
    (dict(betas=(0.9, 1.0)), "RAdam: Invalid beta parameter at index 1: 1.0"),
    (dict(betas=(0.9,)), "RAdam: betas must be a pair"),
    (dict(eps=-1.0), "RAdam: Invalid epsilon value: -1.0"),
    (dict(weight_decay=-1.0), "RAdam: Invalid weight_decay value: -1.0"),
])
def test_validation_names_the_value(bad, message):
    with pytest.raises(ValueError, match=message):
        RAdam([mg.tensor(np.ones(2), requires_grad=True)], **bad)


@pytest.mark.parametrize("decoupled", [False, True])
def test_radam_converges_on_quadratic(decoupled):
    w = minimise(lambda p: RAdam(p, lr=0.05, decoupled_weight_decay=decoupled), quadratic_loss,
                 np.zeros(3), 1500)
    np.testing.assert_allclose(w, QUADRATIC_MIN, atol=1e-4)
