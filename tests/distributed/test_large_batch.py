import numpy as np
import pytest

import minigrad as mg
from minigrad.distributed import scale_lr, warmup_scheduler
from minigrad.optim import SGD
from minigrad.optim.lr_scheduler import CosineAnnealingLR


def _optimizer(lr):
    return SGD([mg.tensor(np.zeros(2), requires_grad=True)], lr=lr)


def test_linear_scaling_rule():
    # Goyal et al.: lr 0.1 for batch 256, so 8 GPUs x 32 = 256 keep 0.1, 8 x 256 use 0.8
    assert scale_lr(0.1, 256) == pytest.approx(0.1)
    assert scale_lr(0.1, 8 * 256) == pytest.approx(0.8)
    assert scale_lr(0.05, 2 * 64, base_batch_size=64) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="batch sizes must be positive, got global 0"):
        scale_lr(0.1, 0)


def test_warmup_climbs_linearly_from_lr_over_k_to_lr_then_stays():
    k, steps, target = 8, 5, 0.8
    optimizer = _optimizer(target)
    scheduler = warmup_scheduler(optimizer, warmup_steps=steps, scale=k)
    seen = []
    for _ in range(8):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    # the formula of the paper: constant increments from target/k to target in T steps
    expected = [target * (1 / k + (1 - 1 / k) * min(t, steps) / steps) for t in range(8)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12)


def test_warmup_hands_over_to_the_following_schedule():
    optimizer = _optimizer(1.0)
    cosine = CosineAnnealingLR(optimizer, T_max=4)
    scheduler = warmup_scheduler(optimizer, warmup_steps=2, scale=4, after=cosine)
    seen = []
    for _ in range(7):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    cosine_values = [0.5 * (1 + np.cos(np.pi * t / 4)) for t in range(5)]
    np.testing.assert_allclose(seen, [0.25, 0.625] + cosine_values, rtol=1e-12, atol=1e-15)


def test_warmup_arguments_are_checked():
    with pytest.raises(ValueError, match="warmup_steps must be >= 1, got 0"):
        warmup_scheduler(_optimizer(0.1), 0, 2)
    with pytest.raises(ValueError, match=r"scale \(global / base batch\) must be >= 1, got 0.5"):
        warmup_scheduler(_optimizer(0.1), 3, 0.5)
