"""Whole training steps in reference mode: the CNN and the ResNet of
minigrad.train.models give the same losses, gradients, updated weights and running
statistics as in fast mode (float64), and a small ResNet learns the embedded digits
with every kernel replaced by its twin."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.data import load_digits
from minigrad.optim import SGD
from minigrad.train.models import cnn, resnet

TIGHT = dict(rtol=1e-9, atol=1e-11)


@pytest.fixture(scope="module")
def digits():
    splits = load_digits()
    return splits.x_train[:64].astype(np.float64), splits.y_train[:64]


def train_steps(build, x, y, reference, steps=2, lr=0.05, dtype=np.float64):
    """Losses, gradients per step, and the final state_dict; the second step's SGD
    update goes through the fused momentum step (or its twin)."""
    mg.manual_seed(0)
    model = build().to(dtype=dtype)
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    losses, grads = [], []
    with mg.reference_mode(reference):
        for _ in range(steps):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(mg.tensor(x.astype(dtype))), y)
            loss.backward()
            losses.append(loss.item())
            grads.append([p.grad.numpy().copy() for p in model.parameters()])
            optimizer.step()
    return losses, grads, model.state_dict()


@pytest.mark.parametrize("build", [
    lambda: cnn((1, 8, 8), 10),
    lambda: resnet((1, 8, 8), 10),
], ids=["cnn", "resnet"])
def test_a_training_step_is_the_same_in_reference_mode(digits, build):
    x, y = digits[0][:16], digits[1][:16]
    fast_losses, fast_grads, fast_state = train_steps(build, x, y, reference=False)
    twin_losses, twin_grads, twin_state = train_steps(build, x, y, reference=True)
    np.testing.assert_allclose(twin_losses, fast_losses, **TIGHT)
    for fast_step, twin_step in zip(fast_grads, twin_grads):
        for fast_grad, twin_grad in zip(fast_step, twin_step):
            np.testing.assert_allclose(twin_grad, fast_grad, **TIGHT)
    assert fast_state.keys() == twin_state.keys()
    for name in fast_state:  # weights after two updates, and batch norm's running stats
        np.testing.assert_allclose(twin_state[name], fast_state[name], **TIGHT, err_msg=name)


def test_float32_training_runs_in_reference_mode_too(digits):
    """The twins keep float32 float32 (a different summation order: looser tolerance)."""
    x, y = digits[0][:8], digits[1][:8]
    build = lambda: resnet((1, 8, 8), 10, widths=(4, 8))  # noqa: E731
    fast_losses, fast_grads, _ = train_steps(build, x, y, False, dtype=np.float32)
    twin_losses, twin_grads, _ = train_steps(build, x, y, True, dtype=np.float32)
    np.testing.assert_allclose(twin_losses, fast_losses, rtol=1e-5)
    for fast_grad, twin_grad in zip(fast_grads[-1], twin_grads[-1]):
        assert twin_grad.dtype == np.float32
        np.testing.assert_allclose(twin_grad, fast_grad, rtol=1e-3, atol=1e-5)


def test_a_small_resnet_learns_digits_in_reference_mode(digits):
    x, y = digits
    losses, _, _ = train_steps(lambda: resnet((1, 8, 8), 10, widths=(4, 8)), x, y,
                               reference=True, steps=12, lr=0.2)
    assert all(later < earlier for earlier, later in zip(losses, losses[1:])), losses
    assert losses[-1] < 0.75 * losses[0], losses
