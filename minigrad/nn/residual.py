"""Residual blocks (He et al. 2016, arXiv:1512.03385) and stochastic depth."""

import numpy as np

from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.container import Sequential
from minigrad.nn.conv import Conv2d
from minigrad.nn.linear import Identity
from minigrad.nn.module import Module
from minigrad.nn.normalization import BatchNorm2d
from minigrad.rng import default_generator
from minigrad.tensor import Tensor

__all__ = ["StochasticDepth", "BasicBlock", "stochastic_depth"]


def stochastic_depth(input, p, mode="row", training=True):  # noqa: A002
    """Drop a residual branch (Huang et al. 2016, arXiv:1603.09382).

    In training, the branch output is zeroed with probability p, per sample
    (mode='row', one draw per index of axis 0) or for the whole batch ('batch'),
    and survivors are scaled by 1/(1 - p), so that evaluation is the identity.
    input: (N, ...) -> same.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"stochastic_depth: p must be in [0, 1], got {p}")
    if mode not in ("row", "batch"):
        raise ValueError(f"stochastic_depth: mode must be 'row' or 'batch', got {mode!r}")
    if not training or p == 0.0:
        return input
    shape = (input.shape[0],) + (1,) * (input.ndim - 1) if mode == "row" else (1,) * input.ndim
    keep = default_generator().random(shape) >= p
    scale = keep / (1.0 - p) if p < 1.0 else np.zeros(shape)
    return input * Tensor._make(scale.astype(input.dtype), False, None)


class StochasticDepth(Module):
    """Module form of stochastic_depth: wrap the residual branch's output."""

    def __init__(self, p, mode="row"):
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x):
        return stochastic_depth(x, self.p, self.mode, self.training)

    def extra_repr(self):
        return f"p={self.p}, mode={self.mode!r}"


class BasicBlock(Module):
    """ResNet basic block:  y = relu(drop(bn2(conv2(relu(bn1(conv1(x)))))) + shortcut(x)).

    conv1: 3x3 with `stride`, conv2: 3x3; the shortcut is the identity, or a 1x1
    convolution + BatchNorm when the stride or channel count changes (option B).
    x: (N, in_channels, H, W) -> (N, out_channels, H / stride, W / stride).

    zero_init: None, 'bn' (gamma of bn2 = 0) or 'conv' (conv2 weights = 0): the block
    starts as the identity, which helps very deep nets train (Goyal et al. 2017,
    arXiv:1706.02677, sec. 5.1). drop_prob: stochastic depth on the residual branch.
    """

    expansion = 1
    fold_pairs = (("conv1", "bn1"), ("conv2", "bn2"))

    def __init__(self, in_channels, out_channels, stride=1, zero_init=None, drop_prob=0.0):
        super().__init__()
        if zero_init not in (None, "bn", "conv"):
            raise ValueError(f"BasicBlock: zero_init must be None, 'bn' or 'conv', got "
                             f"{zero_init!r}")
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = BatchNorm2d(out_channels)
        self.conv2 = Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = BatchNorm2d(out_channels)
        self.drop = StochasticDepth(drop_prob) if drop_prob else Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = Sequential(
                Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                BatchNorm2d(out_channels))
        else:
            self.shortcut = Identity()
        if zero_init == "bn":
            init.zeros_(self.bn2.weight)
        elif zero_init == "conv":
            init.zeros_(self.conv2.weight)

    def forward(self, x):
        branch = F.relu(self.bn1(self.conv1(x)))
        branch = self.drop(self.bn2(self.conv2(branch)))
        return F.relu(branch + self.shortcut(x))
