"""Trigonometric functions and the logarithms to other bases.

sin and cos are primitives; log2 and log10 are ln scaled by a constant, so their
gradients (of any order) come from Log's.
"""

import math

import numpy as np

from minigrad.autograd import Function
from minigrad.ops import elementwise as ew


def _floating(x):
    """Integer and bool inputs give float32 results, as in PyTorch."""
    return x if x.dtype.kind == "f" else x.astype(np.float32)


class Sin(Function):
    """y = sin(x).   dy/dx = cos(x).

    Shapes: x (any) -> y (same).
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(_floating(x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * cos(x)


class Cos(Function):
    """y = cos(x).   dy/dx = -sin(x).

    Shapes: x (any) -> y (same).
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(_floating(x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -(grad * sin(x))


def sin(x):
    return Sin.apply(x)


def cos(x):
    return Cos.apply(x)


def log2(x):
    """log2(x) = ln(x) / ln 2."""
    return ew.log(x) * (1.0 / math.log(2.0))


def log10(x):
    """log10(x) = ln(x) / ln 10."""
    return ew.log(x) * (1.0 / math.log(10.0))
