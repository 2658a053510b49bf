"""Type promotion, PyTorch's rule, in one place: every op asks here which dtype its
result has, then computes in it.

Categories rank bool < integer < floating point. Between two dtypes the higher
category wins outright (int64 + float32 -> float32, where NumPy says float64);
within a category the wider type wins. Among the operands of one op

    1. tensors with at least one dimension decide,
    2. unless a 0-d tensor is of a higher category (then it is promoted in),
    3. Python numbers count only by category: they become int64 or float32
       (the default float dtype) when no tensor of their category is present,
       else they take the tensor's dtype (float32 + 2.5 stays float32).

So int32 + 5 is int32, int64 + 2.5 is float32, bool + bool is bool. A function
that only makes sense on real numbers (exp, sigmoid, mean, softmax, division)
returns float32 for integer or bool input, float64 stays float64.
Complex numbers are refused: minigrad's ops are defined on the reals.
"""

import functools
import math

import numpy as np

from minigrad.errors import DTypeError

DEFAULT_FLOAT = np.dtype(np.float32)
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def category(op, dtype):
    """0 for bool, 1 for integers, 2 for floating point; DTypeError otherwise."""
    dtype = np.dtype(dtype)
    if dtype.kind not in _CATEGORY:
        what = "complex numbers are not supported" if dtype.kind == "c" else \
            "expected a bool, integer or floating-point dtype"
        raise DTypeError(f"{op}: got dtype {dtype}; {what} (minigrad computes on real "
                         "numbers)")
    return _CATEGORY[dtype.kind]


def promote_types(op, a, b):
    """The dtype of `a op b` for two dtypes: higher category first, then width."""
    rank_a, rank_b = category(op, a), category(op, b)
    if rank_a != rank_b:
        return np.dtype(a if rank_a > rank_b else b)
    return np.promote_types(a, b)


def result_type(op, *arrays):
    """The result dtype for these operands (arrays; Python numbers already went
    through `scalar_operand`). Dimensioned operands decide unless a 0-d one is of
    a higher category."""
    state = None
    for group in ([a.dtype for a in arrays if np.ndim(a) > 0],
                  [a.dtype for a in arrays if np.ndim(a) == 0]):
        if not group:
            continue
        group_type = functools.reduce(functools.partial(promote_types, op), group)
        if state is None or category(op, group_type) > category(op, state):
            state = group_type if state is None else promote_types(op, state, group_type)
    return state


def promoted(op, *arrays):
    """The arrays cast (only where needed) to their common result dtype."""
    first = arrays[0].dtype
    if first.kind == "f":  # the common case, one float dtype, decided without the table
        for array in arrays:
            if array.dtype != first:
                break
        else:
            return arrays
    dtype = result_type(op, *arrays)
    return tuple(a if a.dtype == dtype else a.astype(dtype) for a in arrays)


def float_dtype(op, dtype):
    """The dtype a real-valued function returns: float stays, the rest is float32."""
    return np.dtype(dtype) if category(op, dtype) == 2 else DEFAULT_FLOAT


def as_float(op, array):
    """`array` in float_dtype (unchanged if it already is a float array)."""
    if array.dtype.kind == "f":
        return array
    dtype = float_dtype(op, array.dtype)
    return array if array.dtype == dtype else array.astype(dtype)


def scalar_operand(op, value, like=None):
    """A Python number as a 0-d array: the dtype `like` when that is of the number's
    category or higher (float32 + 2 stays float32), else int64 / float32 / bool."""
    if like is not None and not isinstance(like, np.dtype):
        like = np.dtype(like)
    if like is not None and like.kind == "f" and isinstance(value, (bool, int, float)):
        return _float_constant(value, like)  # the common case: float32 + 2.5
    if isinstance(value, complex):
        raise DTypeError(f"{op}: got the complex number {value!r}; complex numbers are "
                         "not supported (minigrad computes on real numbers)")
    own = np.dtype(np.bool_ if isinstance(value, bool) else
                   np.int64 if isinstance(value, int) else DEFAULT_FLOAT)
    if like is not None and category(op, like) >= category(op, own):
        own = np.dtype(like)
    return np.asarray(value, dtype=own)


_CONSTANTS = {}
_MAX_CONSTANTS = 1024


def _float_constant(value, dtype):
    """np.asarray(value, dtype) for a float dtype, made once per (value, dtype) and
    read-only, since `y * 0.5` in a loop would otherwise build the same 0-d array on
    every call (a large share of a small op's cost). The cache is emptied when full:
    a schedule's ever-changing learning rates must not make it grow without end."""
    # the sign tells 0.0 from -0.0, which compare (and hash) equal
    sign = math.copysign(1.0, value) if isinstance(value, float) else 1.0
    key = (type(value), value, sign, dtype)
    constant = _CONSTANTS.get(key)
    if constant is None:
        if len(_CONSTANTS) >= _MAX_CONSTANTS:
            _CONSTANTS.clear()
        constant = np.asarray(value, dtype=dtype)
        constant.flags.writeable = False  # shared: no op may write into an operand
        _CONSTANTS[key] = constant
    return constant


def refuse_bool(op, *arrays, any_operand=False):
    """DTypeError for an op that has no meaning on booleans, as in PyTorch: -x, |x|,
    relu, a @ b, a ** b of bools; a - b with any bool operand (any_operand=True)."""
    is_bool = [np.asarray(a).dtype == np.bool_ for a in arrays]
    if any(is_bool) if any_operand else all(is_bool):
        raise DTypeError(f"{op}: not defined for bool tensors (use ~ or logical_xor for "
                         "masks, or convert with .float() first)")
