"""Norms, masks and batched products built from the primitives, so their gradients
(of any order) come from the ops they are made of.
"""

import math

import numpy as np

from minigrad.errors import ShapeError
from minigrad.ops import elementwise as ew
from minigrad.ops import reduce
from minigrad.ops.linalg import matmul
from minigrad.tensor import Tensor


def norm(x, p="fro", dim=None, keepdim=False):
    """The vector p-norm over `dim` (all elements when None), as torch.norm:

        ||x||_p = (sum |x_i|^p)^(1/p);  p = inf: max |x_i|;  p = "fro": p = 2.

    At x = 0 the 2-norm's gradient is 0 (a subgradient), as in PyTorch, not the
    0/0 of d sqrt(s)/ds at s = 0.
    """
    if p in ("fro", 2, 2.0):
        total = reduce.sum(x * x, dim, keepdim)
        zero = total._data == 0
        if not zero.any():
            return ew.sqrt(total)
        safe = ew.where(zero, np.ones((), dtype=total.dtype), total)
        return ew.where(zero, np.zeros((), dtype=total.dtype), ew.sqrt(safe))
    if p == 1:
        return reduce.sum(ew.abs(x), dim, keepdim)
    if p in (math.inf, "inf"):
        return reduce.amax(ew.abs(x), dim, keepdim)
    if not isinstance(p, (int, float)) or p <= 0:
        raise ValueError(f"norm: p must be a positive number, inf or 'fro', got {p!r}")
    return reduce.sum(ew.abs(x) ** p, dim, keepdim) ** (1.0 / p)


def masked_fill(x, mask, value):
    """x with `value` where `mask` is true (mask broadcasts to x's shape); the
    gradient flows to x where mask is false."""
    mask = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.dtype != np.bool_:
        raise ShapeError(f"masked_fill: the mask must be a bool tensor, got dtype {mask.dtype}")
    value = value._data if isinstance(value, Tensor) else value
    return ew.where(mask, np.asarray(value, dtype=x.dtype), x)


def _triangle(op, x, keep):
    if x.ndim < 2:
        raise ShapeError(f"{op}: needs at least 2 dimensions, got shape {tuple(x.shape)}")
    return ew.where(keep, x, np.zeros((), dtype=x.dtype))


def tril(x, diagonal=0):
    """The lower triangle of the last two dimensions (entries j <= i + diagonal)."""
    return _triangle("tril", x, np.tri(*x.shape[-2:], k=diagonal, dtype=bool))


def triu(x, diagonal=0):
    """The upper triangle of the last two dimensions (entries j >= i + diagonal)."""
    return _triangle("triu", x, ~np.tri(*x.shape[-2:], k=diagonal - 1, dtype=bool))


def bmm(a, b):
    """Batched matrix product of (B, n, m) and (B, m, p) tensors, as torch.bmm."""
    if np.ndim(a) != 3 or np.ndim(b) != 3 or np.shape(a)[0] != np.shape(b)[0]:
        raise ShapeError(f"bmm: expected two 3-D tensors with the same batch size, got "
                         f"shapes {tuple(np.shape(a))} and {tuple(np.shape(b))}")
    return matmul(a, b)
