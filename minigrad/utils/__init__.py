"""Utilities that work on whole computations (gradient checkpointing), and
`minigrad.utils.data`, PyTorch's home for datasets, samplers and loaders."""

from minigrad.utils.checkpoint import checkpoint, checkpoint_sequential

__all__ = ["checkpoint", "checkpoint_sequential", "data"]


def __getattr__(name):
    """`mg.utils.data` imports on first use, as `torch.utils.data` is reached."""
    if name == "data":
        import importlib

        return importlib.import_module("minigrad.utils.data")
    raise AttributeError(f"module 'minigrad.utils' has no attribute {name!r}")
