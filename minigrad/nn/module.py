"""Module and Parameter: how layers hold their weights and compose.

A Module is an object whose attributes may be Parameters (learned tensors),
buffers (state that is saved but not learned, such as BatchNorm's running mean)
and other Modules. Assigning an attribute files it in the right registry:

    class TwoLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(4, 8)      # a submodule
            self.scale = nn.Parameter(mg.ones(8))   # a parameter
            self.register_buffer("steps", np.zeros(()))  # a buffer

so that `named_parameters()` finds "hidden.weight", "hidden.bias", "scale";
`state_dict()` adds "steps"; `train()/eval()` reach every submodule.
"""

import copy
from collections import OrderedDict

import numpy as np

from minigrad.autograd import Function, is_grad_enabled, no_grad
from minigrad.device import check_device
from minigrad.device import device as mg_device
from minigrad.dtypes import resolve_dtype
from minigrad.errors import DeviceError, DTypeError, GraphError, ShapeError, StateDictError
from minigrad.tensor import Tensor

__all__ = ["Module", "Parameter", "RemovableHandle"]


class Parameter(Tensor):
    """A Tensor that is a learned weight of a Module: requires_grad=True by default.

    Parameter(tensor_or_array): shares the data of a Tensor, or wraps an array as is
    (NumPy float data keeps its dtype; lists become float32).
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.zeros(0, dtype=np.float32)
        super().__init__(data._data if isinstance(data, Tensor) else data,
                         requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        clone = Parameter(self._data.copy(), requires_grad=self.requires_grad)
        memo[id(self)] = clone
        return clone


class RemovableHandle:
    """Returned by hook registration; `handle.remove()` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self._hooks.pop(self.id, None)


class Module:
    """Base class of every layer and model. Subclasses write `forward`."""

    def __init__(self):
        # object.__setattr__: our own __setattr__ needs these dicts to exist first
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ attributes
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before "
                                 f"assigning attributes (while setting {name!r})")
        if name in self._parameters and not isinstance(value, Parameter) and value is not None:
            # e.g. `self.weight = self.weight * 2` would silently drop the parameter
            raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} "
                            f"to parameter {name!r} (an nn.Parameter or None is expected); "
                            f"to change its values use `self.{name}.data = ...`")
        was_parameter = name in self._parameters
        self._forget(name)
        if isinstance(value, Parameter) or (value is None and was_parameter):
            self._parameters[name] = value  # None: "this layer has no such weight"
        elif isinstance(value, Module):
            self._modules[name] = value
        elif name in self._buffers:
            self._buffers[name] = _as_buffer(value)
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        """Remove `name` from every registry except the one it is being set in."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._modules):
            registry.pop(name, None)

    def __getattr__(self, name):  # only called when normal lookup fails
        for registry in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(registry)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Add a Parameter (or None, meaning 'this layer has no such weight')."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, "
                            f"got {type(param).__name__}")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name, value):
        """Add state that is saved in state_dict but not learned (array, Tensor or None)."""
        self._forget(name)
        self._buffers[name] = _as_buffer(value)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    # ------------------------------------------------------------------ calling
    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *inputs, **kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            replaced = hook(self, inputs)
            if replaced is not None:
                inputs = replaced if isinstance(replaced, tuple) else (replaced,)
        watcher = None
        if self._backward_hooks and is_grad_enabled():
            watcher = _BackwardHookWatcher(self, list(self._backward_hooks.values()))
            inputs = watcher.wrap_inputs(inputs)
        output = self.forward(*inputs, **kwargs)
        for hook in list(self._forward_hooks.values()):
            replaced = hook(self, inputs, output)
            if replaced is not None:
                output = replaced
        return watcher.wrap_output(output) if watcher is not None else output

    def register_forward_hook(self, hook):
        """hook(module, inputs, output) -> None or a replacement output, run after
        forward. Returns a handle; `handle.remove()` unregisters it."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_forward_pre_hook(self, hook):
        """hook(module, inputs) -> None or replacement inputs, run before forward."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_full_backward_hook(self, hook):
        """hook(module, grad_input, grad_output) -> None or a replacement grad_input,
        run in backward once the gradients with respect to the module's inputs are
        known. grad_input / grad_output are tuples (None for inputs that need no
        gradient). Replacing grad_input is supported for single-input modules."""
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix="", memo=None):
        """(dotted name, module) for this module and every descendant, each once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self):
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry, prefix, recurse):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))  # a shared (tied) weight is listed once
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter) pairs, e.g. ('0.weight', ...) in a Sequential."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ------------------------------------------------------------------ modes
    def train(self, mode=True):
        """Training mode (dropout active, batch statistics), for self and descendants."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """Evaluation mode: dropout off, BatchNorm uses running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Freeze (False) or unfreeze every parameter, e.g. for fine-tuning."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's .grad (None, or zeros when set_to_none=False)."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad = Tensor(np.zeros_like(param._data))

    def apply(self, fn):
        """Call fn(module) on every submodule (children first) and on self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, *args, dtype=None, device=None, non_blocking=False):
        """PyTorch's module.to(device), to(dtype), to(device, dtype): the device must be
        the CPU; a floating dtype converts every floating parameter and buffer in place.
        Returns the module itself."""
        for arg in args:
            if isinstance(arg, (str, mg_device)) or (isinstance(arg, int)
                                                     and not isinstance(arg, bool)):
                device = arg if device is None else device
            elif isinstance(arg, Tensor):
                dtype = arg.dtype if dtype is None else dtype
            else:
                dtype = arg if dtype is None else dtype
        check_device(device, f"{type(self).__name__}.to")
        dtype = resolve_dtype(dtype, f"{type(self).__name__}.to")
        if dtype is None:
            return self
        if np.dtype(dtype).kind != "f":
            raise DTypeError(f"{type(self).__name__}.to: only floating dtypes can be given "
                             f"to a module, got {np.dtype(dtype)}")
        for tensor in list(self.parameters()) + list(self.buffers()):
            if tensor.dtype.kind == "f":
                tensor._data = tensor._data.astype(dtype)
                tensor._version.value += 1
        return self

    def cpu(self):
        return self

    def cuda(self, device=None):
        raise DeviceError(f"{type(self).__name__}.cuda: minigrad runs on the CPU only; "
                          "mg.cuda.is_available() is False")

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    # ------------------------------------------------------------------ state
    def state_dict(self):
        """Dotted name -> np.ndarray copy of every parameter and buffer."""
        state = OrderedDict()
        for name, param in self.named_parameters():
            state[name] = param._data.copy()
        for name, buffer in self.named_buffers():
            state[name] = buffer._data.copy()
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays into the parameters and buffers of the same names.

        All or nothing: every entry is checked before any is copied.
        strict=True: the keys must match exactly; missing or unexpected keys raise a
        StateDictError (both a KeyError and, as in PyTorch, a RuntimeError) naming
        them. A shape mismatch raises ShapeError; a value that is not numbers, or
        that an integer buffer cannot hold exactly (1.5, NaN), raises StateDictError.
        Returns (missing_keys, unexpected_keys).
        """
        own = OrderedDict(list(self.named_parameters()) + list(self.named_buffers()))
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        if strict and (missing or unexpected):
            raise StateDictError(f"load_state_dict for {type(self).__name__}: missing keys "
                                 f"{missing}, unexpected keys {unexpected}")
        values = {key: self._checked_entry(key, state_dict[key], own[key]._data)
                  for key in own if key in state_dict}
        with no_grad():
            for key, value in values.items():
                own[key].copy_(value)
        return missing, unexpected

    def _checked_entry(self, key, value, target):
        """`value` as an array of the shape and dtype of `target` (an ndarray), or an
        error naming `key`."""
        where = f"load_state_dict for {type(self).__name__}: {key!r}"
        try:
            value = np.asarray(value._data if isinstance(value, Tensor) else value)
        except (TypeError, ValueError) as exc:
            raise StateDictError(f"{where} is not an array ({exc})") from None
        if value.dtype.kind not in "biuf":
            raise StateDictError(f"{where} holds {value.dtype} values; numbers castable to "
                                 f"{target.dtype} are expected")
        if value.shape != target.shape:
            raise ShapeError(f"{where} has shape {target.shape} in the model but "
                             f"{value.shape} in the state dict")
        with np.errstate(invalid="ignore"):  # NaN into an integer: reported just below
            cast = value.astype(target.dtype)
        if target.dtype.kind in "biu" and not np.array_equal(cast, value):
            raise StateDictError(f"{where} holds values a {target.dtype} buffer cannot "
                                 f"hold exactly (e.g. {value.flat[np.argmax(cast != value)]})")
        return cast

    def __deepcopy__(self, memo):
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        for key, value in self.__dict__.items():
            object.__setattr__(clone, key, copy.deepcopy(value, memo))
        return clone

    # ------------------------------------------------------------------ repr
    def extra_repr(self):
        """One line of configuration shown in repr, e.g. 'in_features=4, ...'."""
        return ""

    def num_parameters(self):
        return int(sum(param.numel() for param in self.parameters()))

    def __repr__(self):
        return "\n".join(self._repr_lines()) + f"\n# {self.num_parameters():,} parameters"

    def _repr_lines(self):
        """The tree: one line per module, its own parameter shapes, children indented."""
        name, extra = type(self).__name__, self.extra_repr()
        shapes = ", ".join(f"{key} {tuple(p.shape)}"
                           for key, p in self._parameters.items() if p is not None)
        suffix = f"  [{shapes}]" if shapes else ""
        if not self._modules:
            return [f"{name}({extra}){suffix}"]
        lines = [f"{name}({extra}{suffix}"]
        for key, child in self._modules.items():
            child_lines = child._repr_lines() if child is not None else ["None"]
            count = child.num_parameters() if child is not None else 0
            lines.append(f"  ({key}): {child_lines[0]}" + (f"  # {count:,} params"
                                                          if count else ""))
            lines.extend("  " + line for line in child_lines[1:])
        lines.append(")")
        return lines


class _HookIdentity(Function):
    """y = x; a graph node whose incoming gradient the backward hooks can see."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class _BackwardHookWatcher:
    """Puts identity nodes on a module's inputs and output, collects the gradients
    arriving there in backward and calls the module's full backward hooks."""

    def __init__(self, module, hooks):
        self.module, self.hooks = module, hooks
        self.grad_output = None
        self.grad_input = []
        self.waiting = 0

    def wrap_inputs(self, inputs):
        wrapped = []
        self.grad_input = [None] * len(inputs)
        for index, value in enumerate(inputs):
            if isinstance(value, Tensor) and value.requires_grad:
                value = _HookIdentity.apply(value)
                value.grad_fn.register_prehook(
                    lambda grad, index=index: self._input_grad(index, grad))
                self.waiting += 1
            wrapped.append(value)
        self.expected = self.waiting
        return tuple(wrapped)

    def wrap_output(self, output):
        if not isinstance(output, Tensor) or not output.requires_grad:
            return output
        output = _HookIdentity.apply(output)
        output.grad_fn.register_prehook(self._output_grad)
        return output

    def _output_grad(self, grad):
        self.grad_output = grad
        if self.expected == 0:  # no input needs a gradient: the hook sees only grad_output
            self._call_hooks()

    def _input_grad(self, index, grad):
        self.grad_input[index] = grad
        self.waiting -= 1
        if self.waiting == 0:
            self.waiting = self.expected  # ready for another backward (retain_graph)
            return self._call_hooks(index)
        return None

    def _call_hooks(self, index=None):
        replacement = None
        for hook in self.hooks:
            result = hook(self.module, tuple(self.grad_input), (self.grad_output,))
            if result is not None:
                if self.expected != 1:
                    raise GraphError(f"{type(self.module).__name__}: a full backward hook may "
                                     "replace grad_input only for modules with one input "
                                     "that requires grad")
                self.grad_input = list(result)
                replacement = self.grad_input[index]
        return replacement


def _as_buffer(value):
    if value is None or isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value))
