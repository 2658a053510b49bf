"""The training loop: epochs of mini-batch SGD, validation, and everything around it.

One epoch, as in every deep learning course:

    for x, y in train_loader:              # shuffled by the seeded global generator
        loss = loss_fn(model(x), y)        # forward
        optimizer.zero_grad()
        loss.backward()                    # reverse-mode autodiff
        clip_grad_norm_(params, max_norm)  # optional (Pascanu et al. 2013, arXiv:1211.5063)
        optimizer.step()
        scheduler.step()                   # when the schedule is per batch
    evaluate(val_loader)                   # no_grad, model.eval()
    scheduler.step()                       # when the schedule is per epoch

`Trainer.fit` adds the bookkeeping: a history row per epoch (saved as JSON/CSV and
plotted), a checkpoint of the last epoch (last.npz) and of the best one
(best.npz, judged on `monitor`), early stopping, and resuming from last.npz
with the same result as if the run had never stopped.

A kill at any instant loses nothing. Every file is written atomically (see
checkpoint.atomic_write), last.npz before best.npz, and last.npz records which
epoch best.npz must hold. So best.npz can only lag behind: when the kill came
between the two writes, the best epoch is the last one, and resuming copies
last.npz (the very same state) to best.npz. Resuming also checks that best.npz
holds the epoch last.npz names, and refuses to go on if it does not.
"""

import json
import numbers
import os
import sys
import time

import numpy as np

from minigrad._display import in_notebook
from minigrad.autograd import no_grad
from minigrad.errors import CheckpointError
from minigrad.tensor import Tensor
from minigrad.train.callbacks import is_improvement
from minigrad.train.checkpoint import (
    atomic_write,
    read_checkpoint,
    remove_partial_files,
    save_checkpoint,
    structure_difference,
)
from minigrad.train.history import History
from minigrad.train.metrics import MetricAccumulator

__all__ = ["Trainer"]


def _default_loss():
    from minigrad.nn.functional import cross_entropy

    return cross_entropy


def _progress_enabled(progress):
    """None means: show bars only when a person is watching (a terminal, or Jupyter)."""
    if progress is None:
        return sys.stderr.isatty() or in_notebook()
    return bool(progress)


def _is_plateau_scheduler(scheduler):
    return type(scheduler).__name__ == "ReduceLROnPlateau"


class Trainer:
    """Fit a model with an optimiser, and keep the record of the run.

    Args:
        model: an nn.Module (callable; parameters(), state_dict(), train(), eval()).
        optimizer: a minigrad.optim optimiser over the model's parameters.
        loss_fn: loss_fn(logits, targets) -> scalar Tensor (default F.cross_entropy,
            which takes integer labels or soft targets from mixup/cutmix).
        scheduler: an LR scheduler or None; `scheduler_interval` "epoch" or "batch".
            ReduceLROnPlateau is stepped once per epoch with the monitored metric.
        grad_clip: max global gradient norm, or None.
        monitor: the history column that picks the best epoch (default "val_loss",
            or "train_loss" without validation data); `monitor_mode` "min"/"max".
        early_stopping: an EarlyStopping, or None.
        out_dir: where checkpoints, history and plots go (None: keep nothing on disk).
        progress: tqdm bars: True, False, or None for "only on a terminal".
        num_classes: for the confusion matrix (default: the logits' width).
        config: a JSON-able dict stored in every checkpoint.
        log: function called with one line of text per epoch (default: print), or None.
    """

    def __init__(self, model, optimizer, loss_fn=None, scheduler=None, scheduler_interval="epoch",
                 grad_clip=None, monitor=None, monitor_mode=None, early_stopping=None,
                 out_dir=None, progress=None, num_classes=None, config=None, log=print):
        if scheduler_interval not in ("epoch", "batch"):
            raise ValueError(f"Trainer: scheduler_interval must be 'epoch' or 'batch', got "
                             f"{scheduler_interval!r}")
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = loss_fn or _default_loss()
        self.scheduler = scheduler
        self.scheduler_interval = scheduler_interval
        self.grad_clip = grad_clip
        self.monitor = monitor
        self.monitor_mode = monitor_mode
        self.early_stopping = early_stopping
        self.out_dir = out_dir
        self.progress = _progress_enabled(progress)
        self.num_classes = num_classes
        self.config = config or {}
        self.log = log or (lambda line: None)
        self.history = History()
        self.best = None
        self.best_epoch = None
        self.epoch = 0
        self._partial_files_removed = False
        self.last_confusion = None

    # ------------------------------------------------------------------ one pass
    def _bar(self, loader, description):
        if not self.progress:
            return loader
        from tqdm.auto import tqdm  # a widget in Jupyter, text on a terminal

        return tqdm(loader, desc=description, leave=False, dynamic_ncols=True)

    def after_backward(self):
        """Called once the gradients exist, before clipping and the step (a subclass
        averages them across processes here, for example)."""

    def train_step(self, x, y):
        """Forward, backward, clip, step. Returns (loss value, logits array)."""
        from minigrad.nn.utils import clip_grad_norm_

        logits = self.model(x)
        loss = self.loss_fn(logits, y)
        self.optimizer.zero_grad()
        loss.backward()
        self.after_backward()
        if self.grad_clip is not None:
            clip_grad_norm_(self.model.parameters(), self.grad_clip)
        self.optimizer.step()
        if self.scheduler is not None and self.scheduler_interval == "batch" \
                and not _is_plateau_scheduler(self.scheduler):
            self.scheduler.step()
        return float(loss.item()), logits._data

    def train_epoch(self, loader):
        """One pass over `loader` in training mode; returns {"loss", "acc", "top5"}."""
        self.model.train()
        meter = MetricAccumulator(self.num_classes)
        bar = self._bar(loader, f"epoch {self.epoch + 1} train")
        for x, y in bar:
            loss, logits = self.train_step(x, y)
            if not np.isfinite(loss):
                raise FloatingPointError(f"Trainer: the training loss became {loss} in epoch "
                                         f"{self.epoch + 1}; lower the learning rate")
            meter.update(loss, logits, y._data if isinstance(y, Tensor) else y)
            if self.progress:
                bar.set_postfix(loss=f"{loss:.4f}")
        return meter.result()

    @no_grad()
    def evaluate(self, loader):
        """Loss and accuracies on `loader` in eval mode, without building a graph.

        Returns {"loss", "acc", "top5"}; the confusion matrix (classes x classes)
        is left in `self.last_confusion`.
        """
        self.model.eval()
        meter = MetricAccumulator(self.num_classes)
        for x, y in self._bar(loader, "evaluate"):
            logits = self.model(x)
            loss = self.loss_fn(logits, y)
            meter.update(loss.item(), logits._data, y._data if isinstance(y, Tensor) else y)
        self.last_confusion = meter.confusion
        return meter.result()

    # ------------------------------------------------------------------ fit
    def _monitor_settings(self, has_validation):
        monitor = self.monitor or ("val_loss" if has_validation else "train_loss")
        mode = self.monitor_mode or ("max" if "acc" in monitor or "top" in monitor else "min")
        return monitor, mode

    def _step_epoch_scheduler(self, row, monitor):
        if self.scheduler is None:
            return
        if _is_plateau_scheduler(self.scheduler):
            self.scheduler.step(row[monitor])
        elif self.scheduler_interval == "epoch":
            self.scheduler.step()

    def _run_epoch(self, train_loader, val_loader):
        start = time.perf_counter()
        row = {"epoch": self.epoch + 1, "lr": float(self.optimizer.param_groups[0]["lr"])}
        train = self.train_epoch(train_loader)
        row.update({"train_loss": train["loss"], "train_acc": train["acc"]})
        if val_loader is not None:
            val = self.evaluate(val_loader)
            row.update({"val_loss": val["loss"], "val_acc": val["acc"], "val_top5": val["top5"]})
        row["time"] = time.perf_counter() - start
        return row

    def fit(self, train_loader, val_loader=None, epochs=1, resume=None):
        """Train until `epochs` epochs in total are done (or early stopping says stop).

        Args:
            resume: path of a last.npz to continue from (True: out_dir/last.npz).
        Returns: the History.
        """
        monitor, mode = self._monitor_settings(val_loader is not None)
        if resume is True and self.out_dir is None:
            raise ValueError("Trainer.fit: resume=True means out_dir/last.npz, but the "
                             "trainer has no out_dir; pass the checkpoint's path instead")
        if resume:
            self.resume(os.path.join(self.out_dir, "last.npz") if resume is True else resume)
        while self.epoch < epochs:
            row = self._run_epoch(train_loader, val_loader)
            self.epoch += 1
            self._step_epoch_scheduler(row, monitor)
            self.history.append(row)
            improved = is_improvement(row[monitor], self.best, mode)
            if improved:
                self.best, self.best_epoch = row[monitor], self.epoch
            stop = False
            if self.early_stopping is not None:
                self.early_stopping.update(row)
                stop = self.early_stopping.should_stop
            self._save_epoch(improved)
            self.log(self._format_row(row, improved))
            if stop:
                self.log(f"early stopping: {self.early_stopping.monitor} has not improved "
                         f"for {self.early_stopping.patience} epochs")
                break
        self._save_final()
        return self.history

    @staticmethod
    def _format_row(row, improved):
        parts = [f"epoch {row['epoch']:3d}"]
        for key in ("train_loss", "train_acc", "val_loss", "val_acc", "val_top5", "lr"):
            if key in row:
                parts.append(f"{key} {row[key]:.4g}")
        parts.append(f"{row['time']:.1f}s" + ("  *" if improved else ""))
        return "  ".join(parts)

    # ------------------------------------------------------------------ disk
    def trainer_state(self):
        """Everything the loop itself needs to resume (JSON-able)."""
        return {"history": self.history.rows, "best": self.best, "best_epoch": self.best_epoch,
                "early_stopping": self.early_stopping.state_dict()
                if self.early_stopping is not None else None}

    def save(self, path):
        save_checkpoint(path, self.model, self.optimizer, self.scheduler, self.epoch,
                        self.config, self.trainer_state())

    def resume(self, path):
        """Restore model, optimiser, scheduler, RNG and loop state from a checkpoint.

        All or nothing: the file, its loop state and the best.npz it names are checked
        before anything changes; CheckpointError says what is wrong.
        """
        checkpoint = read_checkpoint(path)
        state = checkpoint.trainer
        self._check_loop_state(path, state)
        best_source = self._find_best(checkpoint)
        info = checkpoint.apply(self.model, self.optimizer, self.scheduler)
        self.epoch = checkpoint.epoch
        self.history = History(state.get("history"))
        self.best, self.best_epoch = state.get("best"), state.get("best_epoch")
        if self.early_stopping is not None and state.get("early_stopping"):
            self.early_stopping.load_state_dict(state["early_stopping"])
        if best_source is not None:
            self._restore_best(best_source)
        return info

    def _check_loop_state(self, path, state):
        kinds = {"history": (list, type(None)), "best": (numbers.Real, type(None)),
                 "best_epoch": (int, type(None)), "early_stopping": (dict, type(None))}
        for key, kind in kinds.items():
            if not isinstance(state.get(key), kind) or isinstance(state.get(key), bool):
                raise CheckpointError(f"Trainer.resume: {path} has a garbled loop state: "
                                      f"{key!r} is {state.get(key)!r}")
        history = state.get("history") or []
        if not all(isinstance(row, dict) for row in history):
            raise CheckpointError(f"Trainer.resume: {path} has a history that is not rows")
        best_epoch = state.get("best_epoch")
        if best_epoch is not None and not 1 <= best_epoch <= len(history):
            raise CheckpointError(f"Trainer.resume: {path} names epoch {best_epoch} as the "
                                  f"best, but has a history of {len(history)} epochs")
        if self.early_stopping is not None:
            difference = structure_difference(state.get("early_stopping"),
                                              self.early_stopping.state_dict(), "early_stopping")
            if difference:
                raise CheckpointError(f"Trainer.resume: {path} does not fit the early "
                                      f"stopping given: {difference}")

    # ------------------------------------------------------------------ best.npz
    @staticmethod
    def _holds_best(best_path, checkpoint):
        """Does best_path hold the best epoch that `checkpoint` records (same epoch,
        same monitored value, same history up to it)?"""
        epoch = checkpoint.trainer["best_epoch"]
        try:
            best = read_checkpoint(best_path)
        except (CheckpointError, FileNotFoundError):
            return False
        return best.epoch == epoch and best.trainer.get("best") == checkpoint.trainer["best"] \
            and best.trainer.get("history") == checkpoint.trainer["history"][:epoch]

    def _find_best(self, checkpoint):
        """The file to copy to out_dir/best.npz after resuming, or None when it is right.

        Raises CheckpointError when the best epoch's weights are nowhere to be found.
        """
        best_epoch = checkpoint.trainer.get("best_epoch")
        if self.out_dir is None or best_epoch is None:  # nothing kept, or an old checkpoint
            return None
        target = os.path.join(self.out_dir, "best.npz")
        if self._holds_best(target, checkpoint):
            return None
        if best_epoch == checkpoint.epoch:  # killed between last.npz and best.npz
            return checkpoint.path
        beside = os.path.join(os.path.dirname(os.fspath(checkpoint.path)), "best.npz")
        if os.path.abspath(beside) != os.path.abspath(target) \
                and self._holds_best(beside, checkpoint):
            return beside
        raise CheckpointError(
            f"Trainer.resume: {checkpoint.path} records epoch {best_epoch} as the best, but "
            f"{target} does not hold it (replaced or deleted?), so the best weights are lost. "
            f"Resume from that best.npz instead, or start the run again")

    def _restore_best(self, source):
        with open(source, "rb") as handle:
            content = handle.read()
        atomic_write(os.path.join(self.out_dir, "best.npz"),
                     lambda handle: handle.write(content))

    # ------------------------------------------------------------------ disk
    def _prepare_out_dir(self):
        """Create out_dir, and remove what an earlier run's killed writes left there."""
        os.makedirs(self.out_dir, exist_ok=True)
        if not self._partial_files_removed:
            remove_partial_files(self.out_dir)
            self._partial_files_removed = True

    def _save_epoch(self, improved):
        if self.out_dir is None:
            return
        self._prepare_out_dir()
        # last before best: see the module docstring for why no kill loses the best epoch
        self.save(os.path.join(self.out_dir, "last.npz"))
        if improved:
            self.save(os.path.join(self.out_dir, "best.npz"))
        self.history.save(self.out_dir)

    def plot(self):
        """Loss, accuracy and learning rate per epoch as one matplotlib Figure, which a
        notebook displays inline (the same curves as out_dir's loss/accuracy/lr.png)."""
        return self.history.figure()

    def _save_final(self):
        if self.out_dir is None or not len(self.history):
            return
        self._prepare_out_dir()
        self.history.save(self.out_dir)
        self.history.plot(self.out_dir)
        config_text = json.dumps(self.config, indent=1).encode()
        atomic_write(os.path.join(self.out_dir, "config.json"),
                     lambda handle: handle.write(config_text))
        if self.last_confusion is not None:
            atomic_write(os.path.join(self.out_dir, "confusion_matrix.csv"),
                         lambda handle: np.savetxt(handle, self.last_confusion, fmt="%d",
                                                   delimiter=","))
