"""Devices, spoken as PyTorch speaks them. minigrad computes on the CPU only.

Code written for PyTorch asks where tensors live (`torch.device("cpu")`,
`torch.cuda.is_available()`, `t.to(device)`, `device=` on constructors). minigrad
answers every such question truthfully: there is one device, the CPU, and a request
for any other is an error that says so, rather than a silent CPU run that a student
might mistake for a GPU one.
"""

from minigrad.errors import DeviceError

__all__ = ["device", "check_device", "cuda", "accelerator", "set_default_device",
           "get_default_device"]

_KNOWN_ELSEWHERE = ("cuda", "mps", "xpu", "xla", "meta", "hip", "mtia", "npu", "ipu")


class device:
    """A device, as in PyTorch: `device("cpu")`, `device("cpu", 0)`, `device("cpu:0")`.

    Only "cpu" can be made; any other type raises DeviceError naming what minigrad
    runs on. Two devices compare equal when their type is equal (the CPU has no index
    that matters), and a device compares equal to its name: `t.device == "cpu"`.
    """

    __slots__ = ("type", "index")

    def __init__(self, type_or_device="cpu", index=None):
        if isinstance(type_or_device, device):
            self.type, self.index = type_or_device.type, type_or_device.index
            return
        if not isinstance(type_or_device, str):
            raise DeviceError(
                f"device: expected a string such as 'cpu' or a device, "
                f"got {type(type_or_device).__name__} {type_or_device!r}")
        name, _, suffix = type_or_device.partition(":")
        if suffix:
            if index is not None:
                raise DeviceError(f"device: {type_or_device!r} already has an index; "
                                  f"got index={index!r} as well")
            if not suffix.isdigit():
                raise DeviceError(f"device: invalid device string {type_or_device!r}")
            index = int(suffix)
        if name != "cpu":
            raise DeviceError(_unavailable(type_or_device))
        if index is not None and (not isinstance(index, int) or index < 0):
            raise DeviceError(f"device: the index must be a non-negative int, got {index!r}")
        self.type, self.index = "cpu", index

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except DeviceError:
                return False
        return isinstance(other, device) and other.type == self.type

    def __hash__(self):
        return hash(self.type)

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = device("cpu")


def _unavailable(requested):
    name = str(requested).partition(":")[0]
    if name in _KNOWN_ELSEWHERE:
        return (f"device {requested!r} is not available: minigrad runs on the CPU only "
                f"(use 'cpu'; mg.cuda.is_available() is False)")
    return f"device: unknown device {requested!r}; minigrad runs on the CPU only ('cpu')"


def check_device(requested, op_name="device"):
    """Return the CPU device for `requested` (None, "cpu", "cpu:0", a device, or an int
    meaning a CUDA ordinal as in PyTorch), raising DeviceError for anything else."""
    if requested is None:
        return CPU
    if isinstance(requested, int):  # bool is an int too
        raise DeviceError(f"{op_name}: device {requested!r} means CUDA device {requested} "
                          f"in PyTorch; minigrad runs on the CPU only ('cpu')")
    try:
        return device(requested)
    except DeviceError as error:
        raise DeviceError(f"{op_name}: {error}") from None


_default_device = CPU


def set_default_device(requested):
    """Accept "cpu" (or None) as the default device, as torch.set_default_device."""
    global _default_device
    _default_device = check_device(requested, "set_default_device")


def get_default_device():
    return _default_device


class _NoCuda:
    """`mg.cuda`: the questions PyTorch code asks about CUDA, answered for a CPU engine."""

    @staticmethod
    def is_available():
        return False

    @staticmethod
    def device_count():
        return 0

    @staticmethod
    def is_initialized():
        return False

    @staticmethod
    def manual_seed(seed):
        """Accepted and ignored, as PyTorch ignores it without a GPU."""

    @staticmethod
    def manual_seed_all(seed):
        """Accepted and ignored, as PyTorch ignores it without a GPU."""

    @staticmethod
    def synchronize(device=None):
        """Nothing to wait for on the CPU."""

    @staticmethod
    def current_device():
        raise DeviceError("cuda.current_device: minigrad runs on the CPU only; "
                          "mg.cuda.is_available() is False")

    @staticmethod
    def empty_cache():
        """Nothing is cached on a device that does not exist."""


class _NoAccelerator:
    """`mg.accelerator`: PyTorch 2.6+'s device-agnostic questions; the answer is none."""

    @staticmethod
    def is_available():
        return False

    @staticmethod
    def device_count():
        return 0

    @staticmethod
    def current_accelerator(check_available=False):
        return None


cuda = _NoCuda()
accelerator = _NoAccelerator()
