"""PyTorch's path for gradient checkpointing, `torch.utils.checkpoint.checkpoint`.

The code lives in minigrad/utils/recompute.py: "checkpoint" here means a segment
whose forward is recomputed during backward, not a file. Files that resume a
training run are minigrad/train/checkpoint.py.
"""

from minigrad.utils.recompute import Checkpoint, checkpoint, checkpoint_sequential

__all__ = ["Checkpoint", "checkpoint", "checkpoint_sequential"]
