"""Checkpoints: one .npz holding everything needed to resume a run exactly.

Layout (every value an array; text is stored as a 0-d string array, never a pickle):
    format               "minigrad-checkpoint-1"
    model/<name>         the model's state_dict() arrays (parameters and buffers)
    optimizer/...        the optimiser's state via optim.flatten_state_dict
    scheduler            the LR scheduler's state_dict() as JSON ("null" when none)
    epoch                the number of epochs completed
    rng                  minigrad.rng.get_rng_state() when the checkpoint was taken
    config, trainer      the run's configuration and the trainer's own state, JSON

Writing is atomic: the file is written to a temporary name in the same directory,
flushed to disk (fsync) and renamed over the target with os.replace, which POSIX
guarantees to be all-or-nothing. A crash mid-write leaves the previous checkpoint
intact; a reader never sees half a file. Loading uses allow_pickle=False, so a
checkpoint cannot run code.
"""

import json
import os
import tempfile
import zipfile

import numpy as np

from minigrad.errors import MinigradError

__all__ = ["CheckpointError", "save_checkpoint", "load_checkpoint", "atomic_write"]

FORMAT = "minigrad-checkpoint-1"


class CheckpointError(MinigradError, ValueError):
    """A checkpoint is truncated, corrupt, or does not fit the model/optimiser given."""


def atomic_write(path, write):
    """Call write(file_object) on a temporary file next to `path`, fsync it, then rename it
    to `path`. On any error the temporary file is removed and `path` is untouched."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-",
                                             suffix=os.path.basename(path))
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    # make the rename itself durable
    directory_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)


def _text(value):
    return np.array(json.dumps(value))


def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch=0, config=None,
                    trainer_state=None):
    """Write a checkpoint atomically (see the module docstring for its layout)."""
    from minigrad.optim.optimizer import flatten_state_dict
    from minigrad.rng import get_rng_state

    arrays = {"format": np.array(FORMAT), "epoch": np.array(int(epoch)),
              "rng": np.array(get_rng_state()), "config": _text(config or {}),
              "trainer": _text(trainer_state or {}),
              "scheduler": _text(scheduler.state_dict() if scheduler is not None else None)}
    for name, value in model.state_dict().items():
        arrays[f"model/{name}"] = np.asarray(value)
    if optimizer is not None:
        arrays.update(flatten_state_dict(optimizer.state_dict(), prefix="optimizer/"))
    atomic_write(path, lambda handle: np.savez(handle, **arrays))


def _read(path):
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise CheckpointError(f"load_checkpoint: {path} is truncated or not a checkpoint "
                              f"({type(exc).__name__}: {exc})") from exc


def _check_model_fits(path, model, saved):
    own = {name: np.shape(value) for name, value in model.state_dict().items()}
    missing = sorted(set(own) - set(saved))
    unexpected = sorted(set(saved) - set(own))
    wrong = [f"{name}: checkpoint {saved[name].shape}, model {own[name]}"
             for name in sorted(set(own) & set(saved)) if saved[name].shape != own[name]]
    if missing or unexpected or wrong:
        raise CheckpointError(
            f"load_checkpoint: {path} does not fit this model: missing {missing}, "
            f"unexpected {unexpected}, shape mismatches {wrong}")


def load_checkpoint(path, model=None, optimizer=None, scheduler=None, restore_rng=True):
    """Load a checkpoint into the given objects and return its metadata.

    Returns: {"epoch", "config", "trainer"} (the last two parsed from JSON).
    Raises CheckpointError naming the file and what does not fit.
    """
    from minigrad.optim.optimizer import unflatten_state_dict
    from minigrad.rng import set_rng_state

    data = _read(path)
    if "format" not in data or str(data["format"]) != FORMAT:
        raise CheckpointError(f"load_checkpoint: {path} is not a minigrad checkpoint "
                              f"(format {data.get('format', 'missing')!s}, expected {FORMAT})")
    saved = {k[len("model/"):]: v for k, v in data.items() if k.startswith("model/")}
    if model is not None:
        _check_model_fits(path, model, saved)  # before changing anything
    if optimizer is not None:
        flat = {k: v for k, v in data.items() if k.startswith("optimizer/")}
        if not flat:
            raise CheckpointError(f"load_checkpoint: {path} holds no optimiser state")
        try:  # the optimiser checks its groups before it changes anything
            optimizer.load_state_dict(unflatten_state_dict(flat, prefix="optimizer/"))
        except (KeyError, ValueError) as exc:
            raise CheckpointError(f"load_checkpoint: optimiser state in {path} does not fit: "
                                  f"{exc}") from exc
    if model is not None:
        model.load_state_dict(saved)
    scheduler_state = json.loads(str(data["scheduler"]))
    if scheduler is not None and scheduler_state is not None:
        scheduler.load_state_dict(scheduler_state)
    if restore_rng:
        set_rng_state(str(data["rng"]))
    return {"epoch": int(data["epoch"]), "config": json.loads(str(data["config"])),
            "trainer": json.loads(str(data["trainer"]))}
