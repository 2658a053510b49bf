"""dtypes under PyTorch's names. Each is the NumPy dtype it stands for, so
`mg.float32 is np.float32` and a NumPy dtype is accepted wherever a dtype is.
"""

import numpy as np

from minigrad.errors import DTypeError

float32 = float = np.float32  # noqa: A001  (PyTorch's names)
float64 = double = np.float64
float16 = half = np.float16
int64 = long = np.int64
int32 = int = np.int32  # noqa: A001
int16 = short = np.int16
int8 = np.int8
uint8 = np.uint8
bool = np.bool_  # noqa: A001

_PYTHON_TYPES = {"float": np.float64, "int": np.int64, "bool": np.bool_,
                 "complex": np.complex128}


def resolve_dtype(dtype, op_name="dtype"):
    """The NumPy dtype for `dtype` (None stays None), or DTypeError naming the op.

    Accepts NumPy dtypes and scalar types, their names ("float32"), and Python's
    `float`, `int` and `bool`, which mean float64, int64 and bool as in PyTorch.
    Complex dtypes are refused: minigrad's ops are defined on real numbers.
    """
    if dtype is None:
        return None
    if isinstance(dtype, type) and dtype.__module__ == "builtins":
        dtype = _PYTHON_TYPES.get(dtype.__name__, dtype)
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise DTypeError(f"{op_name}: {dtype!r} is not a dtype "
                         f"(expected e.g. mg.float32, mg.int64 or mg.bool)") from None
    if resolved.kind == "c":
        raise DTypeError(f"{op_name}: complex dtypes are not supported (got {resolved}); "
                         "minigrad computes on real numbers")
    if resolved.kind not in "biuf":
        raise DTypeError(f"{op_name}: unsupported dtype {resolved} "
                         "(expected a bool, integer or floating-point dtype)")
    return resolved.type
