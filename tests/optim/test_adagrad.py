"""Adagrad against a transcription of Duchi et al.'s diagonal rule with PyTorch's
lr decay, torch.optim.Adagrad, and convergence."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.optim import Adagrad
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


def reference_adagrad(w, grads, lr=0.01, lr_decay=0.0, weight_decay=0.0,
                      initial_accumulator_value=0.0, eps=1e-10):
    """G_t = G_0 + sum_{s<=t} g_s^2 (recomputed from scratch every step)."""
    w = w.astype(np.float64).copy()
    seen = []
    out = []
    for t, g in enumerate(grads, start=1):
        g = g.astype(np.float64) + weight_decay * w
        seen.append(g)
        total = initial_accumulator_value + sum(s * s for s in seen)
        step_lr = lr / (1 + (t - 1) * lr_decay)
        w = w - step_lr * g / (np.sqrt(total) + eps)
        out.append(w.copy())
    return out


configs = st.fixed_dictionaries({
    "lr": st.floats(1e-3, 1.0),
    "lr_decay": st.sampled_from([0.0, 0.1]),
    "weight_decay": st.sampled_from([0.0, 0.05]),
    "initial_accumulator_value": st.sampled_from([0.0, 0.5]),
    "eps": st.sampled_from([1e-10, 1e-3]),
})


@QUICK
@given(configs, st.integers(0, 2**16))
def test_adagrad_matches_reference_step_by_step(config, seed):
    init, grads = initial_weights(seed=seed), gradient_sequence(seed=seed + 1)
    actual = run_minigrad(lambda p: Adagrad(p, **config), init, grads)
    assert_trajectories_close(actual, reference_adagrad(init, grads, **config))


@pytest.mark.parity
@pytest.mark.parametrize("config", [
    dict(), dict(lr=0.1, lr_decay=0.05), dict(lr=0.1, initial_accumulator_value=0.3),
    dict(lr=0.05, weight_decay=0.1, eps=1e-6),
])
def test_adagrad_matches_torch(config):
    torch = pytest.importorskip("torch")
    init, grads = initial_weights(), gradient_sequence()
    expected = run_torch(lambda p: torch.optim.Adagrad(p, **config), init, grads)
    actual = run_minigrad(lambda p: Adagrad(p, **config), init, grads)
    assert_trajectories_close(actual, expected)


def test_float32_stays_float32():
    init, grads = initial_weights(dtype=np.float32), gradient_sequence(dtype=np.float32)
    actual = run_minigrad(lambda p: Adagrad(p, lr=0.1), init, grads)
    assert all(a.dtype == np.float32 for a in actual)
    assert_trajectories_close(actual, reference_adagrad(init, grads, lr=0.1), rtol=1e-5,
                              atol=1e-6)


def test_validation_names_the_value():
    p = mg.tensor(initial_weights(), requires_grad=True)
    with pytest.raises(ValueError, match="Invalid lr_decay value: -0.1"):
        Adagrad([p], lr_decay=-0.1)
    with pytest.raises(ValueError, match="Invalid initial_accumulator_value value: -1"):
        Adagrad([p], initial_accumulator_value=-1)


def test_adagrad_converges_on_quadratic():
    w = minimise(lambda p: Adagrad(p, lr=0.5), quadratic_loss, np.zeros(3), 400)
    np.testing.assert_allclose(w, QUADRATIC_MIN, atol=1e-5)


def test_adagrad_converges_on_rosenbrock():
    # the shrinking steps make Adagrad slow along the curved valley: more steps
    w = minimise(lambda p: Adagrad(p, lr=0.5), rosenbrock_loss, [0.0, 0.0], 4000)
    np.testing.assert_allclose(w, [1.0, 1.0], atol=2e-2)
