"""Anomaly mode: stop at the first op that makes a NaN or an inf, and say where.

    with mg.detect_anomaly():
        loss = model(x).sum()
        loss.backward()       # AnomalyError naming the op and the line that made it

While it is on, every op records the user's stack when it is created
(`record_creation`) and checks its forward output; the backward walk runs each
node's backward through `run_backward`, which checks every gradient it returns.
When it is off the engine pays one flag check per op (`AnomalyMode.enabled`).
"""

import os
import traceback

import numpy as np

from minigrad.errors import AnomalyError

__all__ = ["detect_anomaly", "is_anomaly_enabled"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class AnomalyMode:
    """The switch the engine reads; set it with detect_anomaly()."""

    enabled = False


class detect_anomaly:
    """`with mg.detect_anomaly():` stops at the first op whose forward output or
    backward gradient contains NaN or inf, naming the op and showing where in your
    code it was created. Slow (it checks every value): use it to debug.
    """

    def __init__(self, check_nan=True):
        self.mode = bool(check_nan)
        self.previous = []

    def __enter__(self):
        self.previous.append(AnomalyMode.enabled)
        AnomalyMode.enabled = self.mode
        return self

    def __exit__(self, *exc_info):
        AnomalyMode.enabled = self.previous.pop()
        return False


def is_anomaly_enabled():
    """True inside detect_anomaly()."""
    return AnomalyMode.enabled


def creation_site():
    """The caller's stack, without minigrad's own frames (the last six frames)."""
    frames = [frame for frame in traceback.extract_stack()
              if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR)]
    return "".join(traceback.format_list(frames[-6:]))


def check_finite(node, value, what):
    """Raise AnomalyError if `value` (an array or a Tensor) holds a NaN or an inf."""
    array = getattr(value, "_data", value)
    if isinstance(array, np.ndarray) and array.dtype.kind == "f" and \
            not np.all(np.isfinite(array)):
        kind = "nan" if np.isnan(array).any() else "inf"
        raise AnomalyError(
            f"{type(node).__name__}: {what} contains {kind} (shape {array.shape}). "
            f"The op was created at:\n{getattr(node, '_creation_stack', '  (unknown)')}"
        )


def record_creation(node, output):
    """Forward step: remember where `node` was created, then check its output."""
    node._creation_stack = creation_site()
    check_finite(node, output, "its forward output")


def run_backward(node, grad_output):
    """Backward step: node's backward, with a non-finite value inside it reported as
    this node's, then every input gradient it returns checked."""
    try:
        with np.errstate(all="ignore"):
            input_grads = type(node).backward(node, grad_output)
    except AnomalyError as error:
        raise AnomalyError(
            f"{node.name()} (the backward of {type(node).__name__}) produced a non-finite "
            f"value: {error.args[0].split(' The op was created')[0]} "
            f"{type(node).__name__} was created at:\n"
            f"{getattr(node, '_creation_stack', '  (unknown)')}"
        ) from None
    as_tuple = input_grads if isinstance(input_grads, tuple) else (input_grads,)
    for position, (edge, input_grad) in enumerate(zip(node.next_edges, as_tuple)):
        if edge is not None and input_grad is not None:
            check_finite(node, input_grad, f"the gradient for input {position} in backward")
    return input_grads
