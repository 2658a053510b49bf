"""Gradient clipping, applied between `loss.backward()` and `optimizer.step()`.

    loss.backward()
    total_norm = clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()

Both functions edit each parameter's `.grad` in place and skip parameters whose
`.grad` is None, like their PyTorch namesakes. Clipping by norm keeps the update's
direction and only shortens it; clipping by value changes the direction too.
Reference: Pascanu, Mikolov & Bengio 2013, "On the difficulty of training
recurrent neural networks", arXiv:1211.5063 (norm clipping against exploding
gradients).
"""

import math

import numpy as np

from minigrad.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def _as_parameter_list(parameters, op_name):
    """Accept a single Tensor or any iterable of Tensors (e.g. a generator)."""
    if isinstance(parameters, Tensor):
        return [parameters]
    parameters = list(parameters)
    for index, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(
                f"{op_name}: parameters must be Tensors, but item {index} is "
                f"{type(p).__name__}"
            )
    return parameters


def _vector_norm(array, norm_type):
    """||x||_p = (sum |x_i|^p)^(1/p); p = inf gives max |x_i|. Computed in x's dtype."""
    flat = np.abs(array.ravel())
    if flat.size == 0:
        return array.dtype.type(0)
    if norm_type == math.inf:
        return flat.max()
    if norm_type == 2.0:
        return np.sqrt(np.dot(flat, flat))
    p = array.dtype.type(norm_type)
    return np.sum(flat ** p) ** (1 / p)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Rescale all gradients together so that their joint norm is at most max_norm.

        total = || (||g_1||_p, ..., ||g_k||_p) ||_p      (= ||concat(g_1..g_k)||_p)
        c     = min(1, max_norm / (total + 1e-6))
        g_i  <- c * g_i                                   for every i

    The 1e-6 keeps c finite when every gradient is zero (PyTorch's convention).

    Args:
        parameters: a Tensor or an iterable of Tensors; those with .grad None are skipped.
        max_norm: the largest allowed total norm (float).
        norm_type: p of the p-norm (float; `math.inf` or 'inf' for the max-norm).
        error_if_nonfinite: raise RuntimeError when the total norm is nan or inf
            (otherwise the gradients are scaled by nan/0 and training will show it).
    Returns:
        total: a 0-d Tensor, the norm of all gradients *before* clipping.
    """
    parameters = _as_parameter_list(parameters, "clip_grad_norm_")
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if norm_type <= 0 or math.isnan(norm_type):
        raise ValueError(f"clip_grad_norm_: norm_type must be positive, got {norm_type}")
    grads = [p.grad._data for p in parameters if p.grad is not None]
    if not grads:
        return Tensor(np.zeros((), dtype=np.float32))
    dtype = np.result_type(*grads)
    norms = np.array([_vector_norm(g, norm_type) for g in grads], dtype=dtype)
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"{total}, so they cannot be clipped; set error_if_nonfinite=False to scale "
            "them anyway"
        )
    coef = np.minimum(dtype.type(max_norm) / (total + dtype.type(1e-6)), dtype.type(1.0))
    # with an infinite total, coef = 0 and inf * 0 = nan: deliberate (as in PyTorch),
    # so that the bad step shows up downstream instead of being silently zeroed
    with np.errstate(invalid="ignore"):
        for g in grads:
            g *= coef.astype(g.dtype)
    return Tensor(np.asarray(total, dtype=dtype))


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element into [-clip_value, clip_value], in place.

        g_i <- min(max(g_i, -c), c)

    Args:
        parameters: a Tensor or an iterable of Tensors; those with .grad None are skipped.
        clip_value: c >= 0 (float).
    """
    parameters = _as_parameter_list(parameters, "clip_grad_value_")
    clip_value = float(clip_value)
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for p in parameters:
        if p.grad is not None:
            np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)


def parameters_to_vector(parameters):
    """Concatenate the parameters' values into one flat (sum of sizes,) Tensor (a copy)."""
    parameters = _as_parameter_list(parameters, "parameters_to_vector")
    return Tensor(np.concatenate([p._data.ravel() for p in parameters]))


def vector_to_parameters(vector, parameters):
    """Copy consecutive slices of a flat vector back into the parameters, in place."""
    parameters = _as_parameter_list(parameters, "vector_to_parameters")
    values = vector._data if isinstance(vector, Tensor) else np.asarray(vector)
    needed = sum(p.numel() for p in parameters)
    if values.ndim != 1 or values.size != needed:
        raise ValueError(
            f"vector_to_parameters: vector has shape {values.shape} but the parameters "
            f"hold {needed} numbers in total (expected shape ({needed},))"
        )
    start = 0
    for p in parameters:
        p._data[...] = values[start:start + p.numel()].reshape(p.shape)
        p._version.value += 1  # saved copies of the old value are stale
        start += p.numel()
