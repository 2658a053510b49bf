"""Early stopping: end training when a monitored metric has stopped improving.

Prechelt 1998, "Early Stopping - But When?": keep the best epoch's weights and stop
after `patience` epochs without an improvement larger than `min_delta`.
"""

import math

__all__ = ["EarlyStopping", "is_improvement"]


def is_improvement(value, best, mode="min", min_delta=0.0):
    """True when `value` beats `best` by more than min_delta (mode 'min' or 'max')."""
    if best is None or (isinstance(best, float) and math.isnan(best)):
        return True
    if mode == "min":
        return value < best - min_delta
    return value > best + min_delta


class EarlyStopping:
    """Count epochs without improvement of `monitor`; `should_stop` after `patience` of them.

    Args:
        monitor: a history column, e.g. "val_loss" or "val_acc".
        mode: "min" or "max"; by default "max" for accuracies, else "min".
        patience: epochs without improvement tolerated before stopping.
        min_delta: the smallest change that counts as an improvement.
    """

    def __init__(self, monitor="val_loss", mode=None, patience=5, min_delta=0.0):
        self.monitor = monitor
        self.mode = mode or ("max" if "acc" in monitor or "top" in monitor else "min")
        if self.mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        self.patience = patience
        self.min_delta = min_delta
        self.best = None
        self.bad_epochs = 0

    def update(self, row):
        """Record an epoch's row; return True when it is a new best."""
        if self.monitor not in row:
            raise KeyError(f"EarlyStopping: monitored metric {self.monitor!r} is not in the "
                           f"epoch's metrics {sorted(row)}")
        value = float(row[self.monitor])
        if is_improvement(value, self.best, self.mode, self.min_delta):
            self.best = value
            self.bad_epochs = 0
            return True
        self.bad_epochs += 1
        return False

    @property
    def should_stop(self):
        return self.bad_epochs >= self.patience

    def state_dict(self):
        return {"best": self.best, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state):
        self.best, self.bad_epochs = state["best"], state["bad_epochs"]
