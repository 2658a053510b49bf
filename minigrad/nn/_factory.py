"""The `dtype=` and `device=` that every layer's constructor takes, as in PyTorch."""

import numpy as np

from minigrad.device import check_device
from minigrad.dtypes import resolve_dtype
from minigrad.errors import DTypeError


def factory_dtype(dtype, device, owner):
    """The parameters' dtype for a layer: float32 when None (PyTorch's default), any
    floating dtype otherwise; the device must be the CPU."""
    check_device(device, owner)
    dtype = resolve_dtype(dtype, owner)
    if dtype is None:
        return np.float32
    if np.dtype(dtype).kind != "f":
        raise DTypeError(f"{owner}: parameters must have a floating dtype, got "
                         f"{np.dtype(dtype)}")
    return dtype
