"""minigrad.train: the training loop and what surrounds it.

    from minigrad.train import Trainer, EarlyStopping
    trainer = Trainer(model, optimizer, scheduler=sched, out_dir="runs/demo",
                      early_stopping=EarlyStopping("val_acc", patience=3))
    history = trainer.fit(train_loader, val_loader, epochs=20)
"""

from minigrad.train.callbacks import EarlyStopping
from minigrad.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from minigrad.train.history import History
from minigrad.train.metrics import MetricAccumulator, confusion_matrix, topk_correct
from minigrad.train.search import Choice, IntUniform, LogUniform, Uniform, random_search
from minigrad.train.trainer import Trainer
from minigrad.train.transfer import (
    freeze,
    param_groups,
    replace_head,
    trainable_parameters,
    unfreeze,
)

__all__ = [
    "Trainer", "EarlyStopping", "CheckpointError", "save_checkpoint", "load_checkpoint",
    "History", "MetricAccumulator", "confusion_matrix", "topk_correct", "random_search",
    "LogUniform", "Uniform", "IntUniform", "Choice", "freeze", "unfreeze", "replace_head",
    "param_groups", "trainable_parameters",
]
