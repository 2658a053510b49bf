"""dtypes under PyTorch's names, and resolve_dtype's spellings and errors."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.dtypes import resolve_dtype
from minigrad.errors import DTypeError


def test_pytorch_names_are_numpy_dtypes():
    assert mg.float32 is np.float32 and mg.float is np.float32
    assert mg.float64 is np.float64 and mg.double is np.float64
    assert mg.int64 is np.int64 and mg.long is np.int64
    assert mg.int32 is np.int32 and mg.int is np.int32
    assert mg.bool is np.bool_


@pytest.mark.parametrize("given, expected", [
    (mg.float32, np.float32), ("float64", np.float64), (np.dtype("int32"), np.int32),
    (float, np.float64), (int, np.int64), (bool, np.bool_), (None, None)])
def test_resolve_dtype(given, expected):
    assert resolve_dtype(given) is expected


@pytest.mark.parametrize("bad", ["nonsense", complex, np.complex64, object])
def test_resolve_dtype_refuses_what_is_not_a_real_dtype(bad):
    with pytest.raises(DTypeError, match="zeros"):
        resolve_dtype(bad, "zeros")


def test_every_dtype_name_works_where_a_dtype_is_taken():
    x = mg.tensor([1.5, -2.5])
    assert x.to(mg.long).dtype == np.int64
    assert x.type(mg.double).dtype == np.float64
    assert mg.tensor([1, 2], dtype=mg.float).dtype == np.float32
    assert x.astype("float64").dtype == np.float64
