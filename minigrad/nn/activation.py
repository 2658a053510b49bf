"""Activation modules: thin wrappers over minigrad.nn.functional.

Shapes: x (any) -> y (same), except Softmax/LogSoftmax (same, normalised along dim).
"""

import numpy as np

from minigrad.nn import functional as F
from minigrad.nn._factory import factory_dtype
from minigrad.nn.module import Module, Parameter

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "SiLU",
           "Swish", "Softplus", "Softmax", "LogSoftmax"]


class Sigmoid(Module):
    """y = 1 / (1 + e^-x)."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """y = tanh(x)."""

    def forward(self, x):
        return F.tanh(x)


class ReLU(Module):
    """y = max(0, x) (Nair & Hinton 2010)."""

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    """y = x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    """y = x if x > 0 else a * x, with a learned (He et al. 2015, arXiv:1502.01852).

    num_parameters: 1 (one slope shared) or C (one per channel, axis 1 of the input).
    weight: (num_parameters,), initialised to `init` (0.25).
    """

    def __init__(self, num_parameters=1, init=0.25, dtype=np.float32, device=None):
        super().__init__()
        dtype = factory_dtype(dtype, device, type(self).__name__)
        self.num_parameters = num_parameters
        self.weight = Parameter(np.full(num_parameters, init, dtype=dtype))

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """y = x if x > 0 else alpha (e^x - 1) (Clevert et al. 2015)."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class SELU(Module):
    """y = scale * elu(x, alpha), the exact constants of Klambauer et al. 2017."""

    def forward(self, x):
        return F.selu(x)


class GELU(Module):
    """y = x Phi(x); approximate='tanh' uses the tanh formula (Hendrycks & Gimpel 2016)."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """y = x sigmoid(x), also called Swish (with beta = 1)."""

    def forward(self, x):
        return F.silu(x)


Swish = SiLU


class Softplus(Module):
    """y = log(1 + e^(beta x)) / beta; y = x where beta x > threshold."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """y_i = exp(x_i) / sum_j exp(x_j) along dim."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, dim=self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """y = x - logsumexp(x) along dim."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.log_softmax(x, dim=self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
