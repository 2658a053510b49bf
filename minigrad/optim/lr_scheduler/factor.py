"""Schedules that scale base_lr by a factor of the step: lr(t) = base_lr * factor(t).

Each class writes its factor once, in `factor_at`; the chained step and the closed
form come from LRScheduler (base.py). LambdaLR and MultiplicativeLR are the two
exceptions, as in PyTorch: LambdaLR sets its closed form on every step (it does
not chain), and MultiplicativeLR is defined by its step, lr <- lr * lambda(t).
"""

from bisect import bisect_right

from minigrad.optim.lr_scheduler.base import LRScheduler, _check_optimizer

__all__ = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
           "ExponentialLR", "PolynomialLR", "InverseTimeLR"]


def _lambdas_per_group(owner, optimizer, lr_lambda):
    lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else \
        [lr_lambda] * len(optimizer.param_groups)
    if len(lambdas) != len(optimizer.param_groups):
        raise ValueError(f"{owner}: expected {len(optimizer.param_groups)} lr_lambdas (one "
                         f"per param group), got {len(lambdas)}")
    for f in lambdas:
        if not callable(f):
            raise TypeError(f"{owner}: lr_lambda must be callable, got {type(f).__name__}")
    return lambdas


class LambdaLR(LRScheduler):
    """lr_t = base_lr * lr_lambda(t). One function, or a list with one per group.

    Not chained: every step sets the closed form, overriding what another
    scheduler on the same optimiser wrote (PyTorch's LambdaLR).
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer("LambdaLR", optimizer)
        self.lr_lambdas = _lambdas_per_group("LambdaLR", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def factor_at(self, t, group_index):
        return self.lr_lambdas[group_index](t)

    def get_lr(self):
        return self._get_closed_form_lr()


class MultiplicativeLR(LRScheduler):
    """lr_t = lr_{t-1} * lr_lambda(t) for t >= 1.

    The schedule is its step; it has no closed form to jump with, so step(epoch)
    also multiplies the current lr (PyTorch's MultiplicativeLR).
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer("MultiplicativeLR", optimizer)
        self.lr_lambdas = _lambdas_per_group("MultiplicativeLR", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def _chained_lr(self, lr, base, group_index):
        if self._is_initial:
            return lr
        return lr * self.lr_lambdas[group_index](self.last_epoch)


class StepLR(LRScheduler):
    """lr_t = base_lr * gamma ** (t // step_size): decay by gamma every step_size steps."""

    _steps_when_resuming = True

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if int(step_size) < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size}")
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def factor_at(self, t, group_index):
        return self.gamma ** (t // self.step_size)


class MultiStepLR(LRScheduler):
    """lr_t = base_lr * gamma ** (number of milestones <= t); a repeated milestone counts twice."""

    _steps_when_resuming = True

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def factor_at(self, t, group_index):
        return self.gamma ** bisect_right(self.milestones, t)


class ConstantLR(LRScheduler):
    """lr_t = base_lr * factor for t < total_iters, then base_lr."""

    _steps_when_resuming = True

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if not 0 <= factor <= 1:
            raise ValueError(f"ConstantLR: factor must be in [0, 1], got {factor}")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def factor_at(self, t, group_index):
        return self.factor if t < self.total_iters else 1.0


class LinearLR(LRScheduler):
    """Linear warm-up (or decay) of the factor over total_iters steps:

        lr_t = base_lr * (s + (e - s) * min(t, T) / T),   s = start_factor, e = end_factor

    Warm-up (Goyal et al. 2017, arXiv:1706.02677): start small so the first large
    gradients of a fresh network do not throw it far from its initialisation.
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def factor_at(self, t, group_index):
        progress = min(t, self.total_iters) / self.total_iters
        return self.start_factor + (self.end_factor - self.start_factor) * progress


class ExponentialLR(LRScheduler):
    """lr_t = base_lr * gamma ** t."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def factor_at(self, t, group_index):
        return self.gamma ** t


class PolynomialLR(LRScheduler):
    """lr_t = base_lr * (1 - min(t, T) / T) ** power, T = total_iters."""

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def factor_at(self, t, group_index):
        return (1.0 - min(t, self.total_iters) / self.total_iters) ** self.power


class InverseTimeLR(LRScheduler):
    """lr_t = base_lr * tau / max(t, tau): constant for tau steps, then decaying as 1/t.

    The 1/t decay satisfies the Robbins-Monro conditions (sum lr_t = inf, sum
    lr_t^2 < inf) under which SGD converges (Robbins & Monro 1951; Goodfellow et al.
    2016, sec. 8.3.1); holding it for tau steps avoids the huge early steps.
    """

    def __init__(self, optimizer, tau, last_epoch=-1):
        if not tau > 0:
            raise ValueError(f"InverseTimeLR: tau must be positive, got {tau}")
        self.tau = tau
        super().__init__(optimizer, last_epoch)

    def factor_at(self, t, group_index):
        return self.tau / max(t, self.tau)
