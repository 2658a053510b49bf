"""Learning-rate schedules with PyTorch's semantics.

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = CosineAnnealingLR(opt, T_max=100)    # the constructor already sets lr(0)
    for epoch in range(100):
        train_one_epoch(opt)                     # opt.step() inside
        sched.step()                             # then lr(epoch + 1)

A scheduler counts its steps in `last_epoch` (-1 before construction, 0 after it)
and writes the learning rate of every param group (`group["lr"]`); `get_last_lr()`
returns what it wrote last. `base_lrs` are the groups' "initial_lr" (the lr when
the first scheduler was attached).

Chaining. Most schedules are written, as in PyTorch, in *recursive* form: each
step multiplies the group's current lr by the ratio f(t) / f(t - 1) of the
schedule's factor, instead of setting base_lr * f(t). Two schedulers stepped on
the same optimiser therefore compose: their factors multiply. Every scheduler
also has `_get_closed_form_lr()`, base_lr * f(t), which the tests compare with.

`state_dict()` holds plain numbers and lists (JSON-able); functions such as
LambdaLR's lambdas are not saved, so rebuild the scheduler with them and load.
"""

import copy
import math
from bisect import bisect_right

__all__ = [
    "LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
    "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts", "InverseTimeLR",
    "SequentialLR", "ChainedScheduler", "CyclicLR", "OneCycleLR", "ReduceLROnPlateau",
]


def _check_optimizer(owner, optimizer):
    if not hasattr(optimizer, "param_groups"):
        raise TypeError(f"{owner}: expected an optimiser (with param_groups), got "
                        f"{type(optimizer).__name__}")


def _per_group(owner, name, optimizer, value):
    """A float for every param group, from one float or a list of them."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"{owner}: expected {groups} values of {name} (one per param "
                             f"group), got {len(value)}")
        return [float(v) for v in value]
    return [float(value)] * groups


def _is_code(value):
    """Functions cannot go into a JSON/npz checkpoint; the user re-supplies them."""
    if isinstance(value, (list, tuple)):
        return any(callable(v) for v in value)
    return callable(value)


class LRScheduler:
    """Base class: subclasses implement get_lr() (recursive) and _get_closed_form_lr()."""

    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        for index, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"{type(self).__name__}: resuming with last_epoch={last_epoch} "
                               f"needs 'initial_lr' in param group {index}; load the "
                               "optimiser's state_dict first")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        """The constructor's step: last_epoch -1 -> 0 and lr(0) written to the groups."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def get_lr(self):
        """The lrs for step `last_epoch`, computed from the groups' current lrs."""
        raise NotImplementedError

    def get_last_lr(self):
        """The lrs this scheduler wrote last (one per param group)."""
        return list(self._last_lr)

    def step(self, epoch=None):
        """Advance one step (or jump to `epoch`, using the closed form) and write the lrs."""
        self._step_count += 1
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._get_closed_form_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = float(lr)
        self._last_lr = self._current_lrs()

    def _get_closed_form_lr(self):
        return self.get_lr()

    def state_dict(self):
        """Every attribute except the optimiser and functions (deep copies of plain data)."""
        return {key: copy.deepcopy(value) for key, value in self.__dict__.items()
                if key != "optimizer" and not _is_code(value)}

    def load_state_dict(self, state_dict):
        self.__dict__.update(copy.deepcopy(state_dict))


# ---------------------------------------------------------------- factor schedules
class LambdaLR(LRScheduler):
    """lr_t = base_lr * lr_lambda(t). One function, or a list with one per group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer("LambdaLR", optimizer)
        self.lr_lambdas = _lambdas_per_group("LambdaLR", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(LRScheduler):
    """lr_t = lr_{t-1} * lr_lambda(t) for t >= 1."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer("MultiplicativeLR", optimizer)
        self.lr_lambdas = _lambdas_per_group("MultiplicativeLR", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [group["lr"] * f(self.last_epoch)
                for f, group in zip(self.lr_lambdas, self.optimizer.param_groups)]


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


class StepLR(LRScheduler):
    """lr_t = base_lr * gamma ** (t // step_size): decay by gamma every step_size steps."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if int(step_size) < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size}")
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr_t = base_lr * gamma ** (number of milestones <= t)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = sorted(int(m) for m in milestones)  # repeats decay repeatedly
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        hits = self.milestones.count(self.last_epoch)
        if hits == 0:
            return self._current_lrs()
        return [lr * self.gamma ** hits for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        passed = bisect_right(self.milestones, self.last_epoch)
        return [base * self.gamma ** passed for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """lr_t = base_lr * factor for t < total_iters, then base_lr."""

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if not 0 <= factor <= 1:
            raise ValueError(f"ConstantLR: factor must be in [0, 1], got {factor}")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr / self.factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        scale = self.factor if self.last_epoch < self.total_iters else 1.0
        return [base * scale for base in self.base_lrs]


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

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        # f(t) / f(t-1) with f(t) = s + (e - s) t / T, written with a common factor T
        delta = self.end_factor - self.start_factor
        ratio = 1.0 + delta / (self.total_iters * self.start_factor
                               + (self.last_epoch - 1) * delta)
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        progress = min(self.total_iters, self.last_epoch) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base * factor for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr_t = base_lr * gamma ** t."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """lr_t = base_lr * (1 - min(t, T) / T) ** power."""

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        t, T = self.last_epoch, self.total_iters
        ratio = ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** self.power
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        remaining = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * remaining ** self.power for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2

    (Loshchilov & Hutter 2016, SGDR, arXiv:1608.03983, without restarts.) Past
    T_max the recursive form keeps following the cosine back up, as PyTorch does.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, low = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and t > 0:  # resumed: no previous value to build on
            return self._get_closed_form_lr()
        if (t - 1 - T) % (2 * T) == 0:  # at the bottom f(t-1) = 0: the ratio is 0/0
            return [lr + (base - low) * (1 - math.cos(math.pi / T)) / 2
                    for lr, base in zip(self._current_lrs(), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [low + ratio * (lr - low) for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: cosine annealing restarted after T_0, T_0 * T_mult, T_0 * T_mult^2, ... steps.

        lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2

    T_i is the length of the current run and T_cur the steps since its restart
    (Loshchilov & Hutter 2016, arXiv:1608.03983). `step(epoch)` also takes a
    fractional epoch, e.g. `step(epoch + batch / batches)` once per batch.
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: T_0 must be a positive integer, "
                             f"got {T_0!r}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"CosineAnnealingWarmRestarts: T_mult must be an integer >= 1, "
                             f"got {T_mult!r}")
        self.T_0, self.T_i, self.T_mult = T_0, T_0, T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        cosine = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]

    def _locate(self, epoch):
        """Set T_i and T_cur for a (possibly fractional) epoch by walking the restarts."""
        if epoch < 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: epoch must be >= 0, got {epoch}")
        start, self.T_i = 0, self.T_0
        while epoch >= start + self.T_i:
            start += self.T_i
            self.T_i *= self.T_mult
        self.T_cur = epoch - start

    def step(self, epoch=None):
        self._step_count += 1
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:  # restart, and the next run is T_mult times longer
                self.T_cur -= self.T_i
                self.T_i *= self.T_mult
        else:
            self._locate(epoch)
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = float(lr)
        self._last_lr = self._current_lrs()

    def _get_closed_form_lr(self):
        self._locate(self.last_epoch)
        return self.get_lr()


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

    def get_lr(self):
        t = self.last_epoch
        if self._is_initial or t <= self.tau:
            return self._current_lrs()
        ratio = max(t - 1, self.tau) / t
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base * self.tau / max(self.last_epoch, self.tau) for base in self.base_lrs]


# ---------------------------------------------------------------- combinations
def _check_children(owner, optimizer, schedulers):
    if len(schedulers) < 1:
        raise ValueError(f"{owner}: expected at least one scheduler, got none")
    for index, scheduler in enumerate(schedulers):
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{owner}: scheduler {index} is ReduceLROnPlateau, whose step() "
                             "needs the metric; it cannot be combined this way")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"{owner}: scheduler {index} ({type(scheduler).__name__}) "
                             "belongs to a different optimiser")


class _CombinedScheduler(LRScheduler):
    """Saves and loads the state of the schedulers it drives along with its own."""

    def state_dict(self):
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        children = state_dict.pop("_schedulers")
        self.__dict__.update(copy.deepcopy(state_dict))
        for scheduler, child in zip(self._schedulers, children):
            scheduler.load_state_dict(child)


class SequentialLR(_CombinedScheduler):
    """Run schedulers one after another: schedulers[i] from milestones[i-1] on.

        warmup = LinearLR(opt, start_factor=0.01, total_iters=5)
        cosine = CosineAnnealingLR(opt, T_max=95)
        sched = SequentialLR(opt, [warmup, cosine], milestones=[5])

    At a milestone the next scheduler restarts at its own step 0 (closed form).
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        # no super().__init__: the children already set initial_lr and stepped once
        _check_optimizer("SequentialLR", optimizer)
        _check_children("SequentialLR", optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: {len(schedulers)} schedulers need "
                             f"{len(schedulers) - 1} milestones, got {len(milestones)}")
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # the children's constructors each stepped once: undo that, then start the first
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in self._schedulers:
            scheduler.last_epoch -= 1
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self):
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()



class ChainedScheduler(_CombinedScheduler):
    """Step several schedulers together, every step; their factors multiply."""

    def __init__(self, schedulers, optimizer=None):  # no super().__init__: nothing to step
        optimizer = schedulers[0].optimizer if optimizer is None and schedulers else optimizer
        _check_children("ChainedScheduler", optimizer, schedulers)
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def step(self):
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


# ---------------------------------------------------------------- cyclic policies
def _set_momentum(optimizer, use_beta1, values):
    """Write momentum (SGD, RMSprop) or beta1 (Adam) into every group."""
    for group, value in zip(optimizer.param_groups, values):
        if use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value


def _momentum_key(owner, optimizer):
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(f"{owner}: cycle_momentum=True needs an optimiser with momentum or "
                         "betas; pass cycle_momentum=False")
    return "betas" in optimizer.defaults


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith 2017, arXiv:1506.01186), stepped every batch.

    With cycle = floor(1 + t / (up + down)) and x = position in the cycle in [0, 1),
    the lr rises linearly from base_lr to max_lr over step_size_up steps, then falls
    back over step_size_down, with the amplitude multiplied by

        triangular:   1                 triangular2:  1 / 2^(cycle - 1)
        exp_range:    gamma^t           scale_fn:     your function (of cycle or t)

    With cycle_momentum, momentum (or Adam's beta1) moves the opposite way, between
    max_momentum and base_momentum.
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        _check_optimizer("CyclicLR", optimizer)
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"CyclicLR: unknown mode {mode!r} (expected 'triangular', "
                             "'triangular2' or 'exp_range') and no scale_fn given")
        base_lrs = _per_group("CyclicLR", "base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for group, lr in zip(optimizer.param_groups, base_lrs):
                group["lr"] = lr
        self.max_lrs = _per_group("CyclicLR", "max_lr", optimizer, max_lr)
        step_size_up = float(step_size_up)
        step_size_down = step_size_up if step_size_down is None else float(step_size_down)
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        self.mode = mode
        self.gamma = gamma
        self.scale_fn_custom = scale_fn
        self.scale_mode = {"triangular": "cycle", "triangular2": "cycle",
                           "exp_range": "iterations"}.get(mode, scale_mode) \
            if scale_fn is None else scale_mode
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _momentum_key("CyclicLR", optimizer)
            self.base_momentums = _per_group("CyclicLR", "base_momentum", optimizer,
                                             base_momentum)
            self.max_momentums = _per_group("CyclicLR", "max_momentum", optimizer,
                                            max_momentum)
            if last_epoch == -1:
                _set_momentum(optimizer, self.use_beta1, self.max_momentums)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x):
        if self.scale_fn_custom is not None:
            return self.scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / 2.0 ** (x - 1)
        return self.gamma ** x

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            rise = x / self.step_ratio
        else:
            rise = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (top - base) * rise * scale
               for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            momentums = [top - (top - base) * rise * scale
                         for base, top in zip(self.base_momentums, self.max_momentums)]
            _set_momentum(self.optimizer, self.use_beta1, momentums)
        return lrs


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin 2017, arXiv:1708.07120), stepped every batch.

    The lr goes from max_lr / div_factor up to max_lr over the first pct_start of
    total_steps, then anneals (cosine or linear) down to initial_lr / final_div_factor;
    momentum does the opposite (max_momentum -> base_momentum -> max_momentum).
    three_phase=True comes back down to initial_lr symmetrically before the final
    annealing. Phase boundaries sit at step pct_start * total_steps - 1 (PyTorch's).
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        _check_optimizer("OneCycleLR", optimizer)
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        if not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        self._phases = _one_cycle_phases(self.total_steps, float(pct_start), three_phase)
        max_lrs = _per_group("OneCycleLR", "max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _momentum_key("OneCycleLR", optimizer)
            tops = _per_group("OneCycleLR", "max_momentum", optimizer, max_momentum)
            bottoms = _per_group("OneCycleLR", "base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                _set_momentum(optimizer, self.use_beta1, tops)
                for group, top, bottom in zip(optimizer.param_groups, tops, bottoms):
                    group["max_momentum"] = top
                    group["base_momentum"] = bottom
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return start + (end - start) * pct

    def get_lr(self):
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {t} times but total_steps is "
                             f"{self.total_steps}")
        lrs, momentums = [], []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for index, phase in enumerate(self._phases):
                end_step = phase["end_step"]
                if t <= end_step or index == len(self._phases) - 1:
                    pct = (t - start_step) / (end_step - start_step)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]],
                                            pct))
                    if self.cycle_momentum:
                        momentums.append(self._anneal(group[phase["start_momentum"]],
                                                      group[phase["end_momentum"]], pct))
                    break
                start_step = end_step
        if self.cycle_momentum:
            _set_momentum(self.optimizer, self.use_beta1, momentums)
        return lrs


def _total_steps(total_steps, epochs, steps_per_epoch):
    if total_steps is not None:
        if not isinstance(total_steps, int) or total_steps <= 0:
            raise ValueError(f"OneCycleLR: total_steps must be a positive integer, got "
                             f"{total_steps!r}")
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ValueError("OneCycleLR: give total_steps, or both epochs and steps_per_epoch")
    for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"OneCycleLR: {name} must be a positive integer, got {value!r}")
    return epochs * steps_per_epoch


def _one_cycle_phases(total_steps, pct_start, three_phase):
    """Each phase: its last step and which group entries it anneals between."""
    def phase(end_step, lr_from, lr_to, momentum_from, momentum_to):
        return {"end_step": end_step, "start_lr": lr_from, "end_lr": lr_to,
                "start_momentum": momentum_from, "end_momentum": momentum_to}

    up = phase(pct_start * total_steps - 1, "initial_lr", "max_lr", "max_momentum",
               "base_momentum")
    if three_phase:
        return [up,
                phase(2 * pct_start * total_steps - 2, "max_lr", "initial_lr",
                      "base_momentum", "max_momentum"),
                phase(total_steps - 1, "initial_lr", "min_lr", "max_momentum",
                      "max_momentum")]
    return [up, phase(total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]


# ---------------------------------------------------------------- metric-driven
class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by `factor` when a metric has stopped improving.

        sched = ReduceLROnPlateau(opt, mode="min", factor=0.1, patience=10)
        sched.step(val_loss)                    # once per epoch, after validation

    "Improving" means, for mode="min" (mode="max" mirrors it):
        threshold_mode="rel":  metric < best * (1 - threshold)
        threshold_mode="abs":  metric < best - threshold
    After more than `patience` epochs without improvement each group's lr becomes
    max(lr * factor, min_lr) (skipped when that changes it by eps or less), and
    `cooldown` epochs follow during which bad epochs are not counted.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        # no super().__init__: there is no schedule to take an initial step of
        _check_optimizer("ReduceLROnPlateau", optimizer)
        if not factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', "
                             f"got {threshold_mode!r}")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.min_lrs = _per_group("ReduceLROnPlateau", "min_lr", optimizer, min_lr)
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def _is_better(self, value):
        sign = 1.0 if self.mode == "min" else -1.0
        if self.threshold_mode == "rel":
            return sign * value < sign * self.best * (1.0 - sign * self.threshold)
        return sign * value < sign * self.best - self.threshold

    def step(self, metrics):
        """Record this epoch's metric; reduce the lrs if it has plateaued."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self):
        for group, floor in zip(self.optimizer.param_groups, self.min_lrs):
            new_lr = max(group["lr"] * self.factor, floor)
            if group["lr"] - new_lr > self.eps:
                group["lr"] = new_lr

