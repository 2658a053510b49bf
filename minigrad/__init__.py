"""minigrad: a from-scratch reverse-mode autodiff tensor engine for teaching.

    import minigrad as mg
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad            # tensor([2., 4., 6.])
"""

import numpy as _np

from minigrad import autograd
from minigrad._config import show_config
from minigrad._mode import (
    is_reference_mode,
    reference_mode,
    reference_mode_enabled,
    set_reference_mode,
)
from minigrad.autograd import (
    Function,
    backward,
    detect_anomaly,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from minigrad.creation import (
    HistogramResult,
    arange,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    histc,
    histogram,
    linspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from minigrad.device import (
    accelerator,
    check_device,
    cuda,
    device,
    get_default_device,
    set_default_device,
)
from minigrad.dtypes import (  # noqa: A004  (PyTorch's dtype names)
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from minigrad.errors import (
    AnomalyError,
    AxisError,
    DeviceError,
    DTypeError,
    GradcheckError,
    GraphError,
    MinigradError,
    ShapeError,
    StateDictError,
)
from minigrad.kernels._threads import get_num_threads, set_num_threads
from minigrad.ops import (
    abs,
    argsort,
    broadcast_to,
    cat,
    ceil,
    chunk,
    clamp,
    clip,
    concatenate,
    cumsum,
    exp,
    expand,
    flatten,
    flip,
    floor,
    gather,
    index_select,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    narrow,
    pad,
    permute,
    relu,
    reshape,
    roll,
    round,
    scatter,
    scatter_add,
    sigmoid,
    sign,
    softmax,
    sort,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sum,
    tanh,
    topk,
    transpose,
    trunc,
    unbind,
    unsqueeze,
    var,
    view,
    where,
)
from minigrad.ops.compare import (
    all,
    allclose,
    any,
    argmax,
    argmin,
    eq,
    equal,
    ge,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    lt,
    ne,
)
from minigrad.ops.elementwise import pow
from minigrad.ops.linalg_extra import bmm, masked_fill, norm, tril, triu
from minigrad.ops.reduce import amax, amin
from minigrad.ops.trig import cos, log2, log10, sin
from minigrad.rng import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from minigrad.serialization import load, save
from minigrad.tensor import Size, Tensor
from minigrad.testing.gradcheck import gradcheck, gradgradcheck, numerical_gradient, rel_error

__version__ = "0.1.0"

__all__ = [
    "Tensor", "Function", "autograd", "backward", "grad", "no_grad", "enable_grad",
    "set_grad_enabled", "is_grad_enabled", "reference_mode", "set_reference_mode",
    "is_reference_mode", "reference_mode_enabled", "tensor", "zeros", "ones", "full", "zeros_like",
    "ones_like", "arange", "eye", "randn", "rand", "manual_seed", "default_generator",
    "get_rng_state", "set_rng_state", "gradcheck", "gradgradcheck", "numerical_gradient",
    "rel_error", "MinigradError", "ShapeError", "AxisError", "DTypeError", "GraphError",
    "GradcheckError", "AnomalyError", "StateDictError", "detect_anomaly", "abs",
    "broadcast_to", "cat", "clamp", "clip", "concatenate", "exp",
    "expand", "flatten", "log", "log_softmax", "logsumexp", "matmul", "max", "maximum",
    "mean", "min", "minimum", "pad", "permute", "relu", "reshape", "sigmoid", "softmax",
    "sqrt", "squeeze", "stack", "std", "sum", "tanh", "transpose", "unsqueeze", "var",
    "view", "where", "get_num_threads", "set_num_threads", "device", "cuda", "accelerator",
    "set_default_device", "get_default_device", "DeviceError", "float32", "float64",
    "float16", "half", "float", "double", "int64", "long", "int32", "int", "int16", "short",
    "int8", "uint8", "bool", "Size", "all", "allclose", "any", "argmax", "argmin", "eq",
    "equal", "ge", "gt", "isclose", "isfinite", "isinf", "isnan", "le", "lt", "ne", "pow",
    "amax", "amin", "cos", "log2", "log10", "sin", "mm", "numel", "is_tensor",
    "Generator", "bmm", "masked_fill", "norm", "tril", "triu", "from_numpy",
    "as_tensor", "seed", "initial_seed", "empty", "empty_like",
    "full_like", "linspace", "randn_like", "rand_like", "randint", "randperm", "normal",
    "multinomial", "histc", "histogram", "HistogramResult", "show_config", "save", "load",
    "gather", "scatter", "scatter_add", "index_select", "narrow", "cumsum", "flip", "roll",
    "sign", "floor", "ceil", "round", "trunc", "split", "chunk", "unbind", "sort",
    "argsort", "topk",
]


def mm(a, b):
    """Matrix product of two 2-D tensors (torch.mm)."""
    return Tensor.mm(a if isinstance(a, Tensor) else tensor(a), b)


def from_numpy(array):
    """A tensor sharing the NumPy array's memory and dtype (torch.from_numpy)."""
    if not isinstance(array, _np.ndarray):
        raise TypeError(f"from_numpy: expected an np.ndarray, got {type(array).__name__}")
    return Tensor(array)


def as_tensor(data, dtype=None, device=None):
    """`data` as a tensor, sharing memory when it already is an array or tensor of the
    right dtype (torch.as_tensor)."""
    if isinstance(data, Tensor) and dtype is None:
        check_device(device, "as_tensor")
        return data
    return tensor(data, dtype=dtype, device=device)


def numel(t):
    """The number of elements of a tensor (torch.numel)."""
    return t.numel()


def is_tensor(obj):
    """True for a minigrad Tensor (torch.is_tensor)."""
    return isinstance(obj, Tensor)

_SUBPACKAGES = ("nn", "optim", "data", "train", "diagnostics", "distributed", "utils",
                "testing", "kernels", "ops")


def __getattr__(name):
    """`mg.nn`, `mg.optim`, ... import on first use, keeping `import minigrad` light."""
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"minigrad.{name}")
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")
