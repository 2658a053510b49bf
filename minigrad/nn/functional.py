"""Stateless layer functions: `import minigrad.nn.functional as F`.

Everything here takes tensors (and weights) explicitly; the modules in minigrad.nn
hold the weights and call these. Names and arguments follow torch.nn.functional.
"""

import numpy as np

from minigrad.errors import DTypeError
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
from minigrad.ops.conv import conv1d, conv2d, conv_transpose2d
from minigrad.ops.elementwise import relu, sigmoid, tanh, where
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
from minigrad.ops.shape import pad as _pad
from minigrad.rng import default_generator
from minigrad.tensor import Tensor

__all__ = [
    "embedding",
    "linear", "conv1d", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d",
    "adaptive_avg_pool2d", "relu", "leaky_relu", "prelu", "elu", "selu", "gelu", "silu",
    "softplus", "sigmoid", "tanh", "softmax", "log_softmax", "maxout", "erf", "dropout",
    "dropout2d", "batch_norm", "layer_norm", "group_norm", "cross_entropy", "nll_loss",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "multi_margin_loss", "kl_div",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "focal_loss",
    "sigmoid_focal_loss", "SELU_ALPHA", "SELU_SCALE",
    "one_hot", "interpolate", "scaled_dot_product_attention", "pad",
]


def linear(input, weight, bias=None):  # noqa: A002  (PyTorch's name)
    """y = x W^T + b.

    input: (..., in_features);  weight: (out_features, in_features);  bias: (out_features,)
    Returns (..., out_features). One graph node (ops.linalg.FusedLinear) when there is
    a bias: its weight gradient dy^T x comes out in W's own layout, which the
    optimisers update in one pass.
    """
    return _linear(input, weight, bias)


def pad(input, pad, mode="constant", value=None):  # noqa: A002  (PyTorch's names)
    """Constant padding, PyTorch's convention: pad=(left, right, top, bottom, ...)
    pads the last axis by (left, right), the one before by (top, bottom), and so on.

    Shapes: input (..., H, W) -> (..., H + top + bottom, W + left + right).
    value: the fill (None means 0, as in PyTorch); only mode="constant" is supported.
    """
    return _pad(input, pad, mode, 0.0 if value is None else value)


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


def embedding(input, weight, padding_idx=None):  # noqa: A002  (PyTorch's names)
    """Rows of `weight` looked up by integer `input`: (...) -> (..., embedding_dim).

    y[...] = weight[input[...]]; the row padding_idx is returned but gets no gradient.
    """
    indices = _embedding_indices(input, weight.shape[0])
    looked_up = weight[indices]
    if padding_idx is None:
        return looked_up
    padding = (indices == padding_idx % weight.shape[0])[..., None]
    return where(padding, weight.detach()[indices], looked_up)


def _embedding_indices(input, num_embeddings):  # noqa: A002
    """The index array of `input`, checked: integers in [0, num_embeddings)."""
    indices = np.asarray(input._data if isinstance(input, Tensor) else input)
    if indices.dtype.kind not in "iu":
        raise DTypeError(f"embedding: indices must be integers, got dtype {indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= num_embeddings):
        raise IndexError(f"embedding: index out of range: indices span "
                         f"[{indices.min()}, {indices.max()}] but the table has "
                         f"{num_embeddings} rows")
    return indices


def one_hot(tensor, num_classes=-1):
    """out[..., k] = 1 if tensor[...] == k else 0: class indices as one-hot rows.

    Shapes: tensor (any) of integer class indices -> int64 (*tensor.shape, C), with
    C = num_classes, or max(tensor) + 1 when num_classes is -1. A NumPy integer array
    is accepted too; PyTorch takes only int64, minigrad any integer dtype.
    """
    from minigrad.errors import DTypeError

    classes = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if classes.dtype.kind not in "iu":
        raise DTypeError(f"one_hot: needs integer class indices, got dtype {classes.dtype}")
    if not isinstance(num_classes, (int, np.integer)) or num_classes < -1:
        raise ValueError(f"one_hot: num_classes must be -1 (infer) or >= 0, got "
                         f"{num_classes!r}")
    if classes.size and classes.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {classes.min()}")
    if num_classes == -1:
        if not classes.size:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; "
                             "pass num_classes")
        num_classes = int(classes.max()) + 1
    if classes.size and classes.max() >= num_classes:
        raise ValueError(f"one_hot: class values must be smaller than num_classes "
                         f"({num_classes}), got {classes.max()}")
    out = np.zeros(classes.shape + (int(num_classes),), dtype=np.int64)
    np.put_along_axis(out, classes[..., None].astype(np.intp), 1, axis=-1)
    return Tensor(out)


# at the end: attention is written in dropout, linear and softmax above
from minigrad.nn.attention import scaled_dot_product_attention  # noqa: E402
from minigrad.nn.upsample import interpolate  # noqa: E402
