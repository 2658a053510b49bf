"""Resizing feature maps as PyTorch does: F.interpolate and nn.Upsample, modes
"nearest", "linear" (3-D input) and "bilinear" (4-D input).

Every output pixel reads input pixels at positions computed from its own, so the
resize is a gather (indexing with integer arrays) and, for the linear modes, a
weighted sum of two gathers per axis. Both are existing differentiable ops; the
backward (a scatter-add of the output gradient onto the pixels read) comes from
indexing's backward. Source coordinate of output index i along an axis of input size
n and output size m, with scale r = n / m (or 1 / scale_factor when it is given):

    nearest                      floor(i r), at most n - 1
    linear, align_corners=False  (i + 1/2) r - 1/2, at least 0   (pixel centres align)
    linear, align_corners=True   i (n - 1) / (m - 1)             (corner pixels align)

and a linear mode mixes the two neighbours floor(x) and floor(x) + 1 (clamped to
n - 1) with weights 1 - (x - floor(x)) and x - floor(x).
"""

import math

import numpy as np

from minigrad.errors import DTypeError
from minigrad.nn.module import Module
from minigrad.ops.shape import along
from minigrad.tensor import Tensor

__all__ = ["interpolate", "Upsample"]

_MODES = {"nearest": (3, 4), "linear": (3,), "bilinear": (4,)}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,  # noqa: A002
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial axes of input (N, C, L) or (N, C, H, W) to `size` (an int or
    one per axis) or by `scale_factor`, by `mode` (see the module docstring).
    -> (N, C, *size)."""
    op = "interpolate"
    if mode not in _MODES:
        raise ValueError(f"{op}: mode must be one of {sorted(_MODES)}, got {mode!r}")
    if input.ndim not in _MODES[mode]:
        raise ValueError(f"{op}: mode {mode!r} expects a "
                         f"{' or '.join(f'{d}-D' for d in _MODES[mode])} input (N, C, ...), "
                         f"got shape {tuple(input.shape)}")
    if np.dtype(input.dtype).kind != "f":
        raise DTypeError(f"{op}: expects a floating-point tensor, got dtype {input.dtype}")
    if antialias:
        raise NotImplementedError(f"{op}: antialias=True is not supported")
    if mode == "nearest" and align_corners is not None:
        raise ValueError(f"{op}: align_corners only applies to the linear modes")
    spatial = tuple(input.shape[2:])
    sizes, scales = _output_sizes(op, spatial, size, scale_factor, recompute_scale_factor)
    out = input
    for axis, (n, m, scale) in enumerate(zip(spatial, sizes, scales)):
        out = _resize_axis(out, 2 + axis, n, m, scale, mode, bool(align_corners))
    return out


def _output_sizes(op, spatial, size, scale_factor, recompute_scale_factor):
    """(output sizes, the scale r per axis used for the coordinates)."""
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    count = len(spatial)
    if size is not None:
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * count
        if len(sizes) != count or min(sizes) < 1:
            raise ValueError(f"{op}: size must be a positive int or {count} of them for "
                             f"spatial shape {spatial}, got {size!r}")
        return sizes, tuple(n / m for n, m in zip(spatial, sizes))
    factors = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) \
        else (scale_factor,) * count
    if len(factors) != count or min(factors) <= 0:
        raise ValueError(f"{op}: scale_factor must be positive, one or {count} of them, got "
                         f"{scale_factor!r}")
    sizes = tuple(int(math.floor(n * f)) for n, f in zip(spatial, factors))
    if min(sizes) < 1:
        raise ValueError(f"{op}: scale_factor {scale_factor!r} makes spatial shape {spatial} "
                         f"empty ({sizes}); the output needs at least one pixel per axis")
    if recompute_scale_factor:
        return sizes, tuple(n / m for n, m in zip(spatial, sizes))
    return sizes, tuple(1.0 / f for f in factors)


def _resize_axis(x, axis, n, m, scale, mode, align_corners):
    """x resized from n to m along `axis`."""
    positions = np.arange(m, dtype=np.float64)
    if mode == "nearest":
        index = np.minimum(np.floor(positions * scale).astype(np.int64), n - 1)
        return _take(x, axis, index)
    if align_corners:
        source = positions * ((n - 1) / (m - 1)) if m > 1 else np.zeros(m)
    else:
        source = np.maximum((positions + 0.5) * scale - 0.5, 0.0)
    low = np.minimum(np.floor(source).astype(np.int64), n - 1)
    high = np.minimum(low + 1, n - 1)
    weight = (source - low).astype(x.dtype)
    shape = [1] * x.ndim
    shape[axis] = m
    weight = Tensor(weight.reshape(shape))
    return _take(x, axis, low) * (1 - weight) + _take(x, axis, high) * weight


def _take(x, axis, index):
    """x gathered along `axis` at the integer positions `index` (differentiable)."""
    return x[along(x.ndim, axis, index)]


class Upsample(Module):
    """nn.Upsample: F.interpolate(x, size, scale_factor, mode, align_corners) as a layer."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, x):
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self):
        what = f"size={self.size}" if self.size is not None else \
            f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"
