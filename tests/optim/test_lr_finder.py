"""The LR range test on least squares, where gradient descent provably diverges
for lr > 2 / lambda_max(Hessian); restoration of the model; the plot helper."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.optim import SGD, lr_range_test, plot_lr_range_test
from minigrad.optim.lr_finder import exponential_lrs, smooth_losses, suggest_lr


def least_squares(seed=0, n=64, d=5):
    generator = np.random.default_rng(seed)
    x = generator.normal(size=(n, d)) * np.array([3.0, 1.0, 1.0, 0.5, 0.2])
    y = x @ generator.normal(size=d) + 0.1 * generator.normal(size=n)
    hessian = 2 * x.T @ x / n  # of mean((x w - y)^2)
    return x, y, np.linalg.eigvalsh(hessian).max()


def regression_setup(momentum=0.0):
    x, y, lam_max = least_squares()
    w = mg.tensor(np.zeros(x.shape[1]), requires_grad=True)
    optimizer = SGD([w], lr=0.123, momentum=momentum)
    xt, yt = mg.tensor(x), mg.tensor(y)

    def closure():
        loss = ((mg.matmul(xt, w) - yt) ** 2).mean()
        loss.backward()
        return loss

    return w, optimizer, closure, lam_max


def test_exponential_sweep_endpoints_and_ratio():
    lrs = exponential_lrs(1e-6, 1.0, 7)
    np.testing.assert_allclose(lrs, [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0], rtol=1e-12)


def test_smoothing_is_bias_corrected_mean():
    assert smooth_losses([3.0, 3.0, 3.0]) == pytest.approx([3.0, 3.0, 3.0])
    # beta = 0.5 by hand: a = [0.5, 1.25], s = a / (1 - 0.5^k) = [1, 5/3]
    assert smooth_losses([1.0, 2.0], beta=0.5) == pytest.approx([1.0, 5 / 3])


def test_range_test_stops_past_the_divergence_lr_and_suggests_below_it():
    w, optimizer, closure, lam_max = regression_setup()
    result = lr_range_test(optimizer=optimizer, closure=closure, start_lr=1e-5, end_lr=10.0,
                           num_steps=200)
    divergence_lr = 2 / lam_max
    assert len(result.lrs) == len(result.losses) < 200       # stopped early
    assert result.lrs[-1] > divergence_lr                     # ... only after diverging
    assert 1e-4 < result.suggested_lr < divergence_lr
    # the suggestion really trains: 100 plain GD steps at it reduce the loss a lot
    optimizer.param_groups[0]["lr"] = result.suggested_lr
    first = float(closure())
    for _ in range(100):
        optimizer.zero_grad()
        loss = optimizer.step(closure)
    assert float(loss) < 0.1 * first


def test_range_test_restores_weights_state_and_lr():
    w, optimizer, closure, _ = regression_setup(momentum=0.9)
    w.data[...] = np.arange(5.0)
    closure()
    optimizer.step()  # creates a momentum buffer
    saved_w = w.numpy().copy()
    saved_buffer = optimizer.state[w]["momentum_buffer"].copy()
    saved_grad = w.grad
    lr_range_test(params=[w], optimizer=optimizer, closure=closure, num_steps=50)
    np.testing.assert_array_equal(w.numpy(), saved_w)
    np.testing.assert_array_equal(optimizer.state[w]["momentum_buffer"], saved_buffer)
    assert optimizer.param_groups[0]["lr"] == 0.123
    assert w.grad is saved_grad


def test_range_test_restores_extra_tensors_given_as_params():
    w, optimizer, closure, _ = regression_setup()
    buffer = mg.tensor(np.ones(3))

    def closure_touching_a_buffer():
        buffer.data += 1.0  # like BatchNorm's running statistics
        return closure()

    lr_range_test(params=[w, buffer], optimizer=optimizer, closure=closure_touching_a_buffer,
                  num_steps=20)
    np.testing.assert_array_equal(buffer.numpy(), np.ones(3))
    np.testing.assert_array_equal(w.numpy(), np.zeros(5))


def test_step_fn_form_gets_the_exponential_lrs_and_stops_on_nan():
    seen = []

    def step_fn(lr):
        seen.append(lr)
        return math.nan if lr > 1e-2 else 1.0 / (1.0 + lr)

    result = lr_range_test(step_fn, start_lr=1e-6, end_lr=1.0, num_steps=61)
    expected = exponential_lrs(1e-6, 1.0, 61)
    assert seen == expected[:len(seen)]
    assert seen[-1] > 1e-2 and seen[-2] <= 1e-2  # stopped at the first nan
    assert math.isnan(result.losses[-1])
    assert result.suggested_lr <= 1e-2


def test_suggest_lr_picks_the_steepest_drop():
    lrs = exponential_lrs(1e-4, 1.0, 41)
    # a sigmoid-shaped drop centred at lr = 1e-2 in log space
    losses = [1.0 / (1.0 + math.exp(4 * (math.log10(lr) + 2))) for lr in lrs]
    assert suggest_lr(lrs, losses, beta=0.0, skip_start=0, skip_end=0) == pytest.approx(
        1e-2, rel=1e-9)


def test_plot_helper_draws_without_a_display(tmp_path):
    w, optimizer, closure, _ = regression_setup()
    result = lr_range_test(optimizer=optimizer, closure=closure, num_steps=60)
    ax = plot_lr_range_test(result)
    assert ax.get_xscale() == "log"
    assert len(ax.lines) == 3  # raw, smoothed, suggestion
    ax.figure.savefig(tmp_path / "lr_range.png")
    assert (tmp_path / "lr_range.png").stat().st_size > 1000


@pytest.mark.parametrize("kwargs, message", [
    (dict(start_lr=1.0, end_lr=0.1), "need 0 < start_lr < end_lr"),
    (dict(num_steps=1), "num_steps must be >= 2"),
    (dict(), "give step_fn, or both optimizer and closure"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        lr_range_test(**kwargs)
