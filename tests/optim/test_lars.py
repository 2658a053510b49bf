"""LARS against a line-by-line transcription of You et al. 2017, Algorithm 1."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.optim import LARS, SGD, lars_update


def algorithm_1(w, g, v, lr, m, beta, eta):
    """Scalar loops: norms as square roots of sums, then the update of Algorithm 1."""
    w, g, v = [list(map(float, a.ravel())) for a in (w, g, v)]
    w_norm = math.sqrt(sum(a * a for a in w))
    g_norm = math.sqrt(sum(a * a for a in g))
    local = eta * w_norm / (g_norm + beta * w_norm) if w_norm > 0 and g_norm > 0 else 1.0
    v = [m * vi + lr * local * (gi + beta * wi) for vi, gi, wi in zip(v, g, w)]
    w = [wi - vi for wi, vi in zip(w, v)]
    return np.array(w), np.array(v)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 12), lr=st.floats(1e-3, 2.0),
       m=st.floats(0, 0.99), beta=st.floats(0, 0.1), eta=st.floats(1e-4, 0.1),
       zero_weights=st.booleans())
def test_update_follows_algorithm_1_for_several_steps(seed, n, lr, m, beta, eta, zero_weights):
    rng = np.random.default_rng(seed)
    w = np.zeros(n) if zero_weights else rng.normal(size=n)
    ref_w, ref_v, buf = w.copy(), np.zeros(n), None
    for _ in range(3):
        g = rng.normal(size=n)
        ref_w, ref_v = algorithm_1(ref_w, g, ref_v, lr, m, beta, eta)
        buf = lars_update(w, g, buf, lr, m, beta, eta, 0.0)
        np.testing.assert_allclose(w, ref_w, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(buf, ref_v, rtol=1e-10, atol=1e-12)


def test_each_layer_moves_by_the_same_fraction_of_its_norm():
    # without momentum and decay, ||dw|| = lr * eta * ||w|| whatever the gradient's scale
    rng = np.random.default_rng(0)
    layers = [rng.normal(size=(30, 20)) * 10, rng.normal(size=5) * 0.01]
    grads = [rng.normal(size=(30, 20)) * 1e-4, rng.normal(size=5) * 100]
    params = [mg.tensor(w.copy(), requires_grad=True) for w in layers]
    for p, g in zip(params, grads):
        p.grad = mg.tensor(g)
    LARS(params, lr=0.5, momentum=0.0, trust_coefficient=0.01).step()
    for p, w in zip(params, layers):
        assert np.linalg.norm(p.numpy() - w) == pytest.approx(0.5 * 0.01 * np.linalg.norm(w))


def test_a_group_without_adaptation_is_momentum_sgd():
    rng = np.random.default_rng(1)
    start, grads = rng.normal(size=6), [rng.normal(size=6) for _ in range(4)]
    a = mg.tensor(start.copy(), requires_grad=True)
    b = mg.tensor(start.copy(), requires_grad=True)
    lars = LARS([{"params": [a], "adapt": False}], lr=0.1, momentum=0.9)
    sgd = SGD([b], lr=0.1, momentum=0.9)
    for g in grads:  # constant lr: v = lr * b_pytorch, so the two coincide
        a.grad, b.grad = mg.tensor(g), mg.tensor(g)
        lars.step()
        sgd.step()
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_state_dict_resumes_exactly_and_float32_stays_float32():
    rng = np.random.default_rng(2)
    w = rng.normal(size=(3, 4)).astype(np.float32)
    grads = [rng.normal(size=(3, 4)).astype(np.float32) for _ in range(4)]
    full = mg.tensor(w.copy(), requires_grad=True)
    optimizer = LARS([full], lr=0.2, weight_decay=1e-4)
    for g in grads:
        full.grad = mg.tensor(g)
        optimizer.step()
    part = mg.tensor(w.copy(), requires_grad=True)
    first = LARS([part], lr=0.2, weight_decay=1e-4)
    for g in grads[:2]:
        part.grad = mg.tensor(g)
        first.step()
    second = LARS([part], lr=0.2, weight_decay=1e-4)
    second.load_state_dict(first.state_dict())
    for g in grads[2:]:
        part.grad = mg.tensor(g)
        second.step()
    np.testing.assert_array_equal(part.numpy(), full.numpy())
    assert full.dtype == np.float32 and optimizer.state[full]["momentum_buffer"].dtype == \
        np.float32


def test_invalid_hyperparameters_are_named():
    p = [mg.tensor(np.ones(2), requires_grad=True)]
    with pytest.raises(ValueError, match="LARS: Invalid trust_coefficient value: -1"):
        LARS(p, trust_coefficient=-1)
    with pytest.raises(ValueError, match="LARS: Invalid momentum value: -0.5"):
        LARS(p, momentum=-0.5)
