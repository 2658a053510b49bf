"""`minigrad train --distributed`: the experiment of minigrad.train.experiment on K ranks.

    mpiexec -n 2 python -m minigrad train --distributed --sync-bn --warmup-epochs 1

What changes against the one-process run (everything else is shared code):
  * every rank loads the data and splits it with the same seed; training reads
    a DistributedDataLoader (--batch-size is the per-rank batch B, the global
    batch is K*B); validation and test sets are sharded without padding and
    their metrics reduced, so they equal the one-process numbers;
  * --sync-bn turns BatchNorm into SyncBatchNorm (statistics of the global batch);
  * --lr-scaling linear multiplies --lr by K (Goyal et al. 2017: the lr given is
    the one tuned for one process with batch B); --warmup-epochs E ramps it up
    from lr to K*lr over E epochs; --lars uses layer-wise rates;
  * a DistributedTrainer averages gradients and lets only rank 0 log, show
    progress bars and write checkpoints, history and plots.
"""

import os
import sys
import traceback

from minigrad.data import TensorDataset
from minigrad.distributed.comm import init
from minigrad.distributed.large_batch import warmup_scheduler
from minigrad.distributed.sampler import DistributedDataLoader, DistributedSampler
from minigrad.distributed.sync_batchnorm import convert_sync_batchnorm
from minigrad.distributed.trainer import DistributedTrainer
from minigrad.optim import LARS
from minigrad.rng import manual_seed
from minigrad.train import experiment
from minigrad.train.callbacks import EarlyStopping
from minigrad.train.checkpoint import load_checkpoint
from minigrad.train.models import build_model

__all__ = ["DISTRIBUTED_DEFAULTS", "add_distributed_arguments", "run_distributed_training"]

DISTRIBUTED_DEFAULTS = {"sync_bn": False, "lr_scaling": "none", "warmup_epochs": 0,
                        "lars": False, "dist_timeout": None}


def add_distributed_arguments(parser):
    """The --distributed option group of `minigrad train`."""
    group = parser.add_argument_group("data-parallel training (run under mpiexec -n K)")
    group.add_argument("--distributed", action="store_true",
                       help="synchronous data-parallel SGD over the MPI ranks; --batch-size "
                            "is per rank")
    group.add_argument("--sync-bn", action="store_true",
                       help="BatchNorm statistics over all ranks (default: per rank)")
    group.add_argument("--lr-scaling", choices=["none", "linear"], default="none",
                       help="linear: lr x K, the global batch over the per-rank batch")
    group.add_argument("--warmup-epochs", type=float, default=0,
                       help="gradual warmup from lr to the scaled lr (Goyal et al. 2017)")
    group.add_argument("--lars", action="store_true",
                       help="LARS layer-wise rates (You et al. 2017) instead of --optimizer")
    group.add_argument("--dist-timeout", type=float, default=None,
                       help="seconds a collective may wait before the run is aborted")
    return group


def _loaders(data, config, comm):
    augment = experiment.build_augmentation(config.get("augment"), data.input_shape,
                                            len(data.classes))
    train = DistributedDataLoader(TensorDataset(data.x_train, data.y_train),
                                  batch_size=config["batch_size"], seed=config["seed"],
                                  transform=augment, comm=comm)

    def evaluation(x, y):  # every sample exactly once over the ranks
        sampler = DistributedSampler(len(y), shuffle=False, pad=False, comm=comm)
        return DistributedDataLoader(TensorDataset(x, y), batch_size=256, sampler=sampler)

    val = evaluation(data.x_val, data.y_val) if len(data.y_val) else None
    return train, val, evaluation(data.x_test, data.y_test)


def _optimizer(model, config):
    if not config.get("lars") and config["optimizer"].lower() != "lars":
        return experiment.build_optimizer(model, config)
    return LARS([p for p in model.parameters() if p.requires_grad], lr=config["lr"],
                momentum=config.get("momentum", 0.9),
                weight_decay=config.get("weight_decay", 0.0) or 0.0)


def _scheduler(optimizer, config, steps_per_epoch, world_size):
    warmup_steps = int(round(config.get("warmup_epochs", 0) * steps_per_epoch))
    if warmup_steps and config.get("schedule") in ("step", "plateau"):
        raise ValueError(f"--warmup-epochs counts iterations; it combines with the "
                         f"per-iteration schedules none, cosine and onecycle, not "
                         f"{config['schedule']!r}")
    scheduler, interval = experiment.build_scheduler(optimizer, config, steps_per_epoch)
    if not warmup_steps:
        return scheduler, interval
    return warmup_scheduler(optimizer, warmup_steps, scale=max(world_size, 1),
                            after=scheduler), "batch"


def run_distributed_training(config, log=print):
    """Train as `config` says, on every rank of the MPI world (or alone without one).

    Returns run_training's result dict plus "rank", "world_size" and "is_main".
    An error on any rank (a missing file, a bad option) aborts all ranks with a
    non-zero exit: a rank that merely returned would leave the others waiting.
    """
    config = {**experiment.DEFAULTS, **DISTRIBUTED_DEFAULTS, **config}
    comm = init(**({"timeout": config["dist_timeout"]} if config.get("dist_timeout") else {}))
    try:
        return _run(comm, config, log)
    except Exception as exc:
        if comm.size == 1:
            raise
        sys.stderr.write(f"minigrad train --distributed: rank {comm.rank} of {comm.size} "
                         f"failed ({type(exc).__name__}: {exc}); aborting all ranks\n"
                         + traceback.format_exc())
        comm.abort(1)


def _prepare_data(config, comm):
    """Every rank loads the data and splits it with the same seed. With --download,
    rank 0 goes first, so K ranks on one host do not write the same files at once."""
    manual_seed(config["seed"])
    if not config.get("download"):
        return experiment.prepare_data(config)
    data = experiment.prepare_data(config) if comm.is_main else None
    comm.barrier()
    return data if comm.is_main else experiment.prepare_data(config)


def _run(comm, config, log):
    data = _prepare_data(config, comm)
    config.update(input_shape=list(data.input_shape), num_classes=len(data.classes),
                  classes=data.classes, stats=data.stats, world_size=comm.size,
                  global_batch_size=config["batch_size"] * comm.size,
                  model=config["model"] or experiment.default_model(data.input_shape))
    if config.get("lr_scaling") == "linear":
        config["base_lr"], config["lr"] = config["lr"], config["lr"] * comm.size
    train, val, test = _loaders(data, config, comm)
    model = build_model(config["model"], data.input_shape, len(data.classes))
    if config.get("sync_bn"):
        model = convert_sync_batchnorm(model, comm)
    optimizer = _optimizer(model, config)
    scheduler, interval = _scheduler(optimizer, config, len(train), comm.size)
    # one directory for all ranks: rank 0's clock names it
    config["out"] = comm.broadcast_object(config.get("out") or experiment.default_out_dir(config))
    stopper = EarlyStopping("val_loss" if val else "train_loss", patience=config["patience"]) \
        if config.get("patience") else None
    trainer = DistributedTrainer(model, optimizer, scheduler=scheduler,
                                 scheduler_interval=interval, grad_clip=config.get("grad_clip"),
                                 early_stopping=stopper, out_dir=config["out"],
                                 progress=config.get("progress"),
                                 num_classes=len(data.classes), config=config, log=log,
                                 comm=comm)
    history = trainer.fit(train, val, epochs=config["epochs"],
                          resume=config.get("resume") or None)
    best = os.path.join(config["out"], "best.npz")
    if comm.is_main and os.path.exists(best):  # report the best epoch's weights
        load_checkpoint(best, model, restore_rng=False)
    comm.broadcast_module(model)
    result = {"history": history, "out_dir": config["out"], "model": model, "trainer": trainer,
              "config": config, "val": trainer.evaluate(val) if val else None,
              "test": trainer.evaluate(test), "rank": comm.rank, "world_size": comm.size,
              "is_main": comm.is_main}
    result["confusion"] = trainer.last_confusion
    return result
