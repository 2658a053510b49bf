"""Argument helpers shared by the ops: NumPy/PyTorch axis spellings and errors."""

import numpy as np

from minigrad.errors import AxisError, ShapeError


def pick(numpy_value, torch_value, default):
    """Return the argument the caller actually gave (axis= or dim=, keepdims= or keepdim=)."""
    if torch_value is not None:
        return torch_value
    return default if numpy_value is None else numpy_value


def normalize_axis(op, shape, axis):
    """Turn an int/sequence axis into a sorted tuple of non-negative axes, or None."""
    if axis is None:
        return None
    ndim = len(shape)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    normalized = []
    for a in axes:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {a!r}")
        if not -ndim <= a < max(ndim, 1) or (ndim == 0 and a not in (0, -1)):
            raise AxisError(
                f"{op}: axis {a} is out of range for a tensor of shape {tuple(shape)} "
                f"(ndim {ndim}; valid axes are {-ndim}..{ndim - 1})"
            )
        normalized.append(int(a) % max(ndim, 1))
    if len(set(normalized)) != len(normalized):
        raise AxisError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(normalized))


def normalize_single_axis(op, ndim, axis):
    """One axis in [-ndim, ndim) -> [0, ndim), with a clear error."""
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise AxisError(
            f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions "
            f"(valid axes are {-ndim}..{ndim - 1})"
        )
    return int(axis) % ndim


def broadcast_shapes(op, *shapes):
    """np.broadcast_shapes with an error message that names the op."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(str(tuple(s)) for s in shapes)
        raise ShapeError(
            f"{op}: cannot broadcast shapes {listed}; trailing dimensions must be equal "
            "or 1"
        ) from None
