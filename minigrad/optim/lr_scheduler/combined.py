"""Schedulers made of schedulers: in turn (SequentialLR) or together (ChainedScheduler).

They have no schedule of their own: they step their children, whose chained
steps compose (factors multiply), and save the children's state with their own.
"""

import copy
from bisect import bisect_right

from minigrad.optim.lr_scheduler.base import LRScheduler, _check_optimizer
from minigrad.optim.lr_scheduler.plateau import ReduceLROnPlateau

__all__ = ["SequentialLR", "ChainedScheduler"]


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
