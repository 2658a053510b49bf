"""LRScheduler: the step machinery, and the chained step derived from a closed form.

A closed-form schedule defines one piece of maths, its factor at step t:

    lr(t) = floor + (base_lr - floor) * factor(t)        floor = eta_min, else 0

The base class derives both ways of using it from `factor_at`:

    closed form (step(epoch), a jump):  floor + (base_lr - floor) * factor(t)
    chained     (every step()):         floor + (lr - floor) * factor(t) / factor(t - 1)

where lr is the group's *current* lr. The chained form is PyTorch's: it rescales
whatever is in the group, so two schedulers stepped on one optimiser compose
(their factors multiply). With a zero floor it is lr <- lr * f(t) / f(t-1); with
eta_min it is CosineAnnealingLR's eta_min + (lr - eta_min) * g(t) / g(t-1).
Before the first step the group holds base_lr, so factor(-1) counts as 1.
Where factor(t-1) = 0 the ratio is undefined; the step then adds the change
instead, lr + (base_lr - floor) * (factor(t) - factor(t-1)), as PyTorch's cosine
does at the bottom of its curve (and a polynomial past total_iters stays at 0).

The others say so where they are defined: LambdaLR has a closed form but sets it
rather than chaining; MultiplicativeLR is defined by its step; the cyclic
policies, warm restarts, the combinations and ReduceLROnPlateau write their own
get_lr() or step().
"""

import copy

__all__ = ["LRScheduler"]


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
    """Base class of the schedules: counts steps and writes every group's lr.

    A closed-form subclass defines `factor_at(t, group_index)` (and `lr_floor()`
    when it decays to a floor other than 0); get_lr() and _get_closed_form_lr()
    follow from it (see the module docstring). Other subclasses override get_lr().
    """

    _is_initial = False
    # PyTorch's StepLR, MultiStepLR and ConstantLR apply their ratio in a resuming
    # constructor (last_epoch >= 0); its other chained schedules hold the lr there.
    _steps_when_resuming = False

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

    # ------------------------------------------------------------ the closed form
    def factor_at(self, t, group_index):
        """factor(t) of lr(t) = floor + (base_lr - floor) * factor(t); 1 means base_lr."""
        raise NotImplementedError(f"{type(self).__name__}: a scheduler defines "
                                  "factor_at(t, group_index) (a closed-form schedule) or "
                                  "overrides get_lr()")

    def lr_floor(self):
        """The lr the factor scales down towards (CosineAnnealingLR's eta_min)."""
        return 0.0

    def _has_closed_form(self):
        return type(self).factor_at is not LRScheduler.factor_at

    def _get_closed_form_lr(self):
        """lr(t) from base_lr; without a closed form, step(epoch) chains (PyTorch's)."""
        if not self._has_closed_form():
            return self.get_lr()
        floor, t = self.lr_floor(), self.last_epoch
        return [floor + (base - floor) * self.factor_at(t, index)
                for index, base in enumerate(self.base_lrs)]

    def get_lr(self):
        """The lrs for step `last_epoch`, chained from the groups' current lrs."""
        if self._is_initial and self.last_epoch > 0 and not self._steps_when_resuming:
            return self._current_lrs()
        return [self._chained_lr(lr, base, index)
                for index, (lr, base) in enumerate(zip(self._current_lrs(), self.base_lrs))]

    def _chained_lr(self, lr, base, group_index):
        """One chained step of one group: rescale lr - floor by factor(t) / factor(t-1)."""
        t, floor = self.last_epoch, self.lr_floor()
        now = self.factor_at(t, group_index)
        before = 1.0 if t == 0 else self.factor_at(t - 1, group_index)
        if before == 0:  # no ratio to take: add the change of the closed form instead
            return lr + (base - floor) * now
        return floor + (lr - floor) * (now / before)

    # ------------------------------------------------------------ stepping
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

    def state_dict(self):
        """Every attribute except the optimiser and functions (deep copies of plain data)."""
        return {key: copy.deepcopy(value) for key, value in self.__dict__.items()
                if key != "optimizer" and not _is_code(value)}

    def load_state_dict(self, state_dict):
        self.__dict__.update(copy.deepcopy(state_dict))
