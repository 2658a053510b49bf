"""Argument helpers shared by the ops: NumPy/PyTorch axis spellings and errors."""

import numpy as np

from minigrad.errors import AxisError, ShapeError


def pick(numpy_value, torch_value, default):
    """Return the argument the caller actually gave (axis= or dim=, keepdims= or keepdim=)."""
    if torch_value is not None:
        return torch_value
    return default if numpy_value is None else numpy_value


def is_integer(value):
    """A Python or NumPy integer, not a bool (True is no axis) nor a float (1.0)."""
    if type(value) is int:  # nearly every axis and size: decided without the tuples
        return True
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_integer(op, name, value):
    """TypeError naming the op unless value is an integer."""
    if type(value) is int:
        return value
    if not is_integer(value):
        raise TypeError(f"{op}: {name} must be an int, got {value!r} "
                        f"(of type {type(value).__name__})")
    return int(value)


def normalize_axis(op, shape, axis):
    """Turn an int/sequence axis into a sorted tuple of non-negative axes, or None.

    A 0-d tensor accepts axis 0 or -1 and reduces over nothing (PyTorch: sum(0) of
    a scalar is the scalar), so the result is ()."""
    if axis is None:
        return None
    ndim = len(shape)
    if not isinstance(axis, (tuple, list)):
        axis = (check_integer(op, "axis", axis),)
    normalized = []
    for a in axis:
        a = check_integer(op, "axis", a)
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise AxisError(
                f"{op}: axis {a} is out of range for a tensor of shape {tuple(shape)} "
                f"(ndim {ndim}; valid axes are {-max(ndim, 1)}..{max(ndim, 1) - 1})"
            )
        normalized.append(a % max(ndim, 1))
    if len(set(normalized)) != len(normalized):
        raise AxisError(f"{op}: repeated axis in {axis!r}")
    return () if ndim == 0 else tuple(sorted(normalized))


def normalize_single_axis(op, ndim, axis):
    """One axis in [-ndim, ndim) -> [0, ndim), with a clear error."""
    axis = check_integer(op, "axis", axis)
    if not -ndim <= axis < ndim:
        raise AxisError(
            f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions "
            f"(valid axes are {-ndim}..{ndim - 1})"
        )
    return axis % ndim


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
