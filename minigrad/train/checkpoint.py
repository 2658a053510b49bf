"""Checkpoint files: one .npz holding everything needed to resume a run exactly.

(Not gradient checkpointing, which recomputes activations during backward: that
is minigrad/utils/recompute.py, at PyTorch's path minigrad.utils.checkpoint.)

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
guarantees to be all-or-nothing; the directory is fsynced too, so the rename
survives a power cut. A crash mid-write leaves the previous checkpoint intact and,
at worst, a temporary `.<name>.<random>.minigrad-partial` file, which
`remove_partial_files` deletes on the next run.

Loading is all-or-nothing, in two stages:
    read_checkpoint(path)      parse and check every entry on its own (types, shapes,
                               JSON, the RNG state); changes nothing
    Checkpoint.apply(...)      check that the entries fit the model, optimiser and
                               scheduler given, then load them; should loading still
                               fail, what was already loaded is put back
`load_checkpoint` does both. np.load runs with allow_pickle=False, so a checkpoint
cannot run code.
"""

import json
import math
import numbers
import os
import tempfile
import zipfile

import numpy as np

from minigrad.errors import CheckpointError

__all__ = ["CheckpointError", "Checkpoint", "save_checkpoint", "read_checkpoint",
           "load_checkpoint", "atomic_write", "remove_partial_files"]

FORMAT = "minigrad-checkpoint-1"
PARTIAL_SUFFIX = ".minigrad-partial"
_TEXT_ENTRIES = ("format", "rng", "scheduler", "config", "trainer")
_NUMERIC_KINDS = "biuf"  # bool, int, uint, float: what a parameter or buffer can hold


# --------------------------------------------------------------------------- writing
def _fsync_directory(directory):
    directory_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)


def atomic_write(path, write):
    """Call write(file_object) on a temporary file next to `path`, fsync it, then rename it
    to `path` and fsync the directory. On any error the temporary file is removed and
    `path` is untouched; after a kill the temporary file is left for remove_partial_files."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=directory, suffix=PARTIAL_SUFFIX,
                                             prefix=f".{os.path.basename(path)}.")
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
    _fsync_directory(directory)


def remove_partial_files(directory):
    """Delete the temporary files that writes killed midway left in `directory`.

    Only names atomic_write makes (.<name>.<random>.minigrad-partial) are touched.
    Returns the names removed.
    """
    if not os.path.isdir(directory):
        return []
    removed = sorted(name for name in os.listdir(directory)
                     if name.startswith(".") and name.endswith(PARTIAL_SUFFIX))
    for name in removed:
        os.unlink(os.path.join(directory, name))
    return removed


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


# --------------------------------------------------------------------------- reading
def check_array_sizes(source, name, op):
    """Refuse a member whose .npy header declares more bytes than the member holds:
    np.load would allocate the declared size before finding the data missing.
    source: a path or a seekable binary file; name and op word the error."""
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            with archive.open(info) as member:
                read_header = np.lib.format.read_array_header_1_0 \
                    if np.lib.format.read_magic(member) == (1, 0) \
                    else np.lib.format.read_array_header_2_0
                shape, _, dtype = read_header(member)
                declared = math.prod(shape) * dtype.itemsize
                if declared > info.file_size:
                    raise CheckpointError(
                        f"{op}: entry {info.filename!r} of {name} declares shape "
                        f"{shape} of {dtype} ({declared} bytes) but holds {info.file_size}")


def read_npz(source, name, op, expected):
    """{entry: array} of the .npz at `source` (a path, or a binary file object that
    can seek), read with allow_pickle=False once check_array_sizes has passed. A file
    np.load cannot read raises CheckpointError: "<op>: <name> is truncated or not
    <expected>". mg.load reads its files through here too."""
    try:
        check_array_sizes(source, name, op)
        if not isinstance(source, (str, os.PathLike)):
            source.seek(0)  # the size check read it
        with np.load(source, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (FileNotFoundError, CheckpointError):
        raise
    except Exception as exc:  # noqa: BLE001  (a damaged zip, .npy header, compression ...)
        raise CheckpointError(f"{op}: {name} is truncated or not {expected} "
                              f"({type(exc).__name__}: {exc})") from exc


def _read(path):
    return read_npz(path, path, "load_checkpoint", "a checkpoint")


def _text_entry(path, data, key):
    if key not in data:
        raise CheckpointError(f"load_checkpoint: {path} has no {key!r} entry")
    value = data[key]
    if value.shape != () or value.dtype.kind != "U":
        raise CheckpointError(f"load_checkpoint: entry {key!r} of {path} should be a 0-d "
                              f"text array, but is {value.dtype} of shape {value.shape}")
    return str(value[()])


def _json_entry(path, data, key, kinds, expected):
    text = _text_entry(path, data, key)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"load_checkpoint: entry {key!r} of {path} is not valid JSON "
                              f"({exc}): {text[:60]!r}") from exc
    if not isinstance(value, kinds):
        raise CheckpointError(f"load_checkpoint: entry {key!r} of {path} should hold "
                              f"{expected}, but holds {type(value).__name__}")
    return value


def _epoch_entry(path, data):
    if "epoch" not in data:
        raise CheckpointError(f"load_checkpoint: {path} has no 'epoch' entry")
    epoch = data["epoch"]
    if epoch.shape != () or epoch.dtype.kind not in "iu" or int(epoch) < 0:
        raise CheckpointError(f"load_checkpoint: entry 'epoch' of {path} should be a "
                              f"count >= 0, but is {epoch!r}")
    return int(epoch)


def _rng_entry(path, data):
    """The RNG state, tried on a scratch generator so the global one is left alone."""
    from minigrad.rng import default_generator

    state = _json_entry(path, data, "rng", dict, "a generator state (a JSON object)")
    probe = type(default_generator().bit_generator)()
    try:
        probe.state = state
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(f"load_checkpoint: entry 'rng' of {path} is not a "
                              f"{type(probe).__name__} state ({type(exc).__name__}: {exc})"
                              ) from exc
    return json.dumps(state)


def _numeric_arrays(path, data, prefix):
    arrays = {key[len(prefix):]: value for key, value in data.items()
              if key.startswith(prefix)}
    for name, value in arrays.items():
        if value.dtype.kind not in _NUMERIC_KINDS:
            raise CheckpointError(f"load_checkpoint: entry '{prefix}{name}' of {path} holds "
                                  f"{value.dtype} values, not numbers")
    return arrays


def _optimizer_entries(path, data):
    """The optimiser's state_dict, or None when the file has none."""
    from minigrad.optim.optimizer import unflatten_state_dict

    flat = {key: value for key, value in data.items() if key.startswith("optimizer/")}
    if not flat:
        return None
    _json_entry(path, flat, "optimizer/meta", dict, "the optimiser's groups (a JSON object)")
    _numeric_arrays(path, {k: v for k, v in flat.items() if k != "optimizer/meta"},
                    "optimizer/")
    try:
        state = unflatten_state_dict(flat, prefix="optimizer/")
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"load_checkpoint: the optimiser entries of {path} are "
                              f"garbled ({type(exc).__name__}: {exc})") from exc
    if not isinstance(state["param_groups"], list) or not all(
            isinstance(g, dict) and isinstance(g.get("params"), list)
            for g in state["param_groups"]):
        raise CheckpointError(f"load_checkpoint: the optimiser entries of {path} have no "
                              f"list of param groups with their 'params'")
    return state


def _check_entry_names(path, data):
    unexpected = sorted(key for key in data if key not in _TEXT_ENTRIES + ("epoch",)
                        and not key.startswith(("model/", "optimizer/")))
    if unexpected:
        raise CheckpointError(f"load_checkpoint: {path} has entries no checkpoint has: "
                              f"{unexpected}")


def read_checkpoint(path):
    """Read and check a checkpoint file without loading it into anything.

    Every entry is checked on its own: present, of the right type, JSON that parses,
    an RNG state the generator accepts, numbers in every array.
    Returns: a Checkpoint. Raises CheckpointError naming the file and the entry.
    """
    data = _read(path)
    fmt = _text_entry(path, data, "format") if "format" in data else None
    if fmt != FORMAT:
        raise CheckpointError(f"load_checkpoint: {path} is not a minigrad checkpoint "
                              f"(format {fmt or 'missing'}, expected {FORMAT})")
    _check_entry_names(path, data)
    return Checkpoint(
        path, epoch=_epoch_entry(path, data), rng_state=_rng_entry(path, data),
        scheduler_state=_json_entry(path, data, "scheduler", (dict, type(None)),
                                    "a scheduler state (a JSON object or null)"),
        config=_json_entry(path, data, "config", dict, "a JSON object"),
        trainer=_json_entry(path, data, "trainer", dict, "a JSON object"),
        model_state=_numeric_arrays(path, data, "model/"),
        optimizer_state=_optimizer_entries(path, data))


def load_checkpoint(path, model=None, optimizer=None, scheduler=None, restore_rng=True):
    """Load a checkpoint into the given objects and return its metadata.

    All or nothing: on any error the model, optimiser, scheduler and global RNG are
    as they were. Returns: {"epoch", "config", "trainer"} (the last two parsed JSON).
    Raises CheckpointError naming the file and the entry that is wrong.
    """
    return read_checkpoint(path).apply(model, optimizer, scheduler, restore_rng)


# --------------------------------------------------------------------------- applying
def structure_difference(saved, current, where):
    """How the parsed JSON `saved` differs in form from a live state `current`, or None.

    Dicts need the same keys, lists the same length, numbers numbers, booleans
    booleans, strings strings; None on either side matches anything (a state that
    is not set yet). Used to refuse a scheduler or callback state that is garbled or
    belongs to another class before it is loaded.
    """
    if saved is None or current is None:
        return None
    if isinstance(current, dict):
        if not isinstance(saved, dict) or set(map(str, saved)) != set(map(str, current)):
            got = sorted(map(str, saved)) if isinstance(saved, dict) else type(saved).__name__
            return f"{where} has keys {got}, expected {sorted(map(str, current))}"
        saved = {str(key): value for key, value in saved.items()}
        differences = (structure_difference(saved[str(key)], value, f"{where}[{key!r}]")
                       for key, value in current.items())
        return next((d for d in differences if d), None)
    if isinstance(current, (list, tuple)):
        if not isinstance(saved, (list, tuple)) or len(saved) != len(current):
            return f"{where} is {saved!r}, expected a list of {len(current)}"
        differences = (structure_difference(s, c, f"{where}[{i}]")
                       for i, (s, c) in enumerate(zip(saved, current)))
        return next((d for d in differences if d), None)
    if isinstance(current, bool):
        fits = isinstance(saved, bool)
    elif isinstance(current, numbers.Real):
        fits = isinstance(saved, numbers.Real) and not isinstance(saved, bool)
    elif isinstance(current, str):
        fits = isinstance(saved, str)
    else:
        return None  # not a JSON type: no opinion
    return None if fits else f"{where} is {saved!r}, expected a {type(current).__name__}"


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


def _groups_mismatch(saved_groups, groups):
    """Why saved param groups cannot go into these, or None: counts and hyper-parameters."""
    if len(saved_groups) != len(groups):
        return f"{len(saved_groups)} param groups saved, the optimiser has {len(groups)}"
    for index, (kept, group) in enumerate(zip(saved_groups, groups)):
        if len(kept["params"]) != len(group["params"]):
            return (f"param group {index} has {len(kept['params'])} parameters saved, "
                    f"{len(group['params'])} in the optimiser")
        shared = {k: v for k, v in group.items() if k != "params" and k in kept}
        difference = structure_difference({k: kept[k] for k in shared}, shared,
                                          f"param group {index}")
        if difference:
            return difference
    numbering = [i for kept in saved_groups for i in kept["params"]]
    if numbering != list(range(len(numbering))):
        return f"the saved groups number their parameters {numbering}, not 0, 1, 2, ..."
    return None


def _state_mismatch(saved_state, params):
    """Why saved per-parameter state cannot go with these parameters, or None."""
    for index, values in saved_state.items():
        if not 0 <= index < len(params):
            return f"state for parameter {index}, but the optimiser has {len(params)}"
        shape = tuple(params[index].shape)
        for name, value in values.items():
            if isinstance(value, np.ndarray) and value.shape != shape:
                return (f"state {name!r} of parameter {index} has shape {value.shape}, "
                        f"the parameter {shape}")
            if not isinstance(value, (np.ndarray, numbers.Real, type(None))):
                return f"state {name!r} of parameter {index} is {value!r}, not a number"
    return None


def _optimizer_mismatch(saved, optimizer):
    """Why the saved optimiser state cannot go into `optimizer`, or None."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    return _groups_mismatch(saved["param_groups"], optimizer.param_groups) \
        or _state_mismatch(saved["state"], params)


class Checkpoint:
    """A checkpoint read into memory and checked on its own; applied to nothing yet.

    Attributes: path, epoch, config, trainer (parsed JSON), rng_state (JSON text),
    scheduler_state (parsed JSON or None), model_state ({name: array}),
    optimizer_state (an optimiser state_dict, or None).
    """

    def __init__(self, path, epoch, rng_state, scheduler_state, config, trainer,
                 model_state, optimizer_state):
        self.path, self.epoch, self.rng_state = path, epoch, rng_state
        self.scheduler_state, self.config, self.trainer = scheduler_state, config, trainer
        self.model_state, self.optimizer_state = model_state, optimizer_state

    def info(self):
        return {"epoch": self.epoch, "config": self.config, "trainer": self.trainer}

    def check_fits(self, model=None, optimizer=None, scheduler=None):
        """Raise CheckpointError unless every entry fits the objects given."""
        if model is not None:
            _check_model_fits(self.path, model, self.model_state)
        if optimizer is not None:
            if self.optimizer_state is None:
                raise CheckpointError(f"load_checkpoint: {self.path} holds no optimiser state")
            mismatch = _optimizer_mismatch(self.optimizer_state, optimizer)
            if mismatch:
                raise CheckpointError(f"load_checkpoint: optimiser state in {self.path} does "
                                      f"not fit: {mismatch}")
        if scheduler is not None:
            difference = structure_difference(self.scheduler_state, scheduler.state_dict(),
                                              "scheduler state")
            if difference:
                raise CheckpointError(f"load_checkpoint: entry 'scheduler' of {self.path} "
                                      f"does not fit {type(scheduler).__name__}: {difference}")

    def apply(self, model=None, optimizer=None, scheduler=None, restore_rng=True):
        """Check, then load into the objects given (and the global RNG when restore_rng).

        Returns: {"epoch", "config", "trainer"}. Raises CheckpointError with every
        object unchanged.
        """
        self.check_fits(model, optimizer, scheduler)
        undo = _Snapshot(model, optimizer, scheduler)
        try:
            if model is not None:
                model.load_state_dict(self.model_state)
            if optimizer is not None:
                optimizer.load_state_dict(self.optimizer_state)
            if scheduler is not None and self.scheduler_state is not None:
                scheduler.load_state_dict(self.scheduler_state)
            if restore_rng:
                from minigrad.rng import set_rng_state

                set_rng_state(self.rng_state)
        except Exception as exc:  # a check above missed something: leave nothing half done
            undo.restore()
            raise CheckpointError(f"load_checkpoint: {self.path} could not be loaded and "
                                  f"nothing was changed ({type(exc).__name__}: {exc})") from exc
        return self.info()


class _Snapshot:
    """The state of model, optimiser, scheduler and global RNG, to put back after a
    load that failed midway."""

    def __init__(self, model, optimizer, scheduler):
        from minigrad.rng import get_rng_state

        self.parts = [(part, part.state_dict()) for part in (model, optimizer, scheduler)
                      if part is not None]
        self.rng_state = get_rng_state()

    def restore(self):
        from minigrad.rng import set_rng_state

        for part, state in self.parts:
            part.load_state_dict(state)
        set_rng_state(self.rng_state)
