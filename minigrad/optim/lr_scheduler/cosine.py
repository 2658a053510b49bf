"""Cosine annealing: to eta_min once (CosineAnnealingLR), or again and again (SGDR).

CosineAnnealingLR is a closed form (its factor, with eta_min as the floor; the
chained step comes from base.py). CosineAnnealingWarmRestarts is not chained: it
sets lr from T_cur and T_i on every step, and takes fractional epochs, so it
keeps its own step().
"""

import math

from minigrad.optim.lr_scheduler.base import LRScheduler

__all__ = ["CosineAnnealingLR", "CosineAnnealingWarmRestarts"]


class CosineAnnealingLR(LRScheduler):
    """lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2

    (Loshchilov & Hutter 2016, SGDR, arXiv:1608.03983, without restarts.) Past
    T_max the chained form keeps following the cosine back up, as PyTorch does.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def lr_floor(self):
        return self.eta_min

    def factor_at(self, t, group_index):
        return (1 + math.cos(math.pi * t / self.T_max)) / 2


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
