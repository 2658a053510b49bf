"""The one random generator that initialisation, dropout, augmentation and
data shuffling draw from, so that `mg.manual_seed(0)` makes a run repeatable.
"""

import json

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reseed the global generator. Returns it, like torch.manual_seed."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator():
    """The current global `np.random.Generator`."""
    return _generator


def get_rng_state():
    """The generator's state as a JSON string (storable in an .npz without pickle)."""
    return json.dumps(_generator.bit_generator.state)


def set_rng_state(state):
    """Restore a state produced by `get_rng_state`."""
    if isinstance(state, (bytes, np.ndarray)):
        state = str(np.asarray(state).item() if isinstance(state, np.ndarray) else state.decode())
    _generator.bit_generator.state = json.loads(state)
