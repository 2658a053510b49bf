"""Stateless layer functions: `import minigrad.nn.functional as F`.

Everything here takes tensors (and weights) explicitly; the modules in minigrad.nn
hold the weights and call these. Names and arguments follow torch.nn.functional.
"""

import numpy as np

from minigrad.ops._promote import float_dtype
from minigrad.ops.activation import (
    SELU_ALPHA,
    SELU_SCALE,
    elu,
    erf,
    gelu,
    leaky_relu,
    maxout,
    prelu,
    selu,
    silu,
    softplus,
)
from minigrad.ops.conv import conv2d, conv_transpose2d
from minigrad.ops.elementwise import relu, sigmoid, tanh
from minigrad.ops.linalg import linear as _linear
from minigrad.ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    focal_loss,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    multi_margin_loss,
    nll_loss,
    sigmoid_focal_loss,
    smooth_l1_loss,
)
from minigrad.ops.normalization import batch_norm, group_norm, layer_norm
from minigrad.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from minigrad.ops.reduce import log_softmax, softmax
from minigrad.rng import default_generator
from minigrad.tensor import Tensor

__all__ = [
    "linear", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d",
    "adaptive_avg_pool2d", "relu", "leaky_relu", "prelu", "elu", "selu", "gelu", "silu",
    "softplus", "sigmoid", "tanh", "softmax", "log_softmax", "maxout", "erf", "dropout",
    "dropout2d", "batch_norm", "layer_norm", "group_norm", "cross_entropy", "nll_loss",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "multi_margin_loss", "kl_div",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "focal_loss",
    "sigmoid_focal_loss", "SELU_ALPHA", "SELU_SCALE",
]


def linear(input, weight, bias=None):  # noqa: A002  (PyTorch's name)
    """y = x W^T + b.

    input: (..., in_features);  weight: (out_features, in_features);  bias: (out_features,)
    Returns (..., out_features). One graph node (ops.linalg.FusedLinear) when there is
    a bias: its weight gradient dy^T x comes out in W's own layout, which the
    optimisers update in one pass.
    """
    return _linear(input, weight, bias)


def _check_p(op, p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, got {p}")


def _masked(input, keep_shape, p):  # noqa: A002
    """input * mask / (1 - p), with mask ~ Bernoulli(1 - p) of shape keep_shape."""
    if p == 1.0:
        return input * np.zeros((), dtype=float_dtype("dropout", input.dtype))
    keep = default_generator().random(keep_shape) >= p
    scale = (keep / (1.0 - p)).astype(float_dtype("dropout", input.dtype))  # ints: float32
    return input * Tensor._make(scale, False, None)


def dropout(input, p=0.5, training=True):  # noqa: A002
    """Inverted dropout (Srivastava et al. 2014, JMLR 15): in training each element is
    zeroed with probability p and the survivors are scaled by 1/(1 - p), so the
    expected activation is unchanged and evaluation is the identity.
    Shapes: input (any) -> same.  The mask comes from mg.manual_seed's generator.
    """
    _check_p("dropout", p)
    if not training or p == 0.0:
        return input
    return _masked(input, input.shape, p)


def dropout2d(input, p=0.5, training=True):  # noqa: A002
    """Spatial dropout (Tompson et al. 2015, arXiv:1411.4280): zero whole channels.

    input: (N, C, H, W) (or (C, H, W)); one Bernoulli draw per (sample, channel).
    """
    _check_p("dropout2d", p)
    if not training or p == 0.0:
        return input
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected (N, C, H, W) or (C, H, W) input, got shape "
                         f"{tuple(input.shape)}")
    return _masked(input, input.shape[:-2] + (1, 1), p)
