"""Utilities that work on whole computations: gradient checkpointing."""

from minigrad.utils.checkpoint import checkpoint, checkpoint_sequential

__all__ = ["checkpoint", "checkpoint_sequential"]
