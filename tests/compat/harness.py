"""Run one PyTorch teaching program on minigrad and on PyTorch, with the same draws.

Each program in tests/compat/programs/ is written as its original is written, for
PyTorch, with only the imports changed to minigrad's (`import minigrad as torch`,
...). It defines `main()` and returns a dict of what it computed (losses, accuracies,
final weights). `run_on_minigrad(name)` runs it as it stands; `run_on_pytorch(name)`
runs the same source with the imports changed back to PyTorch's.

The two libraries' random streams differ, so the minigrad run records every random
draw the program makes (tensors from randn/randint/..., the values initialisation
leaves in a parameter, a dropout mask, a shuffled order) on a tape, and the PyTorch
run is handed the same values in the same order. A draw the PyTorch run asks for
that the tape does not have at that point (another function, shape or order) is an
error: the two programs would not be the same program.
"""

import contextlib
import importlib
import pathlib
import re
import types

import numpy as np

PROGRAMS = pathlib.Path(__file__).parent / "programs"

# draws that create a tensor: torch.<name>(...) in both libraries
CREATING = ("randn", "rand", "randint", "randperm", "normal", "multinomial", "randn_like",
            "rand_like")
# draws that fill a tensor in place: nn.init.<name>(tensor, ...)
FILLING = ("uniform_", "normal_", "kaiming_uniform_", "kaiming_normal_", "xavier_uniform_",
           "xavier_normal_", "orthogonal_", "trunc_normal_")
# draws that fill a tensor in place: tensor.<name>(...)
FILLING_METHODS = ("normal_", "uniform_")


# minigrad's modules that stand for PyTorch's of the same name; minigrad.data (the
# data shipped with minigrad, standing for torchvision's downloads) stays as it is
UNDER_PYTORCH_NAMES = ("minigrad", "minigrad.nn", "minigrad.nn.functional", "minigrad.nn.init",
                       "minigrad.optim", "minigrad.optim.lr_scheduler", "minigrad.utils",
                       "minigrad.utils.data", "minigrad.autograd")
_IMPORT = re.compile(r"^(\s*(?:from|import) )(minigrad[\w.]*)(\b.*)$", re.M)


def source_for(name, library):
    """The program's source, with its PyTorch-named imports pointing at `library`."""
    text = (PROGRAMS / f"{name}.py").read_text()
    if library != "torch":
        return text

    def to_torch(match):
        head, module, rest = match.groups()
        if module not in UNDER_PYTORCH_NAMES:
            return match.group(0)
        rest = re.sub(r"^ as torch$", "", rest) if module == "minigrad" else rest
        return head + "torch" + module[len("minigrad"):] + rest

    return _IMPORT.sub(to_torch, text)


def _load(name, library):
    module = types.ModuleType(f"compat_{name}_{library}")
    module.__file__ = str(PROGRAMS / f"{name}.py")
    exec(compile(source_for(name, library), module.__file__, "exec"), module.__dict__)
    return module


def as_arrays(results):
    """Tensors (of either library) and lists of numbers -> NumPy arrays, recursively."""
    if isinstance(results, dict):
        return {key: as_arrays(value) for key, value in results.items()}
    if isinstance(results, (list, tuple)):
        return [as_arrays(value) for value in results]
    if hasattr(results, "detach"):
        results = results.detach()
    if hasattr(results, "numpy"):
        return np.array(results.numpy())
    return np.asarray(results)


class Tape:
    """The random draws of one run, in order: (what, shape, values)."""

    def __init__(self):
        self.entries = []
        self.depth = 0  # only the outermost draw counts (kaiming_uniform_ calls uniform_)

    def take(self, what, shape):
        if not self.entries:
            raise AssertionError(f"the PyTorch run drew {what}{tuple(shape)} but the "
                                 "minigrad run drew nothing more")
        recorded, recorded_shape, values = self.entries.pop(0)
        if (recorded, tuple(recorded_shape)) != (what, tuple(shape)):
            raise AssertionError(f"the PyTorch run drew {what}{tuple(shape)} where the "
                                 f"minigrad run drew {recorded}{tuple(recorded_shape)}")
        return values


@contextlib.contextmanager
def _outermost(tape):
    tape.depth += 1
    try:
        yield tape.depth == 1
    finally:
        tape.depth -= 1


def _patch(stack, owner, name, replacement):
    original = getattr(owner, name)
    setattr(owner, name, replacement)
    stack.callback(setattr, owner, name, original)
    return original


def _recording(tape, stack, owner, name, values_of):
    original = getattr(owner, name)

    def record(*args, **kwargs):
        with _outermost(tape) as outermost:
            result = original(*args, **kwargs)
            if outermost:
                values = np.array(values_of(result, args))
                tape.entries.append((name, values.shape, values))
            return result

    _patch(stack, owner, name, record)


def record_minigrad(stack, tape):
    """Patch minigrad's random entry points to write their results on the tape."""
    import minigrad
    import minigrad.nn.functional as F
    from minigrad.nn import init

    for name in CREATING:
        if hasattr(minigrad, name):
            _recording(tape, stack, minigrad, name, lambda result, args: result.numpy())
    for name in FILLING:
        if hasattr(init, name):
            _recording(tape, stack, init, name, lambda result, args: args[0].numpy())
    for name in FILLING_METHODS:
        _recording(tape, stack, minigrad.Tensor, name, lambda result, args: args[0].numpy())
    _patch(stack, F, "dropout", _dropout_drawing_with(minigrad))
    _patch_samplers(stack, tape, minigrad, replay=False)


def replay_on_pytorch(stack, tape):
    """Patch PyTorch's random entry points to hand back the tape's values."""
    import torch
    import torch.nn.functional as F
    from torch.nn import init

    def creating(name):
        original = getattr(torch, name)

        def replay(*args, **kwargs):
            with _outermost(tape) as outermost:
                if not outermost:
                    return original(*args, **kwargs)
                shape = tuple(original(*args, **kwargs).shape)
                values = tape.take(name, shape)
                result = torch.from_numpy(values.copy())
                return result.requires_grad_(bool(kwargs.get("requires_grad", False)))
        return replay

    def filling(original, name):
        def replay(tensor, *args, **kwargs):
            with _outermost(tape) as outermost:
                if not outermost:
                    return original(tensor, *args, **kwargs)
                values = tape.take(name, tuple(tensor.shape))
                with torch.no_grad():
                    tensor.copy_(torch.from_numpy(values))
                return tensor
        return replay

    for name in CREATING:
        _patch(stack, torch, name, creating(name))
    for name in FILLING:
        _patch(stack, init, name, filling(getattr(init, name), name))
    for name in FILLING_METHODS:
        _patch(stack, torch.Tensor, name, filling(getattr(torch.Tensor, name), name))
    _patch(stack, F, "dropout", _dropout_drawing_with(torch))
    _patch_samplers(stack, tape, torch, replay=True)


def _dropout_drawing_with(library):
    """Inverted dropout whose mask comes from library.rand (so it is on the tape):
    y = x * (u >= p) / (1 - p), u ~ U[0, 1), in training; y = x otherwise."""
    def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
        if not training or p == 0:
            return input
        keep = (library.rand(*tuple(input.shape)) >= p).to(input.dtype)
        return input * keep * (1.0 / (1.0 - p))
    return dropout


def _patch_samplers(stack, tape, library, replay):
    """A shuffled epoch order is a draw too: RandomSampler's order goes on the tape.
    minigrad draws it in index_chunks() (its loader fetches whole batches from those);
    PyTorch's loader iterates the sampler."""
    sampler = importlib.import_module(f"{library.__name__}.utils.data").RandomSampler
    if replay:
        def iterate(self):
            return iter(int(i) for i in tape.take("RandomSampler", (len(self),)))
        _patch(stack, sampler, "__iter__", iterate)
        return
    original = sampler.index_chunks

    def index_chunks(self):
        order = np.concatenate([np.asarray(chunk) for chunk in original(self)] or
                               [np.zeros(0, np.int64)])
        tape.entries.append(("RandomSampler", order.shape, order.copy()))
        yield order

    _patch(stack, sampler, "index_chunks", index_chunks)


def run_on_minigrad(name):
    """Run the program on minigrad; return (results as arrays, the tape of draws)."""
    tape = Tape()
    with contextlib.ExitStack() as stack:
        record_minigrad(stack, tape)
        results = _load(name, "minigrad").main()
    return as_arrays(results), tape


def run_on_pytorch(name, tape):
    """Run the same program on PyTorch with the minigrad run's draws."""
    with contextlib.ExitStack() as stack:
        replay_on_pytorch(stack, tape)
        results = _load(name, "torch").main()
    if tape.entries:
        raise AssertionError(f"the PyTorch run drew less than the minigrad run: "
                             f"{len(tape.entries)} draws left, next "
                             f"{tape.entries[0][0]}{tuple(tape.entries[0][1])}")
    return as_arrays(results)
