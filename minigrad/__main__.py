"""The `minigrad` command: train, evaluate, find a learning rate, search hyper-parameters.

    python -m minigrad train                      # embedded digits, about a minute
    python -m minigrad train --dataset fashion-mnist --model cnn --epochs 5
    python -m minigrad evaluate runs/<run>/best.npz
    python -m minigrad lr-find --model mlp
    python -m minigrad search --trials 8 --epochs 3
    python -m minigrad assign --course --out dist     # course assignments (minigrad/assign)
    python -m minigrad grade dist/layers/student      # a student checks their work

Every run writes into its own directory (default runs/<dataset>-<model>-<time>/):
last.npz and best.npz checkpoints, history.json/.csv, loss/accuracy/lr plots and
the confusion matrix of the validation split.
"""

import argparse
import os
import sys
import time

import numpy as np

__all__ = ["main", "build_parser"]


def _add_run_options(parser, epochs_default):
    from minigrad.train.experiment import DEFAULTS

    data = parser.add_argument_group("data")
    data.add_argument("--dataset", default=DEFAULTS["dataset"],
                      help="digits (embedded, the default), mnist, fashion-mnist, cifar10, "
                           "spiral, moons, blobs")
    data.add_argument("--download", action="store_true",
                      help="download a missing data set (needs a network)")
    data.add_argument("--limit", type=int, default=None,
                      help="use only the first N training samples")
    data.add_argument("--val-fraction", type=float, default=DEFAULTS["val_fraction"],
                      help="part of the training set held out for validation")
    data.add_argument("--augment", default=DEFAULTS["augment"],
                      help="comma list of flip, crop, resized-crop, jitter, noise, cutout, "
                           "mixup, cutmix, or none")
    model = parser.add_argument_group("model and optimisation")
    model.add_argument("--model", default=DEFAULTS["model"], choices=["mlp", "cnn", "resnet"],
                       help="None picks cnn for images, mlp for 2-D points")
    model.add_argument("--optimizer", default=DEFAULTS["optimizer"],
                       choices=["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta",
                                "adamax", "nadam", "radam"])
    model.add_argument("--lr", type=float, default=DEFAULTS["lr"])
    model.add_argument("--momentum", type=float, default=DEFAULTS["momentum"])
    model.add_argument("--weight-decay", type=float, default=DEFAULTS["weight_decay"])
    model.add_argument("--schedule", default=DEFAULTS["schedule"],
                       choices=["none", "step", "cosine", "onecycle", "plateau"])
    model.add_argument("--epochs", type=int, default=epochs_default)
    model.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    model.add_argument("--grad-clip", type=float, default=None, help="max gradient norm")
    model.add_argument("--patience", type=int, default=None,
                       help="early stopping after this many epochs without improvement")
    run = parser.add_argument_group("run")
    run.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    run.add_argument("--out", default=None, help="output directory (default runs/...)")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Show each option's default, and the module docstring's examples as written."""


def build_parser():
    from minigrad.train.experiment import DEFAULTS

    parser = argparse.ArgumentParser(prog="minigrad", description=__doc__,
                                     formatter_class=_Formatter)
    commands = parser.add_subparsers(dest="command", required=True)

    def add(name, help_text):
        return commands.add_parser(name, help=help_text, description=help_text,
                                   formatter_class=_Formatter)

    train = add("train", "train a model and save checkpoints and plots")
    _add_run_options(train, DEFAULTS["epochs"])
    train.add_argument("--resume", default=None, help="continue from a last.npz checkpoint")
    from minigrad.distributed.experiment import add_distributed_arguments

    add_distributed_arguments(train)
    evaluate = add("evaluate", "test a checkpoint on its data set")
    evaluate.add_argument("checkpoint", help="a .npz written by `minigrad train`")
    evaluate.add_argument("--split", default="test", choices=["test", "val"])
    lr_find = add("lr-find", "LR range test (Smith 2017): sweep the lr, suggest one")
    _add_run_options(lr_find, 1)
    lr_find.add_argument("--steps", type=int, default=100)
    lr_find.add_argument("--start-lr", type=float, default=1e-5)
    lr_find.add_argument("--end-lr", type=float, default=10.0)
    search = add("search", "random hyper-parameter search over short runs")
    _add_run_options(search, 3)
    search.add_argument("--trials", type=int, default=8)
    search.add_argument("--lr-range", type=float, nargs=2, default=[1e-3, 0.3])
    search.add_argument("--wd-range", type=float, nargs=2, default=[1e-6, 1e-2])
    from minigrad.assign.cli import add_subcommands

    add_subcommands(commands, _Formatter)
    return parser


def _config(args):
    config = {key: value for key, value in vars(args).items() if key != "command"}
    config["progress"] = False if config.pop("no_progress", False) else None
    return config


def _print_confusion(confusion, classes):
    width = max(4, max(len(str(c)) for c in classes[:20]) + 1)
    print("confusion matrix (rows: true class, columns: predicted)")
    print(" " * width + "".join(f"{i:>5d}" for i in range(len(classes))))
    for index, row in enumerate(confusion):
        print(f"{str(classes[index]):>{width}}" + "".join(f"{v:>5d}" for v in row))


def command_train(args):
    from minigrad.train.experiment import run_training

    config = _config(args)
    if config.get("resume") and not config.get("out"):
        config["out"] = os.path.dirname(os.path.abspath(config["resume"]))
    start = time.perf_counter()
    if config.get("distributed"):  # mpiexec -n K python -m minigrad train --distributed
        from minigrad.distributed.experiment import run_distributed_training

        result = run_distributed_training(config)
        if not result["is_main"]:
            return 0  # rank 0 reports for all
    else:
        result = run_training(config)
    test, out_dir = result["test"], result["out_dir"]
    print(f"\ntrained {result['config']['model']} on {config['dataset']} in "
          f"{time.perf_counter() - start:.1f}s")
    if result["val"]:
        print(f"best epoch, validation: loss {result['val']['loss']:.4f}  "
              f"acc {result['val']['acc']:.4f}")
    print(f"best epoch, test:       loss {test['loss']:.4f}  acc {test['acc']:.4f}  "
          f"top-5 {test['top5']:.4f}")
    print(f"checkpoints: {os.path.join(out_dir, 'best.npz')} (best), "
          f"{os.path.join(out_dir, 'last.npz')} (last)")
    plots = ", ".join(os.path.join(out_dir, p) for p in ("loss.png", "accuracy.png", "lr.png"))
    print(f"plots:       {plots}")
    print(f"history:     {os.path.join(out_dir, 'history.csv')}")
    return 0


def command_evaluate(args):
    from minigrad.data import DataLoader, TensorDataset
    from minigrad.rng import manual_seed
    from minigrad.train.checkpoint import load_checkpoint
    from minigrad.train.experiment import prepare_data
    from minigrad.train.models import build_model
    from minigrad.train.trainer import Trainer

    config = load_checkpoint(args.checkpoint, restore_rng=False)["config"]
    if not config.get("model") or not config.get("stats"):
        print(f"evaluate: {args.checkpoint} has no training config; it was not written by "
              f"`minigrad train`", file=sys.stderr)
        return 2
    manual_seed(config["seed"])  # the same validation split as in training
    data = prepare_data(config, stats=config["stats"])
    model = build_model(config["model"], tuple(config["input_shape"]), config["num_classes"])
    info = load_checkpoint(args.checkpoint, model, restore_rng=False)
    x, y = (data.x_test, data.y_test) if args.split == "test" else (data.x_val, data.y_val)
    trainer = Trainer(model, optimizer=None, num_classes=config["num_classes"], progress=False,
                      log=None)
    metrics = trainer.evaluate(DataLoader(TensorDataset(x, y), batch_size=256))
    print(f"{args.checkpoint} (epoch {info['epoch']}, {config['model']} on "
          f"{config['dataset']}), {args.split} split of {len(y)} samples:")
    print(f"loss {metrics['loss']:.4f}  acc {metrics['acc']:.4f}  top-5 {metrics['top5']:.4f}")
    _print_confusion(trainer.last_confusion, data.classes)
    return 0


def command_lr_find(args):
    from minigrad.optim import lr_range_test, plot_lr_range_test
    from minigrad.rng import manual_seed
    from minigrad.train.experiment import (
        build_optimizer,
        default_model,
        default_out_dir,
        make_loaders,
        prepare_data,
    )
    from minigrad.train.models import build_model

    config = _config(args)
    manual_seed(config["seed"])
    data = prepare_data(config)
    train, _, _ = make_loaders(data, config)
    config["model"] = config["model"] or default_model(data.input_shape)
    model = build_model(config["model"], data.input_shape, len(data.classes))
    optimizer = build_optimizer(model, config)
    batches = _cycle(train)
    from minigrad.nn.functional import cross_entropy

    def closure():
        x, y = next(batches)
        loss = cross_entropy(model(x), y)
        loss.backward()
        return loss

    model.train()
    # restore the buffers too (BatchNorm running statistics), not only the weights
    result = lr_range_test(optimizer=optimizer, closure=closure,
                           params=list(model.parameters()) + list(model.buffers()),
                           start_lr=args.start_lr, end_lr=args.end_lr, num_steps=args.steps)
    out_dir = config["out"] or default_out_dir(dict(config, model=config["model"] + "-lrfind"))
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "lr_find.png")
    plot_lr_range_test(result).figure.savefig(path, dpi=100)
    np.savetxt(os.path.join(out_dir, "lr_find.csv"), np.c_[result.lrs, result.losses],
               delimiter=",", header="lr,loss", comments="")
    print(f"swept {len(result.lrs)} steps from lr {result.lrs[0]:.2g} to {result.lrs[-1]:.2g}")
    print(f"suggested lr: {result.suggested_lr:.3g}   (plot: {path})")
    return 0


def _cycle(loader):
    while True:
        yield from loader


def command_search(args):
    from minigrad.train.experiment import run_training
    from minigrad.train.search import Choice, LogUniform, random_search

    config = _config(args)
    config["progress"] = False
    out_dir = config["out"] or os.path.join(
        "runs", f"search-{config['dataset']}-{time.strftime('%Y%m%d-%H%M%S')}")
    space = {"lr": LogUniform(*args.lr_range), "weight_decay": LogUniform(*args.wd_range),
             "batch_size": Choice([32, 64, 128])}

    def objective(params):
        result = run_training(dict(config, **params), log=None, keep_files=False)
        metrics = result["val"] or result["history"].rows[-1]
        print(f"  lr {params['lr']:.3g}  wd {params['weight_decay']:.2g}  "
              f"batch {params['batch_size']:>3d}  ->  val_loss {metrics['loss']:.4f}  "
              f"val_acc {metrics['acc']:.4f}", flush=True)
        return {"val_loss": metrics["loss"], "val_acc": metrics["acc"]}

    # its own generator: every trial reseeds the global one with --seed
    rng = np.random.default_rng(config["seed"])
    path = os.path.join(out_dir, "search.csv")
    print(f"{args.trials} trials of {config['epochs']} epochs ({config['model'] or 'default'} "
          f"model on {config['dataset']}):")
    rows = random_search(objective, space, args.trials, out_csv=path, metric="val_acc",
                         mode="max", rng=rng)
    best = rows[0]
    print(f"best: lr {best['lr']:.3g}  weight_decay {best['weight_decay']:.2g}  batch "
          f"{best['batch_size']}  val_acc {best.get('val_acc', float('nan')):.4f}")
    print(f"results table: {path}")
    return 0


COMMANDS = {"train": command_train, "evaluate": command_evaluate, "lr-find": command_lr_find,
            "search": command_search}


def main(argv=None):
    """Entry point of `python -m minigrad` and of the `minigrad` console script."""
    args = build_parser().parse_args(argv)
    from minigrad.data.datasets import DatasetNotFoundError
    from minigrad.data.formats import FormatError
    from minigrad.errors import CheckpointError

    if args.command in ("assign", "grade"):
        from minigrad.assign.cli import COMMANDS as ASSIGN_COMMANDS

        return ASSIGN_COMMANDS[args.command](args)
    try:
        return COMMANDS[args.command](args)
    except (DatasetNotFoundError, CheckpointError, FormatError, FileNotFoundError) as exc:
        print(f"minigrad {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
