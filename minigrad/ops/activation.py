"""Activation functions beyond the core's relu/sigmoid/tanh.

Two are primitives (Erf, Softplus): they need a special function or a stable
formula NumPy cannot express as a short chain of ops. The rest are compositions of
differentiable ops, so their gradients (of any order) come from the primitives'.
A branch that must not overflow (ELU's exp for large x) is fed only the inputs it
is chosen for, through `where`, so no inf ever appears, even in the unused branch.

Shapes: every function maps x (any shape) -> y (same shape).
"""

import math

import numpy as np

from minigrad.autograd import Function
from minigrad.errors import ShapeError
from minigrad.kernels.special import erf as _erf_kernel
from minigrad.ops import elementwise as ew
from minigrad.ops._promote import as_float
from minigrad.ops.reduce import max as _max
from minigrad.ops.shape import reshape
from minigrad.tensor import Tensor

__all__ = ["erf", "softplus", "leaky_relu", "prelu", "elu", "selu", "gelu", "silu",
           "maxout", "SELU_ALPHA", "SELU_SCALE"]

# Klambauer et al. 2017 (arXiv:1706.02515), eq. 14: the fixed point (mean 0, var 1)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _zero_like(x):
    return np.zeros((), dtype=x.dtype)


class Erf(Function):
    """y = erf(x) = 2/sqrt(pi) int_0^x exp(-t^2) dt.   dy/dx = 2/sqrt(pi) exp(-x^2).

    Shapes: x (any) -> y (same). Forward runs a Numba ufunc (kernels/special.py).
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf_kernel(as_float("erf", x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (2.0 / math.sqrt(math.pi)) * ew.exp(-(x * x))


class Softplus(Function):
    """y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold.

    dy/dx = sigmoid(beta x)  (1 in the linear region).  Computed as
    logaddexp(0, beta x) / beta, which never overflows (Dugas et al. 2001).
    Shapes: x (any) -> y (same).
    """

    @staticmethod
    def forward(ctx, x, beta, threshold):
        x = as_float("softplus", x)
        ctx.beta, ctx.linear = beta, beta * x > threshold
        ctx.save_for_backward(x)  # x, the input's array or its float32 copy
        smooth = np.logaddexp(np.zeros((), dtype=x.dtype), beta * x) / beta
        return np.where(ctx.linear, x, smooth).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        slope = ew.where(ctx.linear, np.ones((), dtype=x.dtype), ew.sigmoid(x * ctx.beta))
        return grad * slope, None, None


# ----------------------------------------------------------------- functions
def erf(x):
    """Gauss error function, elementwise (differentiable)."""
    return Erf.apply(x)


def softplus(x, beta=1.0, threshold=20.0):
    """Smooth ReLU: log(1 + e^(beta x)) / beta; linear once beta x > threshold."""
    if beta <= 0:
        raise ValueError(f"softplus: beta must be positive, got {beta}")
    return Softplus.apply(x, float(beta), float(threshold))


def leaky_relu(x, negative_slope=0.01):
    """y = x for x > 0, negative_slope * x otherwise (Maas et al. 2013)."""
    return ew.where(x._data > 0, x, x * negative_slope)


def prelu(x, weight):
    """Parametric ReLU (He et al. 2015, arXiv:1502.01852): y = x (x > 0), a_c x otherwise.

    x: (N, C, ...) or (C,)-trailing input;  weight: (1,) shared or (C,) one per channel,
    broadcast along axis 1 (the channel axis), as in PyTorch.
    """
    count = weight.shape[0] if weight.ndim == 1 else -1
    if weight.ndim != 1 or (count != 1 and (x.ndim < 2 or x.shape[1] != count)):
        raise ShapeError(f"prelu: weight of shape {tuple(weight.shape)} does not fit input "
                         f"of shape {tuple(x.shape)}; expected (1,) or (C,) with C = "
                         "input.shape[1]")
    if count != 1:
        weight = reshape(weight, (count,) + (1,) * (x.ndim - 2))
    return ew.where(x._data > 0, x, x * weight)


def elu(x, alpha=1.0):
    """y = x for x > 0, alpha (e^x - 1) otherwise (Clevert et al. 2015, arXiv:1511.07289)."""
    positive = x._data > 0
    negative_part = ew.where(positive, _zero_like(x), x)  # exp sees only x <= 0
    return ew.where(positive, x, (ew.exp(negative_part) - 1) * alpha)


def selu(x):
    """y = scale * elu(x, alpha) with the self-normalising constants of
    Klambauer et al. 2017: alpha = 1.6732632423543772848..., scale = 1.0507009873554804934..."""
    return elu(x, SELU_ALPHA) * SELU_SCALE


def gelu(x, approximate="none"):
    """Gaussian Error Linear Unit (Hendrycks & Gimpel 2016, arXiv:1606.08415):

        exact:  y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
        'tanh': y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    """
    if approximate == "none":
        return x * 0.5 * (erf(x * (1 / math.sqrt(2.0))) + 1)
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (ew.tanh(inner) + 1)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x):
    """SiLU / Swish: y = x sigmoid(x) (Elfwing et al. 2017; Ramachandran et al. 2017)."""
    return x * ew.sigmoid(x)


def maxout(x, pool_size, dim=1):
    """Maxout (Goodfellow et al. 2013, arXiv:1302.4389): the max over groups of
    `pool_size` consecutive features along `dim`.

    x: (..., K * pool_size, ...) -> (..., K, ...) with `dim` shrunk by pool_size.
    """
    if not isinstance(x, Tensor):
        x = Tensor(x)
    dim = dim % x.ndim
    features = x.shape[dim]
    if features % pool_size:
        raise ShapeError(f"maxout: dimension {dim} of input shape {tuple(x.shape)} has "
                         f"{features} features, not a multiple of pool_size={pool_size}")
    grouped = x.shape[:dim] + (features // pool_size, pool_size) + x.shape[dim + 1:]
    return _max(reshape(x, grouped), axis=dim + 1)
