"""Annealed gradient noise: the variance schedule eta / (1 + t)^gamma of
Neelakantan et al. 2015, measured on many samples, and its plumbing."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.optim import SGD, GradientNoise, add_gradient_noise_, annealed_noise_std


def test_schedule_closed_form():
    for t in (0, 1, 10, 1000):
        assert annealed_noise_std(t, eta=0.3, gamma=0.55) ** 2 == pytest.approx(
            0.3 / (1 + t) ** 0.55, rel=1e-14)


def test_wrapper_adds_noise_of_the_annealed_variance():
    """Zero gradient, lr = 1 SGD: w_t - w_{t-1} = -noise_t, so its sample variance
    over 20000 coordinates must be eta / (1 + t)^gamma (within sampling error)."""
    mg.manual_seed(0)
    w = mg.tensor(np.zeros(20000), requires_grad=True)
    optimizer = GradientNoise(SGD([w], lr=1.0), eta=1.0, gamma=0.55)
    previous = w.numpy().copy()
    for t in range(4):
        w.grad = mg.tensor(np.zeros(20000))
        optimizer.step()
        step = w.numpy() - previous
        previous = w.numpy().copy()
        expected = 1.0 / (1 + t) ** 0.55
        # std error of a sample variance from n normals: var * sqrt(2 / n) ~ 1% here
        assert step.var() == pytest.approx(expected, rel=0.05)
        assert abs(step.mean()) < 5 * np.sqrt(expected / 20000)


def test_noise_is_repeatable_from_the_global_seed_and_keeps_dtype():
    results = []
    for _ in range(2):
        mg.manual_seed(123)
        p = mg.tensor(np.zeros(5, dtype=np.float32), requires_grad=True)
        p.grad = mg.tensor(np.zeros(5, dtype=np.float32))
        add_gradient_noise_([p], std=0.1)
        results.append(p.grad.numpy().copy())
    assert results[0].dtype == np.float32
    np.testing.assert_array_equal(results[0], results[1])
    assert np.all(results[0] != 0)


def test_wrapper_skips_missing_grads_and_forwards_attributes():
    a = mg.tensor(np.ones(3), requires_grad=True)
    b = mg.tensor(np.ones(3), requires_grad=True)
    optimizer = GradientNoise(SGD([a, b], lr=0.1), eta=0.3)
    a.grad = mg.tensor(np.zeros(3))
    optimizer.step()
    np.testing.assert_array_equal(b.numpy(), np.ones(3))
    assert not np.array_equal(a.numpy(), np.ones(3))
    assert optimizer.param_groups[0]["lr"] == 0.1
    optimizer.zero_grad()
    assert a.grad is None


def test_wrapper_state_dict_keeps_the_step_counter():
    a = mg.tensor(np.ones(3), requires_grad=True)
    optimizer = GradientNoise(SGD([a], lr=0.1, momentum=0.9))
    for _ in range(3):
        a.grad = mg.tensor(np.ones(3))
        optimizer.step()
    state = optimizer.state_dict()
    assert state["noise_step"] == 3
    other = GradientNoise(SGD([mg.tensor(np.ones(3), requires_grad=True)], lr=0.1,
                              momentum=0.9))
    other.load_state_dict(state)
    assert other.noise_step == 3
    assert "momentum_buffer" in next(iter(other.state.values()))


def test_bad_eta_raises():
    with pytest.raises(ValueError, match="Invalid eta value: -1"):
        GradientNoise(SGD([mg.tensor(np.ones(2), requires_grad=True)], lr=0.1), eta=-1)


def test_a_refused_state_dict_leaves_the_step_counter_alone():
    a = mg.tensor(np.ones(3), requires_grad=True)
    optimizer = GradientNoise(SGD([a], lr=0.1, momentum=0.9))
    a.grad = mg.tensor(np.ones(3))
    optimizer.step()
    state = optimizer.state_dict()
    state["noise_step"] = 40
    state["state"][0]["momentum_buffer"] = np.ones(5)  # wrong shape
    with pytest.raises(mg.StateDictError, match="momentum_buffer"):
        optimizer.load_state_dict(state)
    assert optimizer.noise_step == 1
