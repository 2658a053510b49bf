"""The `Optimizer` base class: parameter groups, per-parameter state, checkpoints.

An optimiser owns nothing but bookkeeping. The arithmetic of each algorithm is a
small pure function on NumPy arrays (`sgd_update`, `adam_update`, ...) that edits
the parameter and its state arrays in place; the class walks the parameter
groups, creates the state the first time a parameter is seen, and calls that
function once per parameter that has a gradient:

    opt = SGD([{"params": backbone, "lr": 1e-4},     # groups: per-group options
               {"params": head}], lr=1e-2, momentum=0.9)
    loss.backward()
    opt.step()            # w <- update(w, w.grad, state[w], **group options)
    opt.zero_grad()

What every optimiser shares lives here, once: `step()` checks each gradient
(its parameter's shape and dtype, as PyTorch's `.grad` assignment does) before
any parameter moves, and negates it for a group with maximize=True (gradient
ascent); PyTorch's implementation switches foreach= and fused= are accepted and
make no difference (each update is already one NumPy or compiled pass), while
capturable=True (CUDA graphs) and differentiable=True (backpropagating through
the step) are refused.

Checkpoints. `state_dict()` refers to parameters by their position in the
groups (0, 1, 2, ... in order), never by identity, so it can be loaded into a
freshly built model. Its values are NumPy arrays and plain Python numbers;
`flatten_state_dict` turns it into {str: np.ndarray} for `np.savez(...,
allow_pickle=False)`, and `unflatten_state_dict` turns it back.
`load_state_dict` checks the whole dict before it changes anything.
"""

import json
import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from minigrad.autograd import enable_grad, no_grad
from minigrad.errors import DeviceError, DTypeError, GraphError, ShapeError, StateDictError
from minigrad.tensor import Tensor

__all__ = ["Optimizer", "flatten_state_dict", "unflatten_state_dict", "check_hyperparameter",
           "check_betas"]

# how PyTorch's messages name an option ("Invalid learning rate: -1"); else "<name> value"
_PYTORCH_PHRASES = {"lr": "learning rate", "eps": "epsilon value",
                    "beta1": "beta parameter at index 0", "beta2": "beta parameter at index 1"}


def check_hyperparameter(owner, name, value, minimum=0.0, below=None, at_most=None):
    """Raise a ValueError naming `owner`, `name` and `value` unless
    minimum <= value (< below) (<= at_most). The message starts as PyTorch's does
    ("Invalid learning rate: -0.1"), then says what was expected."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: {name} must be a number, got {value!r}") from None
    if below is not None:
        expected, ok = f"{minimum} <= {name} < {below}", minimum <= number < below
    elif at_most is not None:
        expected, ok = f"{minimum} <= {name} <= {at_most}", minimum <= number <= at_most
    else:
        expected, ok = f"{name} >= {minimum}", number >= minimum
    if not ok:  # written as `not ok` so that nan is rejected too
        phrase = _PYTORCH_PHRASES.get(name, f"{name} value")
        raise ValueError(f"{owner}: Invalid {phrase}: {value!r}; expected {expected}")


def check_betas(owner, betas):
    """The (beta1, beta2) pair of the Adam family as a tuple, each in [0, 1)."""
    try:
        betas = tuple(betas)
    except TypeError:
        raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}") from None
    if len(betas) != 2:
        raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
    check_hyperparameter(owner, "beta1", betas[0], below=1.0)
    check_hyperparameter(owner, "beta2", betas[1], below=1.0)
    return betas


def _mark_updated(param):
    """Count an in-place update of the parameter in its version counter, so a graph
    node that saved the old value refuses to backpropagate through the stale copy."""
    param._version.value += 1


class Optimizer:
    """Base class. Subclasses set `defaults` and implement `_init_state` and `_update`.

    Args:
        params: an iterable of Tensors, or of dicts {"params": [...], option: value}
            (param groups: each group may override any option in `defaults`).
        defaults: dict of option -> default value (lr, momentum, ...).
    Attributes:
        param_groups: list of dicts, each with "params" (a list of Tensors) and options.
        state: dict Tensor -> dict of that parameter's state (step count, buffers).

    Class attributes a subclass sets so that `load_state_dict` can check a state:
        state_spec: {entry name: "count" | "number" | "array"}, or None (any
            numeric entries; arrays must have the parameter's shape).
        required_state: the entries every saved parameter state must have.
    """

    state_spec = None
    required_state = ()

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{self._name()}: params must be an iterable of Tensors or of dicts, "
                f"got a single Tensor of shape {params.shape}; wrap it in a list"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{self._name()}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def _name(self):
        return type(self).__name__

    def __repr__(self):
        lines = [f"{self._name()} ("]
        for index, group in enumerate(self.param_groups):
            options = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {index}: {len(group['params'])} params, {options}")
        return "\n".join(lines + [")"])

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Append a group; options it leaves out take the optimiser's defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"{self._name()}: a param group must be a dict, got "
                            f"{type(param_group).__name__}")
        params = param_group.get("params")
        if params is None:
            raise ValueError(f"{self._name()}: a param group needs a 'params' entry")
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(
                f"{self._name()}: param group {len(self.param_groups)} has an empty "
                "parameter list"
            )
        self._check_params(params)
        group = {**self.defaults, **param_group, "params": params}
        self._validate_group(group)
        self.param_groups.append(group)

    def _check_params(self, params):
        new_index = len(self.param_groups)
        owner = {id(p): i for i, g in enumerate(self.param_groups) for p in g["params"]}
        for position, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{self._name()}: can only optimise Tensors, but item {position} of "
                    f"param group {new_index} is {type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{self._name()}: can't optimise a non-leaf Tensor (item {position} of "
                    f"param group {new_index}, shape {p.shape}); pass a leaf created with "
                    "requires_grad=True, or .detach() it"
                )
            if id(p) in owner:
                where = owner[id(p)]
                place = "twice in that group" if where == new_index else \
                    f"in param group {where} and again in param group {new_index}"
                raise ValueError(
                    f"{self._name()}: a parameter (item {position}, shape {p.shape}) "
                    f"appears {place}; each parameter may be given only once"
                )
            owner[id(p)] = new_index

    def _validate_group(self, group):
        """Check the group's options; subclasses raise ValueError naming the value."""
        check_hyperparameter(self._name(), "lr", group["lr"])
        self._check_implementation_flags(group)

    def _check_implementation_flags(self, group):
        """PyTorch's switches between its own implementations of the same update."""
        name = self._name()
        if group.get("differentiable"):
            raise GraphError(
                f"{name}: differentiable=True (backpropagating through the optimiser step) "
                "is not supported; minigrad's step updates the parameters in place "
                "outside the graph"
            )
        if group.get("capturable"):
            raise DeviceError(
                f"{name}: capturable=True is for CUDA graph capture; minigrad computes on "
                "the CPU only, so leave capturable=False"
            )
        if group.get("fused") and group.get("foreach"):
            raise ValueError(f"{name}: `fused` and `foreach` cannot be `True` together "
                             "(as in PyTorch; in minigrad both make no difference)")

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none=True):
        """Forget the gradients: set .grad to None (default) or fill it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad = Tensor(np.zeros_like(p.grad._data))

    def step(self, closure=None):
        """One update of every parameter that has a gradient.

        Args:
            closure: optional callable that recomputes the loss (zero_grad, forward,
                backward) and returns it; it runs first, with grad mode on.
        Returns:
            the closure's loss, or None.
        Raises:
            ShapeError: a .grad does not have its parameter's shape (nothing has moved).
            DTypeError: a .grad does not have its parameter's dtype (nothing has moved).
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group, param, grad in self._gradients():
                self._update(param._data, grad, self._state_for(param, group), group)
                _mark_updated(param)
        return loss

    def _gradients(self):
        """[(group, param, gradient array)] for every parameter whose .grad is set:
        all checked first, so a bad one stops the step before anything moves; a
        group with maximize=True gets -grad (ascent)."""
        found, index = [], 0
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    grad = self._checked_grad(param, index)
                    found.append((group, param, -grad if group.get("maximize") else grad))
                index += 1
        return found

    def _checked_grad(self, param, index):
        """param.grad's array, if it has the parameter's shape and dtype.

        NumPy would broadcast a (1,)- or (3,)-shaped gradient over a (2, 3)
        parameter without a word; PyTorch refuses to assign such a .grad at all.
        """
        grad = param.grad._data if isinstance(param.grad, Tensor) else np.asarray(param.grad)
        array = param._data
        if grad.shape == array.shape and grad.dtype == array.dtype:
            return grad
        where = f"{self._name()}.step: parameter {index} (shape {array.shape}, dtype " \
                f"{array.dtype})"
        if grad.shape != array.shape:
            raise ShapeError(f"{where} has a .grad of shape {grad.shape}; a gradient must "
                             "have its parameter's shape")
        raise DTypeError(f"{where} has a .grad of dtype {grad.dtype}; a gradient must have "
                         "its parameter's dtype (PyTorch refuses it too); cast the "
                         "gradient, or the parameter with .to(dtype)")

    def _state_for(self, param, group):
        state = self.state.get(param)
        if state is None:
            state = self._init_state(param._data, group)
            self.state[param] = state
        return state

    def _init_state(self, param, group):
        """The state of a parameter seen for the first time (arrays in its dtype)."""
        return {}

    def _update(self, param, grad, state, group):
        """Apply one step to the arrays `param` (in place) given `grad` and `state`."""
        raise NotImplementedError

    # ------------------------------------------------------------------ checkpoints
    def _indexed_params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self):
        """A snapshot {"state": {index: {name: array or number}}, "param_groups": [...]}.

        Arrays are copies, so training on does not change a snapshot already taken.
        """
        params = self._indexed_params()
        state = {}
        for index, p in enumerate(params):
            if p in self.state:
                state[index] = {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v
                                for k, v in self.state[p].items()}
        groups, start = [], 0
        for group in self.param_groups:
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = list(range(start, start + len(group["params"])))
            start += len(group["params"])
            groups.append(saved)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a `state_dict()` into this optimiser (same group sizes, same order).

        Everything is checked before anything is applied: on a StateDictError (a
        missing entry, another group layout, a state for a parameter index that
        does not exist, an array of the wrong shape, a non-numeric value, an
        invalid option) the optimiser's state and param groups are untouched.
        """
        where = f"{self._name()}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise StateDictError(f"{where}: expected a dict with 'state' and 'param_groups', "
                                 f"got {type(state_dict).__name__}")
        missing = [key for key in ("state", "param_groups") if key not in state_dict]
        if missing:
            raise StateDictError(f"{where}: the state dict has no {missing} entry")
        options, by_index = self._checked_groups(state_dict["param_groups"], where)
        state = self._checked_state(state_dict["state"], by_index, where)
        self.state = state
        for group, saved_options in zip(self.param_groups, options):
            group.update(saved_options)

    def _checked_groups(self, saved_groups, where):
        """The options of each saved group (validated like a new group's) and the map
        saved parameter index -> this optimiser's parameter."""
        if not isinstance(saved_groups, Sequence) or isinstance(saved_groups, str):
            raise StateDictError(f"{where}: 'param_groups' must be a list of dicts, got "
                                 f"{type(saved_groups).__name__}")
        if len(saved_groups) != len(self.param_groups):
            raise StateDictError(f"{where}: the state has {len(saved_groups)} param groups "
                                 f"but the optimiser has {len(self.param_groups)}")
        options, by_index = [], {}
        for number, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if not isinstance(saved, Mapping) or not isinstance(saved.get("params"), Sequence):
                raise StateDictError(f"{where}: param group {number} must be a dict with a "
                                     f"'params' list, got {saved!r}")
            if len(saved["params"]) != len(group["params"]):
                raise StateDictError(
                    f"{where}: param group {number} has {len(saved['params'])} parameters "
                    f"in the state but {len(group['params'])} in the optimiser")
            for key, param in zip(saved["params"], group["params"]):
                index = _as_index(key, f"{where}: param group {number} lists")
                if index in by_index:
                    raise StateDictError(f"{where}: parameter index {index} is listed twice "
                                         "in the saved param groups")
                by_index[index] = param
            candidate = {**group, **{k: tuple(v) if isinstance(v, list) else v
                                     for k, v in saved.items() if k != "params"}}
            try:
                self._validate_group(candidate)
            except (ValueError, TypeError, GraphError, DeviceError) as error:
                raise StateDictError(f"{where}: param group {number}: {error}") from error
            options.append({k: v for k, v in candidate.items() if k != "params"})
        return options, by_index

    def _checked_state(self, saved_state, by_index, where):
        """{param: state} built from the saved {index: {name: value}}, every entry checked."""
        if not isinstance(saved_state, Mapping):
            raise StateDictError(f"{where}: 'state' must be a dict index -> dict, got "
                                 f"{type(saved_state).__name__}")
        state = {}
        for key, values in saved_state.items():
            index = _as_index(key, f"{where}: the state has an entry for")
            if index not in by_index:
                raise StateDictError(
                    f"{where}: a bad optimiser state index: the state has an entry for "
                    f"parameter {key!r}, but the param groups hold parameters "
                    f"0..{len(by_index) - 1}")
            if not isinstance(values, Mapping):
                raise StateDictError(f"{where}: the state of parameter {index} must be a "
                                     f"dict, got {type(values).__name__}")
            state[by_index[index]] = self._checked_param_state(values, by_index[index], index,
                                                               where)
        return state

    def _checked_param_state(self, values, param, index, where):
        missing = [name for name in self.required_state if values.get(name) is None]
        if missing:
            raise StateDictError(
                f"{where}: the state of parameter {index} has no {missing[0]!r} entry; "
                f"{self._name()} keeps {list(self.required_state)} for every parameter")
        checked = {}
        for name, value in values.items():
            if self.state_spec is None:
                kind = "array" if isinstance(value, np.ndarray) else "number"
            elif name in self.state_spec:
                kind = self.state_spec[name]
            else:
                raise StateDictError(
                    f"{where}: the state of parameter {index} has an unexpected entry "
                    f"{name!r}; {self._name()} keeps {sorted(self.state_spec)}")
            if value is None:  # an optional buffer not created yet (PyTorch saves None)
                continue
            label = f"{where}: state {name!r} of parameter {index}"
            checked[name] = _CHECKERS[kind](value, param, label)
        return checked


def _as_index(key, context):
    """A parameter index from a state-dict key: an int, or its digits (after JSON)."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return int(key)
    if isinstance(key, str) and key.isdigit():
        return int(key)
    raise StateDictError(f"{context} {key!r}, which is not a parameter index (0, 1, ...)")


def _checked_array(value, param, label):
    """A copy of a saved state array, in the parameter's dtype, shape-checked."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise StateDictError(f"{label} is not numeric: dtype {array.dtype}")
    if array.shape != param.shape:
        raise StateDictError(f"{label} has shape {array.shape} but the parameter has shape "
                             f"{param.shape}")
    return np.array(array, dtype=param.dtype, copy=True)


def _checked_number(value, param, label):
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise StateDictError(f"{label} must be a number, got {value!r}")
    return value


def _checked_count(value, param, label):
    """A step count: a whole number >= 0 (a float 3.0 from another tool is fine)."""
    value = _checked_number(value, param, label)
    if not (value >= 0 and float(value).is_integer()):
        raise StateDictError(f"{label} must be a whole number >= 0, got {value!r}")
    return int(value)


_CHECKERS = {"array": _checked_array, "number": _checked_number, "count": _checked_count}


def flatten_state_dict(state_dict, prefix=""):
    """{str: np.ndarray} form of an optimiser's state_dict, for np.savez(allow_pickle=False).

    Arrays go to keys "<prefix>state/<index>/<name>"; everything else (step counts,
    the param groups' numbers, extra top-level entries such as a wrapper's counter)
    goes, as JSON text, into "<prefix>meta".
    """
    flat, scalars = {}, {}
    for index, values in state_dict["state"].items():
        for name, value in values.items():
            if isinstance(value, np.ndarray):
                flat[f"{prefix}state/{index}/{name}"] = value
            else:
                scalars.setdefault(str(index), {})[name] = value
    extra = {k: v for k, v in state_dict.items() if k not in ("state", "param_groups")}
    meta = {"param_groups": state_dict["param_groups"], "scalars": scalars, "extra": extra}
    flat[f"{prefix}meta"] = np.array(json.dumps(meta))
    return flat


def unflatten_state_dict(flat, prefix=""):
    """Inverse of `flatten_state_dict` (accepts the dict or a loaded NpzFile)."""
    meta = json.loads(str(np.asarray(flat[f"{prefix}meta"]).item()))
    state = {int(i): dict(values) for i, values in meta["scalars"].items()}
    head = f"{prefix}state/"
    for key in flat:
        if key.startswith(head):
            index, name = key[len(head):].split("/", 1)
            state.setdefault(int(index), {})[name] = np.asarray(flat[key])
    return {"state": state, "param_groups": meta["param_groups"], **meta["extra"]}
