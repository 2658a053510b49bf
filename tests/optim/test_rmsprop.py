"""RMSprop against a transcription of Tieleman & Hinton's rule (with Graves'
centring and momentum, as PyTorch defines them), torch.optim.RMSprop, convergence."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.optim import RMSprop
from tests.optim.common import (
    QUADRATIC_MIN,
    QUICK,
    assert_trajectories_close,
    gradient_sequence,
    initial_weights,
    minimise,
    quadratic_loss,
    rosenbrock_loss,
    run_minigrad,
    run_torch,
)


def reference_rmsprop(w, grads, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0,
                      momentum=0.0, centered=False):
    """Mean squares written as explicit weighted sums over the history:
    E[g^2]_t = sum_s (1 - alpha) alpha^(t - s) g_s^2 (zero start), likewise E[g]_t."""
    w = w.astype(np.float64).copy()
    history, buf, out = [], np.zeros_like(w), []
    for g in grads:
        g = g.astype(np.float64) + weight_decay * w
        history.append(g)
        t = len(history)
        weights = [(1 - alpha) * alpha ** (t - 1 - s) for s in range(t)]
        mean_sq = sum(c * h * h for c, h in zip(weights, history))
        var = mean_sq - sum(c * h for c, h in zip(weights, history)) ** 2 if centered \
            else mean_sq
        direction = g / (np.sqrt(var) + eps)
        if momentum > 0:
            buf = momentum * buf + direction
            direction = buf
        w = w - lr * direction
        out.append(w.copy())
    return out


configs = st.fixed_dictionaries({
    "lr": st.floats(1e-3, 0.1),
    "alpha": st.sampled_from([0.9, 0.99]),
    "eps": st.sampled_from([1e-8, 1e-3]),
    "weight_decay": st.sampled_from([0.0, 0.05]),
    "momentum": st.sampled_from([0.0, 0.9]),
    "centered": st.booleans(),
})


@QUICK
@given(configs, st.integers(0, 2**16))
def test_rmsprop_matches_reference_step_by_step(config, seed):
    init, grads = initial_weights(seed=seed), gradient_sequence(seed=seed + 1)
    actual = run_minigrad(lambda p: RMSprop(p, **config), init, grads)
    assert_trajectories_close(actual, reference_rmsprop(init, grads, **config), rtol=1e-8)


@pytest.mark.parity
@pytest.mark.parametrize("config", [
    dict(), dict(lr=0.05, momentum=0.9), dict(lr=0.05, centered=True),
    dict(lr=0.02, centered=True, momentum=0.5, weight_decay=0.1, alpha=0.9),
])
def test_rmsprop_matches_torch(config):
    torch = pytest.importorskip("torch")
    init, grads = initial_weights(), gradient_sequence()
    expected = run_torch(lambda p: torch.optim.RMSprop(p, **config), init, grads)
    actual = run_minigrad(lambda p: RMSprop(p, **config), init, grads)
    assert_trajectories_close(actual, expected)


def test_float32_stays_float32():
    init, grads = initial_weights(dtype=np.float32), gradient_sequence(dtype=np.float32)
    config = dict(lr=0.01, centered=True, momentum=0.9)
    actual = run_minigrad(lambda p: RMSprop(p, **config), init, grads)
    assert all(a.dtype == np.float32 for a in actual)
    assert_trajectories_close(actual, reference_rmsprop(init, grads, **config), rtol=1e-4,
                              atol=1e-5)


@pytest.mark.parametrize("bad, message", [
    (dict(alpha=-0.1), "Invalid alpha value: -0.1"),
    (dict(alpha=1.5), r"Invalid alpha value: 1.5; expected 0.0 <= alpha <= 1.0"),
    (dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (dict(momentum=-0.5), "Invalid momentum value: -0.5"),
])
def test_validation_names_the_value(bad, message):
    with pytest.raises(ValueError, match=message):
        RMSprop([mg.tensor(np.ones(2), requires_grad=True)], **bad)


def test_rmsprop_converges_on_quadratic():
    w = minimise(lambda p: RMSprop(p, lr=0.01, momentum=0.9), quadratic_loss, np.zeros(3),
                 600)
    np.testing.assert_allclose(w, QUADRATIC_MIN, atol=1e-3)


def test_rmsprop_converges_on_rosenbrock():
    w = minimise(lambda p: RMSprop(p, lr=1e-3, momentum=0.9), rosenbrock_loss, [-1.5, 2.0],
                 3000)
    np.testing.assert_allclose(w, [1.0, 1.0], atol=1e-3)
