"""`torch`, or a stand-in when PyTorch is not installed.

The family tables name torch functions when they are imported, and
tests/test_op_coverage.py imports every test module, with or without torch. The
stand-in lets the tables import; every test of this directory is then skipped
(`requires_torch`), and calling anything from the stand-in raises.
"""

import pytest

try:
    import torch
except ImportError:
    torch = None

TORCH_AVAILABLE = torch is not None


class _Absent:
    """Any attribute is another _Absent; calling one raises ModuleNotFoundError."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        raise ModuleNotFoundError("torch is not installed (pip install minigrad[parity])")


if torch is None:
    torch = _Absent()

requires_torch = pytest.mark.skipif(not TORCH_AVAILABLE,
                                    reason="needs torch (the `parity` extra)")
