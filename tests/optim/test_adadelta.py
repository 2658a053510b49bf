"""Adadelta against a coordinate-by-coordinate transcription of Zeiler 2012's
Algorithm 1 (with PyTorch's lr and weight decay), and on convergence."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.optim import Adadelta, adadelta_update
from tests.optim.common import (
    QUICK,
    assert_trajectories_close,
    gradient_sequence,
    initial_weights,
    run_minigrad,
    run_minigrad_keeping_optimizer,
)


def reference_step(w, g, mean_g2, mean_dx2, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    """One step, one coordinate at a time. Zeiler: accumulate E[g^2]; the update is
    -RMS[dx]_{t-1} / RMS[g]_t * g with RMS[y] = sqrt(E[y^2] + eps); accumulate E[dx^2];
    x += dx. PyTorch multiplies dx by lr when applying it. Returns new lists."""
    w, mean_g2, mean_dx2 = list(w), list(mean_g2), list(mean_dx2)
    for i in range(len(w)):
        grad_i = g[i] + weight_decay * w[i]
        mean_g2[i] = rho * mean_g2[i] + (1 - rho) * grad_i ** 2
        dx = -math.sqrt(mean_dx2[i] + eps) / math.sqrt(mean_g2[i] + eps) * grad_i
        mean_dx2[i] = rho * mean_dx2[i] + (1 - rho) * dx ** 2
        w[i] = w[i] + lr * dx
    return w, mean_g2, mean_dx2


def reference_adadelta(w0, grads, **config):
    w = [float(x) for x in w0.ravel()]
    mean_g2, mean_dx2 = [0.0] * len(w), [0.0] * len(w)
    out = []
    for g in grads:
        w, mean_g2, mean_dx2 = reference_step(w, [float(x) for x in g.ravel()], mean_g2,
                                              mean_dx2, **config)
        out.append(np.array(w).reshape(w0.shape))
    return out


configs = st.fixed_dictionaries({
    "lr": st.sampled_from([1.0, 0.3]),
    "rho": st.sampled_from([0.0, 0.5, 0.9, 0.99]),
    "eps": st.sampled_from([1e-6, 1e-3]),
    "weight_decay": st.sampled_from([0.0, 0.05]),
})


@QUICK
@given(configs, st.integers(0, 2**16))
def test_adadelta_matches_reference_step_by_step(config, seed):
    init, grads = initial_weights(seed=seed), gradient_sequence(seed=seed + 1, steps=12)
    actual = run_minigrad(lambda p: Adadelta(p, **config), init, grads)
    assert_trajectories_close(actual, reference_adadelta(init, grads, **config))


@QUICK
@given(configs, st.integers(0, 2**16))
def test_update_function_from_a_nonzero_state(config, seed):
    rng = np.random.default_rng(seed)
    w, g = rng.normal(size=5), rng.normal(size=5)
    mean_g2, mean_dx2 = rng.uniform(0, 2, size=5), rng.uniform(0, 0.1, size=5)
    expected = reference_step(w, g, mean_g2, mean_dx2, **config)
    arrays = [w.copy(), mean_g2.copy(), mean_dx2.copy()]
    adadelta_update(arrays[0], g.copy(), arrays[1], arrays[2], config["lr"], config["rho"],
                    config["eps"], config["weight_decay"])
    for actual, wanted in zip(arrays, expected):
        np.testing.assert_allclose(actual, wanted, rtol=1e-12, atol=1e-15)


def test_float32_stays_float32():
    init, grads = initial_weights(dtype=np.float32), gradient_sequence(dtype=np.float32)
    actual, optimizer = run_minigrad_keeping_optimizer(
        lambda p: Adadelta(p, weight_decay=0.01), init, grads)
    assert all(a.dtype == np.float32 for a in actual)
    state = next(iter(optimizer.state.values()))
    assert state["square_avg"].dtype == state["acc_delta"].dtype == np.float32
    assert_trajectories_close(actual, reference_adadelta(init, grads, weight_decay=0.01),
                              rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad, message", [
    (dict(lr=-1.0), r"Adadelta: Invalid learning rate: -1.0; expected lr >= 0"),
    (dict(rho=1.5), r"Adadelta: Invalid rho value: 1.5; expected 0.0 <= rho <= 1.0"),
    (dict(eps=-1e-6), "Adadelta: Invalid epsilon value: -1e-06"),
    (dict(weight_decay=-0.1), "Adadelta: Invalid weight_decay value: -0.1"),
])
def test_validation_names_the_value(bad, message):
    with pytest.raises(ValueError, match=message):
        Adadelta([mg.tensor(np.ones(2), requires_grad=True)], **bad)


def test_steps_do_not_depend_on_the_gradient_scale():
    """Zeiler's "units" argument: dx = RMS[dx] / RMS[g] * g is unchanged when every
    gradient is multiplied by 100 (up to eps, here negligible)."""
    init, grads = initial_weights(), gradient_sequence(steps=50)
    plain = run_minigrad(lambda p: Adadelta(p, eps=1e-10), init, grads)
    scaled = run_minigrad(lambda p: Adadelta(p, eps=1e-10), init, [100 * g for g in grads])
    moved = max(np.abs(w - init).max() for w in plain)
    assert moved > 1e-4
    for a, b in zip(plain, scaled):
        np.testing.assert_allclose(a - init, b - init, rtol=0, atol=1e-6 * moved)
