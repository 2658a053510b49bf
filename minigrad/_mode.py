"""Reference mode: every fast kernel runs its textbook twin (minigrad.reference) instead.

    with mg.reference_mode():          # or @mg.reference_mode() on a function
        loss = model(x).sum()          # plain loops: im2col as loops, the pooling window ...
        loss.backward()
    mg.set_reference_mode(True)        # from here on, until set back to False
    MINIGRAD_REFERENCE=1 python train.py   # the whole run, read once at import

Each fast kernel checks `reference_mode_enabled()` on its first line and hands its
arguments to the twin of the same name, so a student can step into the lecture's
version of any operation and compare the two. The flag is one process-wide value,
like grad mode: worker threads see the setting of the thread that started them.
"""

import contextlib
import os

__all__ = ["reference_mode", "set_reference_mode", "is_reference_mode",
           "reference_mode_enabled"]


class _ReferenceMode:
    enabled = os.environ.get("MINIGRAD_REFERENCE", "").strip().lower() in ("1", "true", "yes")


def reference_mode_enabled():
    """True when the textbook twins run instead of the fast kernels."""
    return _ReferenceMode.enabled


is_reference_mode = reference_mode_enabled


def set_reference_mode(flag):
    """Turn reference mode on (True) or off (False) for the whole process."""
    _ReferenceMode.enabled = bool(flag)


def reference_mode(enabled=True):
    """Context manager and decorator: reference mode inside, the previous mode after.

    `with mg.reference_mode():`, `with mg.reference_mode(False):` (fast inside),
    `@mg.reference_mode()` or `@mg.reference_mode` on a function.
    """
    if callable(enabled):  # used as a bare decorator
        return _switched(True)(enabled)
    return _switched(enabled)


@contextlib.contextmanager
def _switched(enabled):
    previous = _ReferenceMode.enabled
    _ReferenceMode.enabled = bool(enabled)
    try:
        yield
    finally:
        _ReferenceMode.enabled = previous
