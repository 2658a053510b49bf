"""Turn a plain config dict into data, model, optimiser, schedule and a finished run.

This is what the `minigrad` command calls; a config is JSON-able, is stored in
every checkpoint, and is enough to rebuild the model for `minigrad evaluate`.

    config = dict(DEFAULTS, dataset="digits", model="mlp", epochs=10)
    result = run_training(config)       # {"test": {...}, "out_dir": ..., ...}
"""

import os
import time

import numpy as np

import minigrad.optim as optim
from minigrad.data import DataLoader, TensorDataset, load_dataset
from minigrad.data import transforms as T
from minigrad.data.preprocessing import Standardize
from minigrad.rng import default_generator, manual_seed
from minigrad.train.callbacks import EarlyStopping
from minigrad.train.checkpoint import load_checkpoint
from minigrad.train.models import build_model
from minigrad.train.trainer import Trainer

__all__ = ["DEFAULTS", "prepare_data", "build_optimizer", "build_scheduler",
           "build_augmentation", "run_training", "default_out_dir", "default_model"]

DEFAULTS = {
    "dataset": "digits", "model": None, "optimizer": "sgd", "lr": 0.05, "momentum": 0.9,
    "weight_decay": 5e-4, "schedule": "cosine", "epochs": 15, "batch_size": 64,
    "augment": "none", "seed": 0, "val_fraction": 0.1, "grad_clip": None, "patience": None,
    "limit": None, "download": False, "progress": None, "out": None,
}


class Data:
    """The three splits after preprocessing, ready for loaders."""

    def __init__(self, x_train, y_train, x_val, y_val, x_test, y_test, classes, stats):
        self.x_train, self.y_train = x_train, y_train
        self.x_val, self.y_val = x_val, y_val
        self.x_test, self.y_test = x_test, y_test
        self.classes = classes
        self.stats = stats  # normalisation statistics, fitted on x_train only

    @property
    def input_shape(self):
        return tuple(self.x_train.shape[1:])


def _normalise(scaler, x):
    return scaler.transform(x).astype(np.float32)


def prepare_data(config, stats=None):
    """Load, subsample (`limit`), split off validation data, standardise.

    Standardisation statistics are fitted on the training part only, and returned
    in Data.stats so `evaluate` can apply the very same ones later.
    """
    splits = load_dataset(config["dataset"], download=config.get("download", False))
    x, y = splits.x_train, splits.y_train
    if config.get("limit"):
        x, y = x[:config["limit"]], y[:config["limit"]]
    order = default_generator().permutation(len(y))
    n_val = int(round(len(y) * config.get("val_fraction", 0.0)))
    val, train = order[:n_val], order[n_val:]
    scaler = Standardize()
    if stats is None:
        scaler.fit(x[train])
        stats = {"mean": scaler.mean_.tolist(), "std": scaler.std_.tolist()}
    scaler.mean_, scaler.std_ = np.asarray(stats["mean"]), np.asarray(stats["std"])
    return Data(_normalise(scaler, x[train]), y[train], _normalise(scaler, x[val]), y[val],
                _normalise(scaler, splits.x_test), splits.y_test, list(splits.classes), stats)


def build_augmentation(names, input_shape, num_classes):
    """A batch transform from a comma list: flip, crop, resized-crop, jitter, noise,
    cutout, mixup, cutmix (or 'none'). Image augmentations need (C, H, W) samples."""
    names = [n.strip() for n in (names or "none").split(",") if n.strip() and n != "none"]
    if not names:
        return None
    image = len(input_shape) == 3
    size = input_shape[1] if image else None
    makers = {
        "flip": lambda: T.RandomHorizontalFlip(),
        "crop": lambda: T.RandomCrop(size, padding=max(1, size // 8)),
        "resized-crop": lambda: T.RandomResizedCrop(size, scale=(0.6, 1.0)),
        "jitter": lambda: T.ColorJitter(brightness=0.2, contrast=0.2),
        "noise": lambda: T.GaussianNoise(0.1),
        "cutout": lambda: T.Cutout(max(1, size // 3)),
        "mixup": lambda: T.MixUp(num_classes, alpha=0.2),
        "cutmix": lambda: T.CutMix(num_classes, alpha=1.0),
    }
    chosen = []
    for name in names:
        if name not in makers:
            raise ValueError(f"--augment: unknown augmentation {name!r}; choose from "
                             f"{sorted(makers)} or none")
        if not image and name not in ("noise", "mixup"):
            raise ValueError(f"--augment {name} needs images, but the data has samples of "
                             f"shape {tuple(input_shape)}")
        chosen.append(makers[name]())
    return T.Compose(chosen)


def build_optimizer(model, config):
    name = config["optimizer"].lower()
    params = [p for p in model.parameters() if p.requires_grad]
    lr, wd = config["lr"], config.get("weight_decay", 0.0) or 0.0
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=config.get("momentum", 0.0), weight_decay=wd,
                         nesterov=bool(config.get("nesterov", False)))
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=wd)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, weight_decay=wd, momentum=config.get("momentum", 0))
    plain = {"adagrad": optim.Adagrad, "adadelta": optim.Adadelta, "adamax": optim.Adamax,
             "nadam": optim.NAdam, "radam": optim.RAdam}
    if name in plain:
        return plain[name](params, lr=lr, weight_decay=wd)
    raise ValueError(f"--optimizer: unknown optimiser {name!r}; choose sgd, adam, adamw, "
                     f"rmsprop, adagrad, adadelta, adamax, nadam or radam")


def build_scheduler(optimizer, config, steps_per_epoch):
    """(scheduler, interval) for --schedule none|step|cosine|onecycle|plateau."""
    sched = optim.lr_scheduler
    name, epochs = config.get("schedule", "none"), config["epochs"]
    if name in (None, "none"):
        return None, "epoch"
    if name == "step":
        return sched.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1), "epoch"
    if name == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch), "batch"
    if name == "onecycle":
        return sched.OneCycleLR(optimizer, max_lr=config["lr"], epochs=epochs,
                                steps_per_epoch=steps_per_epoch), "batch"
    if name == "plateau":
        return sched.ReduceLROnPlateau(optimizer, factor=0.2, patience=2), "epoch"
    raise ValueError(f"--schedule: unknown schedule {name!r}; choose none, step, cosine, "
                     f"onecycle or plateau")


def default_model(input_shape):
    """The small CNN for images (C, H, W), the MLP for points (D,)."""
    return "cnn" if len(input_shape) == 3 else "mlp"


def default_out_dir(config):
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return os.path.join("runs", f"{config['dataset']}-{config['model']}-{stamp}")


def make_loaders(data, config):
    augment = build_augmentation(config.get("augment"), data.input_shape, len(data.classes))
    train = DataLoader(TensorDataset(data.x_train, data.y_train),
                       batch_size=config["batch_size"], shuffle=True, transform=augment)
    val = DataLoader(TensorDataset(data.x_val, data.y_val), batch_size=256) \
        if len(data.y_val) else None
    test = DataLoader(TensorDataset(data.x_test, data.y_test), batch_size=256)
    return train, val, test


def run_training(config, log=print, keep_files=True):
    """Train as `config` says; returns {"history", "val", "test", "out_dir", "model"}.

    With keep_files=False nothing is written (used by the hyper-parameter search).
    """
    config = dict(DEFAULTS, **config)
    manual_seed(config["seed"])
    data = prepare_data(config)
    config.update(input_shape=list(data.input_shape), num_classes=len(data.classes),
                  classes=data.classes, stats=data.stats,
                  model=config["model"] or default_model(data.input_shape))
    train, val, test = make_loaders(data, config)
    model = build_model(config["model"], data.input_shape, len(data.classes))
    optimizer = build_optimizer(model, config)
    scheduler, interval = build_scheduler(optimizer, config, len(train))
    out_dir = (config.get("out") or default_out_dir(config)) if keep_files else None
    config["out"] = out_dir
    stopper = EarlyStopping("val_loss" if val else "train_loss", patience=config["patience"]) \
        if config.get("patience") else None
    trainer = Trainer(model, optimizer, scheduler=scheduler, scheduler_interval=interval,
                      grad_clip=config.get("grad_clip"), early_stopping=stopper, out_dir=out_dir,
                      progress=config.get("progress"), num_classes=len(data.classes),
                      config=config, log=log)
    history = trainer.fit(train, val, epochs=config["epochs"],
                          resume=config.get("resume") or None)
    if out_dir is not None and os.path.exists(os.path.join(out_dir, "best.npz")):
        # report the test metrics of the best epoch's weights, not the last one's
        load_checkpoint(os.path.join(out_dir, "best.npz"), model, restore_rng=False)
    result = {"history": history, "out_dir": out_dir, "model": model, "trainer": trainer,
              "config": config,
              "val": trainer.evaluate(val) if val else None, "test": trainer.evaluate(test)}
    result["confusion"] = trainer.last_confusion
    return result
