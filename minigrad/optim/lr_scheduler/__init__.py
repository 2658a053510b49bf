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

Chaining. A closed-form schedule, lr(t) = floor + (base_lr - floor) * factor(t),
steps as PyTorch's do, in *chained* form: it rescales the group's current lr by
factor(t) / factor(t - 1) instead of setting base_lr * factor(t), so two
schedulers stepped on one optimiser compose (their factors multiply). Each
schedule writes only its factor; base.py derives the step from it.

The package, by family:
    base.py       LRScheduler: step(), state_dict(), the chained step from factor(t)
    factor.py     LambdaLR MultiplicativeLR StepLR MultiStepLR ConstantLR LinearLR
                  ExponentialLR PolynomialLR InverseTimeLR
    cosine.py     CosineAnnealingLR CosineAnnealingWarmRestarts
    cyclic.py     CyclicLR OneCycleLR (set lr and momentum per batch, not chained)
    combined.py   SequentialLR ChainedScheduler (step other schedulers)
    plateau.py    ReduceLROnPlateau (driven by a metric)

`state_dict()` holds plain numbers and lists (JSON-able); functions such as
LambdaLR's lambdas are not saved, so rebuild the scheduler with them and load.
"""

from minigrad.optim.lr_scheduler.base import LRScheduler
from minigrad.optim.lr_scheduler.combined import ChainedScheduler, SequentialLR
from minigrad.optim.lr_scheduler.cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from minigrad.optim.lr_scheduler.cyclic import CyclicLR, OneCycleLR
from minigrad.optim.lr_scheduler.factor import (
    ConstantLR,
    ExponentialLR,
    InverseTimeLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from minigrad.optim.lr_scheduler.plateau import ReduceLROnPlateau

__all__ = [
    "LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
    "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts", "InverseTimeLR",
    "SequentialLR", "ChainedScheduler", "CyclicLR", "OneCycleLR", "ReduceLROnPlateau",
]
