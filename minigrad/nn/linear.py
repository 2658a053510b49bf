"""Fully connected layers, and the shape-only layers Identity and Flatten."""

import math

import numpy as np

from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn._factory import factory_dtype
from minigrad.nn.module import Module, Parameter

__all__ = ["Linear", "Identity", "Flatten", "DropConnectLinear", "DropConnect", "Maxout"]


def _reset_linear(weight, bias):
    """PyTorch's default: W ~ kaiming_uniform_(a=sqrt 5) = U(+-1/sqrt(fan_in)),
    b ~ U(+-1/sqrt(fan_in))."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in = weight.shape[1] * int(np.prod(weight.shape[2:], dtype=np.int64))
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(bias, -bound, bound)


class Linear(Module):
    """y = x W^T + b.

    x: (..., in_features) -> y: (..., out_features).
    weight: (out_features, in_features); bias: (out_features,).
    Default init: W, b ~ U(-1/sqrt(in_features), 1/sqrt(in_features)) (PyTorch's).
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float32, device=None):
        super().__init__()
        dtype = factory_dtype(dtype, device, type(self).__name__)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_linear(self.weight, self.bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class DropConnectLinear(Linear):
    """Linear layer with DropConnect (Wan et al. 2013, ICML): in training each *weight*
    (not activation) is dropped with probability p, survivors scaled by 1/(1 - p);
    evaluation uses the full weights (the mean network). A fresh mask per forward,
    shared by the batch. Shapes as Linear.
    """

    def __init__(self, in_features, out_features, bias=True, p=0.5, dtype=np.float32):
        super().__init__(in_features, out_features, bias, dtype)
        if not 0.0 <= p < 1.0:
            raise ValueError(f"DropConnectLinear: p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        weight = F.dropout(self.weight, self.p, self.training)
        return F.linear(x, weight, self.bias)

    def extra_repr(self):
        return super().extra_repr() + f", p={self.p}"


DropConnect = DropConnectLinear


class Maxout(Module):
    """Maxout unit (Goodfellow et al. 2013, arXiv:1302.4389): out_features outputs, each
    the max of pool_size linear pieces,  h_k = max_j (x W_kj^T + b_kj).

    x: (N, in_features) -> (N, out_features). Holds a Linear(in, out * pool_size).
    """

    def __init__(self, in_features, out_features, pool_size=2):
        super().__init__()
        self.pool_size = pool_size
        self.linear = Linear(in_features, out_features * pool_size)

    def forward(self, x):
        return F.maxout(self.linear(x), self.pool_size, dim=-1)

    def extra_repr(self):
        return f"pool_size={self.pool_size}"


class Identity(Module):
    """y = x (a placeholder, e.g. where fold_batchnorm removed a BatchNorm)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Flatten(Module):
    """Merge dimensions start_dim..end_dim: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
