"""Normalisation layers as functions: batch, layer and group normalisation.

All three compute the same thing over different axes,

    y = (x - mean) / sqrt(var + eps) * gamma + beta,      var biased (divide by n).

`_normalize` writes the normalisation as a composition of differentiable ops (mean,
var, sqrt, ...): the gradient through the batch statistics, the part students most
often get wrong by hand, then comes out of autograd, exact and differentiable
again. It is the reference the tests hold the fast path to.

The fast path, taken by all three: one BatchNormalize node per call, over
(N, C, ...) for batch norm and over the rows of a (1, rows, -1) view for layer and
group norm. Compiled loops (minigrad.kernels.norm) compute the statistics and, in a
plain backward pass, the closed-form gradient students derive by hand; when a graph
of the gradient is being built (create_graph=True) the same formula runs in Tensor
ops, so second derivatives still flow.

Elsewhere: the modules (BatchNorm1d/2d, LayerNorm, GroupNorm, fold_batchnorm) are
minigrad/nn/normalization.py; the loops this node calls, minigrad/kernels/norm.py,
and their twins for reference mode, minigrad/reference/norm.py; batch norm over all
ranks, minigrad/distributed/sync_batchnorm.py.
"""

import numpy as np

from minigrad.autograd import Function, is_grad_enabled, no_grad
from minigrad.errors import ShapeError
from minigrad.kernels import norm as norm_kernels
from minigrad.ops import elementwise as ew
from minigrad.ops._promote import float_dtype
from minigrad.ops.reduce import mean, var
from minigrad.ops.reduce import sum as sum_
from minigrad.ops.shape import reshape
from minigrad.tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm"]


def _normalize(x, axes, eps):
    mu = mean(x, axis=axes, keepdims=True)
    sigma2 = var(x, axis=axes, keepdims=True, correction=0)  # the batch (biased) variance
    return (x - mu) / ew.sqrt(sigma2 + eps)


class BatchNormalize(Function):
    """y = gamma * x_hat + beta,  x_hat = (x - mean) / sqrt(var + eps) for each index c
    of axis 1, mean and biased var over axes 0 and 2:  x (A, C, P), gamma and beta
    (C,) or None -> y (A, C, P).  Batch norm views its input as (N, C, H*W), layer
    and group norm theirs as (1, rows, -1) (without gamma and beta: their affine
    step is not per row).

    With g = dL/dy and n = A*P values per c (Ioffe & Szegedy 2015, sec. 3):

        dL/dx = gamma * (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps)
        dL/dgamma = sum(g * x_hat),   dL/dbeta = sum(g)

    One node for what would be about twelve (mean, subtract, square, mean, add, sqrt,
    divide, multiply, add and their backward passes), gamma and beta inside it.
    The kernels are kernels.norm's; their twins, one channel at a time, reference.norm.
    """

    @staticmethod
    def forward(ctx, x, gamma, beta, eps, y, x_hat, inv_std):
        """y, x_hat and inv_std come from kernels.norm.batch_normalize, called by
        _normalize_axis1, which also needs that call's mean and variance."""
        ctx.save_for_backward(x, gamma)
        ctx.eps, ctx.x_hat, ctx.inv_std = eps, x_hat, inv_std
        ctx.has_gamma = gamma is not None
        return y

    @staticmethod
    def backward(ctx, grad):
        needs_gamma, needs_beta = ctx.needs_input_grad[1:3]
        if is_grad_enabled():  # building a graph of the gradient: the formula in ops
            return _backward_in_ops(ctx, grad, needs_gamma, needs_beta)
        x, gamma = ctx.saved_tensors
        dx, dgamma, dbeta = norm_kernels.batch_normalize_backward(
            grad._data, ctx.x_hat, ctx.inv_std, gamma._data if ctx.has_gamma else None)
        return (Tensor._make(dx, False, None),
                Tensor._make(dgamma.astype(gamma.dtype), False, None) if needs_gamma else None,
                Tensor._make(dbeta.astype(grad.dtype), False, None) if needs_beta else None,
                None, None, None, None)


def _backward_in_ops(ctx, grad, needs_gamma, needs_beta):
    """BatchNormalize's backward (the formula in its docstring) written in Tensor ops,
    for create_graph=True: x_hat and 1/sqrt(var + eps) are recomputed from the saved
    x, so that the gradient itself is differentiable in x and gamma."""
    x, gamma = ctx.saved_tensors
    centred = x - mean(x, axis=(0, 2), keepdims=True)
    inv_std = 1.0 / ew.sqrt(mean(centred * centred, axis=(0, 2), keepdims=True) + ctx.eps)
    x_hat = centred * inv_std
    g_hat = grad * reshape(gamma, (1, -1, 1)) if ctx.has_gamma else grad  # dL/dx_hat
    dx = (g_hat - mean(g_hat, axis=(0, 2), keepdims=True)
          - x_hat * mean(g_hat * x_hat, axis=(0, 2), keepdims=True)) * inv_std
    dgamma = sum_(grad * x_hat, axis=(0, 2)) if needs_gamma else None
    dbeta = sum_(grad, axis=(0, 2)) if needs_beta else None
    return dx, dgamma, dbeta, None, None, None, None


def _normalize_axis1(x, shape3, eps, gamma=None, beta=None):
    """gamma * x_hat + beta, x normalised for each index c of axis 1 of its (A, C, P)
    view `shape3` (gamma, beta: (C,) Tensors or None), by one BatchNormalize node,
    returned in x's shape, with the (C,) mean and biased variance of that view."""
    if x.dtype.kind != "f":  # integers normalise to float32 (_promote.py's rule)
        x = x.astype(float_dtype("normalize", x.dtype))
    x3 = reshape(x, shape3)
    y, x_hat, batch_mean, batch_var, inv_std = norm_kernels.batch_normalize(
        x3._data, eps, _array(gamma), _array(beta))
    return reshape(BatchNormalize.apply(x3, gamma, beta, eps, y, x_hat, inv_std), x.shape), \
        batch_mean, batch_var


def _channel_shaped(param, ndim):
    """(C,) -> (1, C, 1, ..., 1), to broadcast along axis 1 of an ndim input."""
    return reshape(param, (1, param.shape[0]) + (1,) * (ndim - 2))


def _array(value):
    return value._data if isinstance(value, Tensor) else value


def batch_norm(input, running_mean, running_var, weight=None, bias=None,  # noqa: A002
               training=False, momentum=0.1, eps=1e-5):
    """Batch normalisation (Ioffe & Szegedy 2015, arXiv:1502.03167).

    input: (N, C) or (N, C, L) or (N, C, H, W); statistics are per channel C,
    over every other axis (n = N * L or N * H * W values each).
    weight (gamma), bias (beta), running_mean, running_var: (C,) or None.

    training=True normalises with the batch's mean and biased variance and, when
    running stats are given, updates them in place with PyTorch's convention:
        running_mean <- (1 - momentum) running_mean + momentum * mean
        running_var  <- (1 - momentum) running_var  + momentum * var * n / (n - 1)
    (momentum weights the *new* value; the running variance is unbiased).
    training=False normalises with the running statistics.
    Returns a tensor shaped like input.
    """
    if input.ndim < 2:
        raise ShapeError(f"batch_norm: input must be (N, C, ...), got shape {tuple(input.shape)}")
    channels = input.shape[1]
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        if value is not None and tuple(np.shape(_array(value))) != (channels,):
            raise ShapeError(f"batch_norm: {name} has shape {tuple(np.shape(_array(value)))} "
                             f"but input of shape {tuple(input.shape)} has {channels} channels")
    if training:
        count = int(np.prod(input.shape, dtype=np.int64)) // channels
        if count < 2:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of shape {tuple(input.shape)}")
        # gamma and beta join the node when they keep the dtype (else NumPy promotes)
        fused = all(p is None or np.asarray(_array(p)).dtype == input.dtype
                    for p in (weight, bias))
        y, batch_mean, batch_var = _normalize_axis1(
            input, (input.shape[0], channels, -1), eps, *((weight, bias) if fused else ()))
        if fused:
            weight = bias = None  # applied
        if running_mean is not None and running_var is not None:
            _update_running_stats(batch_mean, batch_var * (count / (count - 1)),
                                  running_mean, running_var, momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: training=False needs running_mean and running_var")
        mu = _array(running_mean).reshape((1, channels) + (1,) * (input.ndim - 2))
        sigma2 = _array(running_var).reshape(mu.shape)
        y = (input - mu.astype(input.dtype)) / np.sqrt(sigma2 + eps).astype(input.dtype)
    if weight is not None:
        y = y * _channel_shaped(weight, input.ndim)
    if bias is not None:
        y = y + _channel_shaped(bias, input.ndim)
    return y


def _update_running_stats(batch_mean, unbiased_var, running_mean, running_var, momentum):
    """In-place exponential moving averages (no graph: they are buffers, not outputs)."""
    with no_grad():
        for buffer, value in ((running_mean, batch_mean), (running_var, unbiased_var)):
            array = _array(buffer)
            array *= 1 - momentum
            array += momentum * value.astype(array.dtype)
            if isinstance(buffer, Tensor):
                buffer._version.value += 1


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Layer normalisation (Ba, Kiros & Hinton 2016, arXiv:1607.06450).

    input: (..., *normalized_shape); statistics over the trailing
    len(normalized_shape) axes, separately for every leading index.
    weight, bias: normalized_shape or None.  Returns input's shape.
    """
    normalized_shape = ((normalized_shape,) if isinstance(normalized_shape, (int, np.integer))
                        else tuple(normalized_shape))
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k:]) != normalized_shape or input.ndim < k:
        raise ShapeError(f"layer_norm: input shape {tuple(input.shape)} does not end with "
                         f"normalized_shape {normalized_shape}")
    rows = int(np.prod(input.shape[:input.ndim - k], dtype=np.int64))
    y, _, _ = _normalize_axis1(input, (1, rows, -1), eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Group normalisation (Wu & He 2018, arXiv:1803.08494).

    input: (N, C, *); the C channels are split into num_groups groups of C/G
    consecutive channels; each (sample, group) is normalised over its channels and
    spatial positions.  weight, bias: (C,) per-channel affine.  Returns input's shape.
    """
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise ShapeError(f"group_norm: input of shape {tuple(input.shape)} must be (N, C, ...) "
                         f"with C divisible by num_groups={num_groups}")
    y, _, _ = _normalize_axis1(input, (1, input.shape[0] * num_groups, -1), eps)
    if weight is not None:
        y = y * _channel_shaped(weight, input.ndim)
    if bias is not None:
        y = y + _channel_shaped(bias, input.ndim)
    return y
