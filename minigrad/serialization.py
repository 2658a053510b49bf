"""mg.save and mg.load: PyTorch's torch.save / torch.load for what course code saves,
state_dicts and tensors and the containers around them.

    mg.save(model.state_dict(), "model.pt")
    model.load_state_dict(mg.load("model.pt"))
    mg.save({"epoch": 3, "model": model.state_dict(), "optim": opt.state_dict()}, f)

What can be saved: Tensor (and nn.Parameter), np.ndarray and NumPy scalars of a
bool, integer or float dtype; None, bool, int, float, str; and dict (any keys of
those scalar types, OrderedDict kept), list and tuple of any of these, nested. An
object that appears twice (a tensor shared by two entries) is stored once and loads
as one object, as in PyTorch.

The file is an .npz (a zip of .npy arrays: NumPy alone can read it):
    format       "minigrad-save-1"
    structure    JSON: the object tree, each array replaced by a reference {"array": k}
    array_<k>    the arrays
It never holds a pickle, and np.load runs with allow_pickle=False, so loading a file
cannot run code: PyTorch's weights_only=True promise, always. Saving to a path is
atomic (train.checkpoint.atomic_write): the old file stays whole until the new one
is complete. Loading reads and checks the whole file (entries, references, dtypes)
before it builds anything, and says what is wrong with a file it refuses.
"""

import collections
import io
import json
import os

import numpy as np

from minigrad.errors import CheckpointError, DeviceError
from minigrad.tensor import Tensor

__all__ = ["save", "load"]

FORMAT = "minigrad-save-1"
_SCALARS = (type(None), bool, int, float, str)
_ARRAY_KINDS = "biuf"  # bool, signed and unsigned integers, floats


# --------------------------------------------------------------------------- saving
def save(obj, f):
    """Write `obj` to `f` (a path or a binary file object); see the module docstring
    for what `obj` may hold. Raises TypeError, naming where in `obj`, for anything
    else, before writing a byte."""
    arrays, memo = [], {}
    structure = _encode(obj, arrays, memo, "obj")
    entries = {"format": np.array(FORMAT), "structure": np.array(json.dumps(structure))}
    entries.update({f"array_{k}": array for k, array in enumerate(arrays)})

    def write(handle):
        np.savez(handle, **entries)

    if isinstance(f, (str, os.PathLike)):
        from minigrad.train.checkpoint import atomic_write

        atomic_write(f, write)
    else:
        write(f)


def _encode(obj, arrays, memo, where):
    """The JSON node for obj; arrays are appended to `arrays`. memo maps id(array or
    tensor) -> its node, and id(container) -> None while the container is being
    encoded (a container inside itself has no file form)."""
    if isinstance(obj, _SCALARS):
        return _encode_scalar(obj)
    if isinstance(obj, (Tensor, np.ndarray, np.generic)):
        if id(obj) not in memo:
            memo[id(obj)] = _encode_array(obj, arrays, where)
        return memo[id(obj)]
    if id(obj) in memo:
        raise TypeError(f"mg.save: cannot save {where}: it contains itself")
    memo[id(obj)] = None
    if isinstance(obj, dict):
        items = [[_encode_key(key, f"{where} key {key!r}"),
                  _encode(value, arrays, memo, f"{where}[{key!r}]")]
                 for key, value in obj.items()]
        node = {"dict": items, "ordered": isinstance(obj, collections.OrderedDict)}
    elif isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        node = {kind: [_encode(value, arrays, memo, f"{where}[{i}]")
                       for i, value in enumerate(obj)]}
    else:
        raise TypeError(f"mg.save: cannot save {where}, of type {type(obj).__name__}; "
                        "expected a Tensor, an ndarray, a number, a string, None, or a dict, "
                        "list or tuple of those")
    del memo[id(obj)]
    return node


def _encode_scalar(value):
    if isinstance(value, float) and not np.isfinite(value):
        return {"float": repr(value)}  # JSON has no NaN or infinity
    return value


def _encode_key(key, where):
    if not isinstance(key, _SCALARS):
        raise TypeError(f"mg.save: cannot save {where}: a dict key must be None, bool, int, "
                        f"float or str, not {type(key).__name__}")
    return _encode_scalar(key)


def _encode_array(obj, arrays, where):
    array = obj._data if isinstance(obj, Tensor) else np.asarray(obj)
    if array.dtype.kind not in _ARRAY_KINDS:
        raise TypeError(f"mg.save: cannot save {where}: dtype {array.dtype} (bool, integer "
                        "and float arrays only)")
    arrays.append(array)
    node = {"array": len(arrays) - 1}
    if isinstance(obj, Tensor):
        from minigrad.nn.module import Parameter

        node.update(tensor=True, requires_grad=bool(obj.requires_grad),
                    parameter=isinstance(obj, Parameter))
    elif isinstance(obj, np.generic):
        node["scalar"] = True
    return node


# --------------------------------------------------------------------------- loading
def load(f, map_location=None, weights_only=None, **pickle_load_args):
    """Read what mg.save wrote to `f` (a path or a binary file object). A file that
    torch.save wrote is a pickle and is refused: convert it where PyTorch is
    installed, e.g. mg.save({k: v.numpy() for k, v in torch.load(p).items()}, q).

    map_location: None, "cpu" or mg.device("cpu"), the only device minigrad has.
    weights_only: accepted for PyTorch code and ignored: a minigrad file never holds
    a pickle, so loading one is always as safe as weights_only=True.
    Raises CheckpointError, before building anything, if the file is not one
    mg.save wrote or any part of it is damaged."""
    _check_map_location(map_location)
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else "the file object"
    entries = _read_entries(f, name)
    structure = _structure(entries, name)
    arrays = {key: value for key, value in entries.items() if key.startswith("array_")}
    used = set()
    try:
        obj = _decode(structure, arrays, used, name, {})
    except RecursionError:
        raise CheckpointError(f"mg.load: {name}: its structure is nested too deeply") from None
    unused = sorted(set(arrays) - used)
    if unused:
        raise CheckpointError(f"mg.load: {name} holds arrays nothing refers to: {unused[:5]}")
    return obj


def _check_map_location(map_location):
    if map_location is None or str(map_location) == "cpu":
        return
    raise DeviceError(f"mg.load: map_location={map_location!r}; minigrad has only the CPU "
                      "device (use None or 'cpu')")


def _read_entries(f, name):
    from minigrad.train.checkpoint import read_npz

    if not isinstance(f, (str, os.PathLike)):
        f = io.BytesIO(f.read())  # read once, so that it can be checked, then loaded
    return read_npz(f, name, "mg.load", "written by mg.save")


def _structure(entries, name):
    for key in ("format", "structure"):
        value = entries.get(key)
        if value is None or value.shape != () or value.dtype.kind != "U":
            raise CheckpointError(f"mg.load: {name} has no text entry {key!r}: it was not "
                                  "written by mg.save (a checkpoint of the trainer loads "
                                  "with minigrad.train.load_checkpoint)")
    if str(entries["format"][()]) != FORMAT:
        raise CheckpointError(f"mg.load: {name} is in format {str(entries['format'][()])!r}; "
                              f"this minigrad reads {FORMAT!r}")
    try:
        return json.loads(str(entries["structure"][()]))
    except ValueError as exc:
        raise CheckpointError(f"mg.load: {name}: its structure entry is not JSON ({exc})") \
            from exc


def _decode(node, arrays, used, name, memo):
    """The object for a JSON node (memo: array key -> object already built)."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, dict) and len(node) == 1 and "float" in node:
        return _decode_float(node["float"], name)
    if isinstance(node, dict) and "array" in node:
        return _decode_array(node, arrays, used, name, memo)
    if isinstance(node, dict) and set(node) in ({"list"}, {"tuple"}):
        kind, values = next(iter(node.items()))
        if isinstance(values, list):
            items = [_decode(value, arrays, used, name, memo) for value in values]
            return items if kind == "list" else tuple(items)
    if isinstance(node, dict) and set(node) == {"dict", "ordered"} and \
            isinstance(node["dict"], list):
        result = collections.OrderedDict() if node["ordered"] is True else {}
        for pair in node["dict"]:
            if not (isinstance(pair, list) and len(pair) == 2):
                break
            key = _decode(pair[0], arrays, used, name, memo)
            if not isinstance(key, _SCALARS):
                break
            result[key] = _decode(pair[1], arrays, used, name, memo)
        else:
            return result
    raise CheckpointError(f"mg.load: {name}: its structure holds a node mg.save never "
                          f"writes: {json.dumps(node)[:200]}")


def _decode_float(text, name):
    if text not in ("nan", "inf", "-inf"):
        raise CheckpointError(f"mg.load: {name}: {text!r} is not a float mg.save writes")
    return float(text)


def _decode_array(node, arrays, used, name, memo):
    key = f"array_{node['array']}" if isinstance(node["array"], int) else None
    if key not in arrays:
        raise CheckpointError(f"mg.load: {name}: its structure refers to array "
                              f"{node['array']!r}, which the file does not hold")
    if key in memo:
        return memo[key]
    array = arrays[key]
    if array.dtype.kind not in _ARRAY_KINDS:
        raise CheckpointError(f"mg.load: {name}: {key} has dtype {array.dtype} (bool, integer "
                              "and float arrays only)")
    used.add(key)
    if node.get("tensor") is True:
        obj = _tensor(array, node)
    elif node.get("scalar") is True:
        obj = array[()]
    else:
        obj = array
    memo[key] = obj
    return obj


def _tensor(array, node):
    if node.get("parameter") is True:
        from minigrad.nn.module import Parameter

        return Parameter(array, requires_grad=node.get("requires_grad") is True)
    return Tensor(array, requires_grad=node.get("requires_grad") is True)
