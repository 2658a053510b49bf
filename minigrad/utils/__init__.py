"""Utilities that work on whole computations, and `minigrad.utils.data`, PyTorch's
home for datasets, samplers and loaders.

    recompute.py    gradient checkpointing: recompute a segment's forward in backward
    checkpoint.py   the same names at PyTorch's path (torch.utils.checkpoint)
(Checkpoint *files*, to resume a training run, are minigrad/train/checkpoint.py.)
"""

# Through PyTorch's path, so the submodule is loaded here and a later
# `import minigrad.utils.checkpoint` cannot rebind mg.utils.checkpoint to it.
from minigrad.utils.checkpoint import checkpoint, checkpoint_sequential

__all__ = ["checkpoint", "checkpoint_sequential", "data"]


def __getattr__(name):
    """`mg.utils.data` imports on first use, as `torch.utils.data` is reached."""
    if name == "data":
        import importlib

        return importlib.import_module("minigrad.utils.data")
    raise AttributeError(f"module 'minigrad.utils' has no attribute {name!r}")
