"""Adam, AMSGrad and AdamW against a transcription of Kingma & Ba's Algorithm 1
(bias-corrected m_hat, v_hat) and Loshchilov & Hutter's decoupled decay, against
torch.optim, and on convergence."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.optim import Adam, AdamW
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


def reference_adam(w, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                   amsgrad=False, decoupled=False):
    """Algorithm 1 of arXiv:1412.6980 with the paper's m_hat and v_hat; AMSGrad keeps
    the running max of v_hat's numerator (as PyTorch does); AdamW shrinks w first."""
    beta1, beta2 = betas
    w = w.astype(np.float64).copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    v_max = np.zeros_like(w)
    out = []
    for t, g in enumerate(grads, start=1):
        g = g.astype(np.float64)
        if decoupled:
            w = w - lr * weight_decay * w
        else:
            g = g + weight_decay * w
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - beta1 ** t)
        v_hat = (v_max if amsgrad else v) / (1 - beta2 ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(w.copy())
    return out


configs = st.fixed_dictionaries({
    "lr": st.floats(1e-4, 0.1),
    "betas": st.tuples(st.sampled_from([0.0, 0.5, 0.9]), st.sampled_from([0.9, 0.999])),
    "eps": st.sampled_from([1e-8, 1e-3]),
    "weight_decay": st.sampled_from([0.0, 0.05]),
    "amsgrad": st.booleans(),
})


@QUICK
@given(configs, st.integers(0, 2**16))
def test_adam_matches_reference_step_by_step(config, seed):
    init, grads = initial_weights(seed=seed), gradient_sequence(seed=seed + 1)
    actual = run_minigrad(lambda p: Adam(p, **config), init, grads)
    assert_trajectories_close(actual, reference_adam(init, grads, **config))


@QUICK
@given(configs, st.integers(0, 2**16))
def test_adamw_matches_reference_step_by_step(config, seed):
    init, grads = initial_weights(seed=seed), gradient_sequence(seed=seed + 1)
    actual = run_minigrad(lambda p: AdamW(p, **config), init, grads)
    expected = reference_adam(init, grads, decoupled=True, **config)
    assert_trajectories_close(actual, expected)


@pytest.mark.parity
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("config", [
    dict(), dict(lr=0.05, amsgrad=True), dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.02, betas=(0.5, 0.9), eps=1e-4, weight_decay=0.05, amsgrad=True),
])
def test_adam_and_adamw_match_torch(name, config):
    torch = pytest.importorskip("torch")
    init, grads = initial_weights(), gradient_sequence()
    expected = run_torch(lambda p: getattr(torch.optim, name)(p, **config), init, grads)
    ours = {"Adam": Adam, "AdamW": AdamW}[name]
    assert_trajectories_close(run_minigrad(lambda p: ours(p, **config), init, grads), expected)


def test_adamw_default_weight_decay_is_pytorchs():
    opt = AdamW([mg.tensor(np.ones(2), requires_grad=True)])
    assert opt.param_groups[0]["weight_decay"] == 0.01
    assert Adam([mg.tensor(np.ones(2), requires_grad=True)]).param_groups[0]["weight_decay"] == 0


def test_adam_and_adamw_coincide_without_weight_decay_and_differ_with_it():
    init, grads = initial_weights(), gradient_sequence()
    plain = run_minigrad(lambda p: Adam(p, lr=0.01), init, grads)
    assert_trajectories_close(run_minigrad(lambda p: AdamW(p, lr=0.01, weight_decay=0),
                                           init, grads), plain, rtol=0, atol=0)
    coupled = run_minigrad(lambda p: Adam(p, lr=0.01, weight_decay=0.1), init, grads)
    decoupled = run_minigrad(lambda p: AdamW(p, lr=0.01, weight_decay=0.1), init, grads)
    assert not np.allclose(coupled[-1], decoupled[-1])


def test_float32_stays_float32():
    init, grads = initial_weights(dtype=np.float32), gradient_sequence(dtype=np.float32)
    for cls, decoupled in ((Adam, False), (AdamW, True)):
        actual = run_minigrad(lambda p, cls=cls: cls(p, lr=0.01, amsgrad=True), init, grads)
        assert all(a.dtype == np.float32 for a in actual)
        wd = 0.01 if decoupled else 0.0
        expected = reference_adam(init, grads, lr=0.01, amsgrad=True, weight_decay=wd,
                                  decoupled=decoupled)
        assert_trajectories_close(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("betas, message", [
    ((1.0, 0.999), r"Adam: Invalid beta parameter at index 0: 1.0; expected 0.0 <= beta1 < 1.0"),
    ((0.9, -0.1), r"Invalid beta parameter at index 1: -0.1"),
    ((0.9,), "betas must be a pair"),
])
def test_bad_betas_raise(betas, message):
    with pytest.raises(ValueError, match=message):
        Adam([mg.tensor(np.ones(2), requires_grad=True)], betas=betas)


@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_converges_on_quadratic(cls):
    w = minimise(lambda p: cls(p, lr=0.05, weight_decay=0.0), quadratic_loss, np.zeros(3), 1500)
    np.testing.assert_allclose(w, QUADRATIC_MIN, atol=1e-4)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_converges_on_rosenbrock(amsgrad):
    w = minimise(lambda p: Adam(p, lr=0.02, amsgrad=amsgrad), rosenbrock_loss, [-1.5, 2.0],
                 4000)
    np.testing.assert_allclose(w, [1.0, 1.0], atol=2e-3)


def test_adamw_converges_near_the_rosenbrock_minimum():
    # decoupled decay pulls the fixed point slightly towards 0: a little off (1, 1)
    w = minimise(lambda p: AdamW(p, lr=0.02, weight_decay=1e-3), rosenbrock_loss, [-1.5, 2.0],
                 4000)
    np.testing.assert_allclose(w, [1.0, 1.0], atol=5e-3)
    assert np.all(w < 1.0)
