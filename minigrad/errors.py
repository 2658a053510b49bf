"""The error types minigrad raises, defined in one place.

Each subclasses the built-in a user would catch anyway (ValueError, TypeError,
RuntimeError), so `except ValueError` keeps working, while `except
minigrad.MinigradError` catches everything the library raises on purpose.
"""


class MinigradError(Exception):
    """Base class of every error minigrad raises deliberately."""


class ShapeError(MinigradError, ValueError):
    """Operand shapes do not fit the op (broadcasting, matmul, conv, ...)."""


class AxisError(MinigradError, ValueError, IndexError):
    """An axis/dim argument is out of range for the tensor's rank."""


class DTypeError(MinigradError, TypeError):
    """A dtype the op cannot take (e.g. requires_grad on an integer tensor)."""


class DeviceError(MinigradError, RuntimeError):
    """A device other than the CPU was asked for (minigrad computes on the CPU only)."""


class GraphError(MinigradError, RuntimeError):
    """Misuse of the autograd graph: freed graph, non-scalar backward, in-place edits."""


class GradcheckError(MinigradError, AssertionError):
    """Analytic and numerical gradients disagree (raised by gradcheck)."""


class AnomalyError(GraphError, FloatingPointError):
    """detect_anomaly() found NaN or inf in an op's output or gradient."""


class CheckpointError(MinigradError, ValueError):
    """A checkpoint is truncated, corrupt, or does not fit the model/optimiser given."""


class StateDictError(MinigradError, KeyError, RuntimeError):
    """load_state_dict: missing or unexpected keys. A KeyError for dict-minded code
    and a RuntimeError like PyTorch's, with the message printed as written."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""
