"""Random number generators, as PyTorch names them.

One global generator feeds initialisation, dropout, augmentation and data
shuffling, so that `mg.manual_seed(0)` makes a run repeatable. A `Generator` of
one's own (`g = mg.Generator().manual_seed(0)`) is an independent stream, accepted
as `generator=` by the random constructors, samplers and loaders; Karpathy's
makemore, for instance, draws everything from one such `g`.

Each `Generator` wraps a NumPy `np.random.Generator` (PCG64, seeded through
NumPy's SeedSequence: `manual_seed(s)` gives the stream of
`np.random.default_rng(s)`). Its NumPy methods pass straight through, so code
written for an `np.random.Generator` (`g.permutation(n)`, `g.standard_normal(shape)`)
takes a minigrad Generator unchanged, and `numpy_generator(...)` turns either kind,
or None for the global one, into the NumPy generator to draw from.
"""

import json
import os

import numpy as np

from minigrad.device import check_device
from minigrad.errors import MinigradError

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "default_generator",
           "get_rng_state", "set_rng_state", "numpy_generator"]

_SEED_MODULUS = 2 ** 64  # PyTorch's seeds are unsigned 64-bit: -1 means 2**64 - 1


def _check_seed(seed, op_name):
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{op_name}: the seed must be an integer, got "
                        f"{type(seed).__name__} {seed!r}")
    if not -2 ** 63 <= int(seed) < _SEED_MODULUS:
        raise ValueError(f"{op_name}: the seed {seed} does not fit in 64 bits")
    return int(seed) % _SEED_MODULUS


def _fresh_seed():
    """A non-deterministic 64-bit seed from the operating system's entropy."""
    return int.from_bytes(os.urandom(8), "little")


class Generator:
    """An independent random stream: PyTorch's `torch.Generator`.

        g = mg.Generator().manual_seed(2147483647)
        mg.randn(27, 27, generator=g)          # same seed -> same values

    A new Generator is seeded from fresh OS entropy (see `initial_seed()`), like
    `np.random.default_rng()`. Every NumPy method (`permutation`, `integers`,
    `standard_normal`, ...) is the wrapped np.random.Generator's.
    """

    def __init__(self, device="cpu"):
        self.device = check_device(device, "Generator")
        self.manual_seed(_fresh_seed())

    def manual_seed(self, seed):
        """Restart the stream from `seed` (an int, or a NumPy SeedSequence). Returns self."""
        self._initial_seed = _check_seed(seed, "Generator.manual_seed")
        self._numpy = np.random.default_rng(self._initial_seed)
        return self

    def seed(self):
        """Reseed from fresh OS entropy; returns the new seed."""
        new_seed = _fresh_seed()
        self.manual_seed(new_seed)
        return new_seed

    def initial_seed(self):
        """The seed the stream was last started from."""
        return self._initial_seed

    @property
    def numpy_generator(self):
        """The wrapped np.random.Generator (its identity changes with manual_seed)."""
        return self._numpy

    def get_state(self):
        """The stream's position as a uint8 Tensor (PyTorch returns a ByteTensor too):
        the bytes of the JSON-encoded bit-generator state, storable anywhere."""
        from minigrad.tensor import Tensor

        encoded = _state_json(self._numpy).encode()
        return Tensor(np.frombuffer(encoded, dtype=np.uint8).copy())

    def set_state(self, state):
        """Restore a position saved by `get_state()` or `mg.get_rng_state()`. Returns self."""
        self._numpy.bit_generator.state = _decode_state(state)
        return self

    def __getattr__(self, name):
        # Only reached for names not defined above: NumPy's sampling methods.
        if name.startswith("__") or name == "_numpy":
            raise AttributeError(name)
        return getattr(self._numpy, name)

    def __repr__(self):
        return f"<minigrad.Generator initial_seed={self._initial_seed!r}>"


def _state_json(numpy_generator):
    return json.dumps(numpy_generator.bit_generator.state)


def _decode_state(state):
    """A bit-generator state dict from any stored form: a JSON string or its bytes,
    a uint8 array or Tensor of those bytes, or a 0-d string array (from an .npz)."""
    if hasattr(state, "numpy") and not isinstance(state, np.ndarray):
        state = state.numpy()
    if isinstance(state, np.ndarray):
        state = state.tobytes() if state.dtype == np.uint8 else str(state.item())
    if isinstance(state, (bytes, bytearray)):
        state = state.decode()
    if not isinstance(state, str):
        raise TypeError(f"set_state: expected a state from get_state() or get_rng_state(), "
                        f"got {type(state).__name__}")
    try:
        return json.loads(state)
    except json.JSONDecodeError:
        raise MinigradError("set_state: the state is not one that get_state() or "
                            "get_rng_state() produced (not valid JSON)") from None


_default = Generator()


def default_generator():
    """The global Generator (PyTorch's torch.default_generator)."""
    return _default


def manual_seed(seed):
    """Reseed the global generator. Returns it, like torch.manual_seed."""
    return _default.manual_seed(seed)


def seed():
    """Reseed the global generator from OS entropy; returns the seed (torch.seed)."""
    return _default.seed()


def initial_seed():
    """The seed the global generator was last started from (torch.initial_seed)."""
    return _default.initial_seed()


def get_rng_state():
    """The global generator's state as a JSON string (storable in an .npz without pickle)."""
    return _state_json(_default.numpy_generator)


def set_rng_state(state):
    """Restore a state produced by `get_rng_state` (or `Generator.get_state`)."""
    _default.set_state(state)


def numpy_generator(generator, op_name="generator"):
    """The np.random.Generator to draw from: the global one for None, the wrapped one
    for a minigrad Generator, a NumPy Generator as it is."""
    if generator is None:
        return _default.numpy_generator
    if isinstance(generator, Generator):
        return generator.numpy_generator
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"{op_name}: generator must be a minigrad.Generator or an "
                    f"np.random.Generator, got {type(generator).__name__} {generator!r}")
