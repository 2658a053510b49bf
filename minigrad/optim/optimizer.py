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

Checkpoints. `state_dict()` refers to parameters by their position in the
groups (0, 1, 2, ... in order), never by identity, so it can be loaded into a
freshly built model. Its values are NumPy arrays and plain Python numbers;
`flatten_state_dict` turns it into {str: np.ndarray} for `np.savez(...,
allow_pickle=False)`, and `unflatten_state_dict` turns it back.
"""

import json

import numpy as np

from minigrad.autograd import enable_grad, no_grad
from minigrad.tensor import Tensor

__all__ = ["Optimizer", "flatten_state_dict", "unflatten_state_dict", "check_hyperparameter"]


def check_hyperparameter(owner, name, value, minimum=0.0, below=None):
    """Raise a ValueError naming `owner`, `name` and `value` unless minimum <= value (< below)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: {name} must be a number, got {value!r}") from None
    if not number >= minimum:  # also rejects nan
        raise ValueError(f"{owner}: invalid {name} {value!r}; expected {name} >= {minimum}")
    if below is not None and not number < below:
        raise ValueError(
            f"{owner}: invalid {name} {value!r}; expected {minimum} <= {name} < {below}"
        )


def _mark_updated(param):
    """Count an in-place update of the parameter's array in its version counter, so a
    graph node that saved the old value refuses to backpropagate through it."""
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
    """

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
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    self._update(p._data, p.grad._data, self._state_for(p, group), group)
                    _mark_updated(p)
        return loss

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
        """Restore a `state_dict()` into this optimiser (same group sizes, same order)."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{self._name()}.load_state_dict: the state has {len(saved_groups)} param "
                f"groups but the optimiser has {len(self.param_groups)}"
            )
        for index, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{self._name()}.load_state_dict: param group {index} has "
                    f"{len(saved['params'])} parameters in the state but "
                    f"{len(group['params'])} in the optimiser"
                )
        by_index = {}
        for saved, group in zip(saved_groups, self.param_groups):
            by_index.update(zip(saved["params"], group["params"]))
        state = {}
        for index, values in state_dict["state"].items():
            p = by_index[int(index)]
            state[p] = {k: self._loaded_array(v, p, int(index), k)
                        if isinstance(v, np.ndarray) else v for k, v in values.items()}
        self.state = state
        for saved, group in zip(saved_groups, self.param_groups):
            group.update({k: tuple(v) if isinstance(v, list) else v
                          for k, v in saved.items() if k != "params"})

    def _loaded_array(self, value, param, index, name):
        """A copy of a saved state array, in the parameter's dtype, shape-checked."""
        if value.shape != param.shape:
            raise ValueError(
                f"{self._name()}.load_state_dict: state {name!r} of parameter {index} has "
                f"shape {value.shape} but the parameter has shape {param.shape}"
            )
        return np.array(value, dtype=param.dtype, copy=True)


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
