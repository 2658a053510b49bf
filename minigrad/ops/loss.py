"""Loss functions, each a composition of differentiable ops.

Conventions follow PyTorch's `torch.nn.functional`: `input` is the prediction,
`target` the label; `reduction` is 'mean' (default), 'sum' or 'none' (per-element
losses). Classification losses take logits/log-probabilities of shape (N, C) or
(N, C, d1, d2, ...) (class axis 1), or (C,) for a single sample.

Class targets are integer indices of shape (N,) / (N, d1, ...) given as a Tensor or
a NumPy array. Since `mg.tensor([0, 2, 1])` holds float32 (lists become float32),
integer-valued float targets whose shape is not the input's are read as indices
too; float targets with the input's shape are class probabilities.

Stability: everything goes through log_softmax / softplus, whose shifts keep exp()
arguments <= 0, so logits of +-1e4 give finite losses and gradients.
"""

import numpy as np

from minigrad._mode import reference_mode_enabled
from minigrad.autograd import Function
from minigrad.errors import DTypeError, ShapeError
from minigrad.ops import elementwise as ew
from minigrad.ops._promote import as_float, float_dtype, promoted
from minigrad.ops.activation import softplus
from minigrad.ops.reduce import log_softmax, softmax, sum
from minigrad.ops.shape import permute, reshape
from minigrad.reference import loss as reference
from minigrad.tensor import Tensor

__all__ = ["cross_entropy", "nll_loss", "multi_margin_loss", "mse_loss", "l1_loss",
           "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div", "focal_loss", "sigmoid_focal_loss"]

REDUCTIONS = ("mean", "sum", "none")


# ----------------------------------------------------------------- helpers
def _as_tensor(value, like=None):
    """A Tensor for value; with a floating-point `like`, float data takes like's dtype
    (float32 stays float32 even when targets arrive as float64 arrays). Next to an
    integer `like` the value keeps its dtype: promotion decides (0.3 is no integer)."""
    floating = like is not None and like.dtype.kind == "f"
    if isinstance(value, Tensor):
        if floating and value.dtype != like.dtype:
            return value.astype(like.dtype)  # differentiable cast
        return value
    array = np.asarray(value)
    if floating and array.dtype.kind in "biuf":
        array = array.astype(like.dtype)
    return Tensor._make(array, False, None)


def _float_input(value):
    """The prediction as a floating-point Tensor: a loss is a real number, so integer
    or bool predictions become float32 (_promote.py's rule); floats keep their dtype."""
    value = _as_tensor(value)
    dtype = float_dtype("loss", value.dtype)
    return value if value.dtype == dtype else value.astype(dtype)


def _constant(array, dtype):
    return Tensor._make(np.asarray(array, dtype=dtype), False, None)


def _check_reduction(op, reduction, allowed=REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"{op}: reduction must be one of {allowed}, got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _same_shape(op, input, target):  # noqa: A002
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeError(f"{op}: input shape {tuple(input.shape)} and target shape "
                         f"{tuple(target.shape)} differ; they must be equal (reshape the "
                         "target, e.g. (N,) vs (N, 1) is a classic bug)")


def _class_indices(op, input, target):  # noqa: A002
    """Target -> int64 array of shape (N, d1, ...), checked against input (N, C, d1, ...)."""
    array = np.asarray(target._data if isinstance(target, Tensor) else target)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise DTypeError(f"{op}: class targets must be integers; got float values of "
                             f"shape {array.shape} that are not whole numbers")
    elif array.dtype.kind not in "iu":
        raise DTypeError(f"{op}: class targets must be integers, got dtype {array.dtype}")
    expected = tuple(input.shape[:1]) + tuple(input.shape[2:])
    if array.shape != expected:
        raise ShapeError(f"{op}: input of shape {tuple(input.shape)} needs class targets of "
                         f"shape {expected}, got {array.shape}")
    return array.astype(np.int64)


def _class_weights(weight, classes, dtype, op):
    if weight is None:
        return np.ones(classes, dtype=dtype)
    weight = np.asarray(weight._data if isinstance(weight, Tensor) else weight, dtype=dtype)
    if weight.shape != (classes,):
        raise ShapeError(f"{op}: weight must have shape ({classes},), one per class, got "
                         f"{weight.shape}")
    return weight


def _classes_last(x):
    """(N, C, d1, ...) -> (N * d1 * ..., C): one row per predicted position."""
    if x.ndim > 2:
        x = permute(x, (0,) + tuple(range(2, x.ndim)) + (1,))
    return reshape(x, (-1, x.shape[-1]))


def _unbatched(input, target):  # noqa: A002
    """A single sample (C,) with a scalar target becomes a batch of one."""
    if input.ndim == 1:
        target_array = np.asarray(target._data if isinstance(target, Tensor) else target)
        if target_array.shape == input.shape:
            return reshape(input, (1, -1)), _as_tensor(target_array.reshape(1, -1)), True
        return reshape(input, (1, -1)), target_array.reshape(1), True
    return input, target, False


def _weighted_mean(summed, total_weight):
    """summed / total_weight. With nothing to average (every target ignore_index, or
    all their class weights 0) the loss is nan, as in PyTorch, and so is 0/0; but
    PyTorch's gradient is then 0, not nan, and so is this one's."""
    if total_weight == 0:
        return summed * 0.0 + float("nan")
    return summed / _constant(total_weight, summed.dtype)


def _finish(loss, reduction, unbatched):
    if unbatched and reduction == "none":
        return reshape(loss, ())
    return loss


# ----------------------------------------------------------------- classification
def _check_targets(flat, ignored, classes, ignore_index, op):
    """ValueError naming the first class index outside 0..classes-1 (ignored ones aside)."""
    bad = (~ignored) & ((flat < 0) | (flat >= classes))
    if bad.any():
        raise ValueError(f"{op}: target {int(flat[bad][0])} is out of range for {classes} "
                         f"classes (valid 0..{classes - 1}, or ignore_index={ignore_index})")


def _picked_log_probs(log_probs, indices, weight, ignore_index, op):
    """Per-position -w[y] log p[y] and the weights w[y] (0 where ignored), flat (M,)."""
    rows = _classes_last(log_probs)
    flat = indices.reshape(-1)
    ignored = flat == ignore_index
    _check_targets(flat, ignored, rows.shape[1], ignore_index, op)
    safe = np.where(ignored, 0, flat)
    picked_weight = np.where(ignored, 0, weight[safe]).astype(rows.dtype)
    picked = rows[np.arange(flat.size), safe]
    return -picked * _constant(picked_weight, rows.dtype), picked_weight, ignored


class SoftmaxCrossEntropy(Function):
    """loss = sum_i r_i (logsumexp(x_i) - x_i[y_i]) for logits x (N, C), class indices
    y (N,) and row weights r (N,): 1/count for a 'mean' (0 on ignored rows), 1 for a
    'sum'. One node for the whole of log_softmax, the pick and the reduction, the
    case almost every training step takes (instead of ten nodes).

    dloss/dx_i = r_i (softmax(x_i) - onehot(y_i)), the SoftmaxCrossEntropyGrad node,
    so second derivatives still flow.  Twin: reference.loss.softmax_cross_entropy.
    """

    @staticmethod
    def forward(ctx, x, indices, row_weights):
        ctx.save_for_backward(x)
        ctx.indices, ctx.row_weights = indices, row_weights
        if reference_mode_enabled():  # twin: one row at a time
            return reference.softmax_cross_entropy(x, indices, row_weights)
        shifted = x - x.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(shifted).sum(axis=1))
        picked = shifted[np.arange(len(indices)), indices]
        return np.asarray(np.dot(log_norm - picked, row_weights), dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return SoftmaxCrossEntropyGrad.apply(x, ctx.indices, ctx.row_weights) * grad, \
            None, None


class SoftmaxCrossEntropyGrad(Function):
    """g(x)_i = r_i (softmax(x_i) - onehot(y_i)):  x (N, C) -> (N, C).

    Its own derivative is the softmax Jacobian: for an upstream v,
    d<g, v>/dx_i = r_i s_i * (v_i - <v_i, s_i>), s = softmax(x), written in Tensor
    ops so that any order of derivative is available.
    Twin: reference.loss.softmax_cross_entropy_grad."""

    @staticmethod
    def forward(ctx, x, indices, row_weights):
        ctx.save_for_backward(x)
        ctx.row_weights = row_weights
        if reference_mode_enabled():  # twin: one row at a time
            return reference.softmax_cross_entropy_grad(x, indices, row_weights)
        shifted = np.exp(x - x.max(axis=1, keepdims=True))
        probs = shifted / shifted.sum(axis=1, keepdims=True)
        probs[np.arange(len(indices)), indices] -= 1
        probs *= row_weights[:, None]
        return probs

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        s = softmax(x, axis=1)
        weights = Tensor._make(ctx.row_weights[:, None].astype(x.dtype), False, None)
        return s * (grad - sum(grad * s, axis=1, keepdims=True)) * weights, None, None


def _fused_cross_entropy(input, indices, ignore_index, reduction):  # noqa: A002
    """cross_entropy for 2-D logits, index targets, no class weights or smoothing."""
    valid = indices != ignore_index
    _check_targets(indices, ~valid, input.shape[1], ignore_index, "cross_entropy")
    row_weights = valid.astype(input.dtype)
    if reduction == "mean" and valid.any():
        row_weights /= valid.sum()
    loss = SoftmaxCrossEntropy.apply(input, np.where(valid, indices, 0), row_weights)
    if reduction == "mean" and not valid.any():
        return _weighted_mean(loss, 0)
    return loss


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):  # noqa: A002
    """Negative log-likelihood of log-probabilities:  loss_i = -w[y_i] * input[i, y_i].

    input: (N, C) or (N, C, d1, ...) log-probabilities, or (C,); target: (N,) or
    (N, d1, ...) class indices.  'mean' divides by sum_i w[y_i] (PyTorch's weighted
    mean); positions whose target is ignore_index count nowhere.
    """
    _check_reduction("nll_loss", reduction)
    input = _float_input(input)  # noqa: A001
    input, target, unbatched = _unbatched(input, target)  # noqa: A001
    indices = _class_indices("nll_loss", input, target)
    weight = _class_weights(weight, input.shape[1], input.dtype, "nll_loss")
    losses, picked_weight, _ = _picked_log_probs(input, indices, weight, ignore_index,
                                                 "nll_loss")
    if reduction == "mean":
        return _weighted_mean(sum(losses), picked_weight.sum())
    if reduction == "sum":
        return sum(losses)
    return _finish(reshape(losses, indices.shape), reduction, unbatched)


def cross_entropy(input, target, weight=None, ignore_index=-100,  # noqa: A002
                  reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy on logits:  loss_i = -sum_c q_ic w_c log softmax(x_i)_c.

    input: (N, C) / (N, C, d1, ...) logits, or (C,).
    target: class indices (N,) / (N, d1, ...) (then q is one-hot), or class
        probabilities with input's shape (for mixup and soft labels).
    label_smoothing eps mixes q with the uniform distribution: q' = (1 - eps) q + eps/C
        (Szegedy et al. 2016, arXiv:1512.00567, sec. 7).
    weight: (C,) class weights.  With index targets 'mean' divides by sum_i w[y_i];
        with probability targets by the number of positions (as PyTorch does).
    """
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    input = _float_input(input)  # noqa: A001
    input, target, unbatched = _unbatched(input, target)  # noqa: A001
    target_shape = np.shape(target._data if isinstance(target, Tensor) else target)
    soft_targets = target_shape == tuple(input.shape)
    if (not soft_targets and input.ndim == 2 and input.dtype.kind == "f" and weight is None
            and not label_smoothing and reduction != "none"):
        indices = _class_indices("cross_entropy", input, target)
        return _fused_cross_entropy(input, indices, ignore_index, reduction)
    log_probs = log_softmax(input, axis=1)
    classes = input.shape[1]
    weight = _class_weights(weight, classes, input.dtype, "cross_entropy")
    class_shape = (1, classes) + (1,) * (input.ndim - 2)
    weight_b = _constant(weight.reshape(class_shape), input.dtype)
    if soft_targets:
        q = _as_tensor(target, input)
        if label_smoothing:
            q = q * (1 - label_smoothing) + label_smoothing / classes
        losses = -sum(log_probs * q * weight_b, axis=1)
        return _finish(_reduce(losses, reduction), reduction, unbatched)
    indices = _class_indices("cross_entropy", input, target)
    losses, picked_weight, ignored = _picked_log_probs(log_probs, indices, weight,
                                                       ignore_index, "cross_entropy")
    if label_smoothing:
        uniform = -sum(_classes_last(log_probs * weight_b), axis=1)
        uniform = uniform * _constant(~ignored, input.dtype)
        losses = losses * (1 - label_smoothing) + uniform * (label_smoothing / classes)
    if reduction == "mean":
        return _weighted_mean(sum(losses), picked_weight.sum())
    if reduction == "sum":
        return sum(losses)
    return _finish(reshape(losses, indices.shape), reduction, unbatched)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None,  # noqa: A002
                      reduction="mean"):
    """Multi-class hinge (SVM) loss, as in cs231n and Weston & Watkins 1999:

        loss_i = w[y_i] / C * sum_{j != y_i} max(0, margin - x_i[y_i] + x_i[j]) ** p

    input: (N, C) scores or (C,); target: (N,) class indices; p in {1, 2}.
    """
    _check_reduction("multi_margin_loss", reduction)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: p must be 1 or 2, got {p}")
    input = _float_input(input)  # noqa: A001
    input, target, unbatched = _unbatched(input, target)  # noqa: A001
    if input.ndim != 2:
        raise ShapeError(f"multi_margin_loss: input must be (N, C) or (C,), got "
                         f"{tuple(input.shape)}")
    indices = _class_indices("multi_margin_loss", input, target)
    n, classes = input.shape
    weight = _class_weights(weight, classes, input.dtype, "multi_margin_loss")
    correct = reshape(input[np.arange(n), indices], (n, 1))
    hinge = ew.relu(input - correct + margin)
    if p == 2:
        hinge = hinge * hinge
    others = np.ones((n, classes), dtype=input.dtype)
    others[np.arange(n), indices] = 0  # the j = y_i term is excluded
    scale = others * (weight[indices] / classes)[:, None]
    losses = sum(hinge * _constant(scale, input.dtype), axis=1)
    return _finish(_reduce(losses, reduction), reduction, unbatched)


def focal_loss(input, target, gamma=2.0, weight=None, reduction="mean"):  # noqa: A002
    """Softmax focal loss (Lin et al. 2017, arXiv:1708.02002, eq. 5, multi-class form):

        loss_i = -w[y_i] (1 - p_i) ** gamma * log p_i,    p_i = softmax(x_i)[y_i]

    Down-weights easy examples (p_i near 1). gamma = 0 gives cross_entropy.
    input: (N, C) logits; target: (N,) indices; weight: (C,) the alpha_t of the paper.
    """
    _check_reduction("focal_loss", reduction)
    input = _float_input(input)  # noqa: A001
    indices = _class_indices("focal_loss", input, target)
    weight = _class_weights(weight, input.shape[1], input.dtype, "focal_loss")
    log_probs = _classes_last(log_softmax(input, axis=1))
    flat = indices.reshape(-1)
    log_p = log_probs[np.arange(flat.size), flat]
    modulating = (1 - ew.exp(log_p)) ** gamma if gamma else 1.0
    losses = -log_p * modulating * _constant(weight[flat], input.dtype)
    return _reduce(reshape(losses, indices.shape), reduction)


# ----------------------------------------------------------------- binary
class BinaryCrossEntropy(Function):
    """loss = -(t max(log x, -100) + (1 - t) max(log(1 - x), -100)), elementwise,
    for probabilities x in [0, 1]: the logs are clamped as in PyTorch, so x = 0 or 1
    gives a finite loss.

    dloss/dx = (x - t) / max(x (1 - x), 1e-12), PyTorch's formula (its eps): the
    clamped loss is flat where a log is clamped, which would stall learning at a
    saturated wrong prediction (x = 0, t = 1); this gives -1e12 there.
    dloss/dt = max(log(1 - x), -100) - max(log x, -100).
    Shapes: x, t (same) -> loss (same).
    """

    EPS = 1e-12

    @staticmethod
    def forward(ctx, x, t):
        ctx.save_for_backward(x, t)
        x, t = (as_float("binary_cross_entropy", v)
                for v in promoted("binary_cross_entropy", x, t))
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped at once
            log_x = np.maximum(np.log(x), -100.0)
            log_1mx = np.maximum(np.log1p(-x), -100.0)
        return -(t * log_x + (1 - t) * log_1mx)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        grad_x = grad_t = None
        if ctx.needs_input_grad[0]:
            grad_x = grad * (x - t) / ew.clip(x * (1 - x), ctx.EPS, None)
        if ctx.needs_input_grad[1]:
            grad_t = grad * (_clamped_log(1 - x) - _clamped_log(x))
        return grad_x, grad_t


def _clamped_log(x):
    """max(log x, -100), differentiably, without evaluating log(0)."""
    tiny = np.finfo(x.dtype).smallest_subnormal  # log(tiny) < -100, yet never -inf
    return ew.clip(ew.log(ew.clip(x, tiny, None)), -100.0, None)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):  # noqa: A002
    """loss = -w (t log x + (1 - t) log(1 - x)) for probabilities x in [0, 1].

    Each log is clamped at -100, and the gradient is PyTorch's (BinaryCrossEntropy).
    Prefer binary_cross_entropy_with_logits: it is stable for any logit.
    input, target (and weight, broadcastable): same shape.
    """
    _check_reduction("binary_cross_entropy", reduction)
    input = _float_input(input)  # noqa: A001
    target = _as_tensor(target, input)
    _same_shape("binary_cross_entropy", input, target)
    if np.any((input._data < 0) | (input._data > 1)):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1]; "
                         "for logits use binary_cross_entropy_with_logits")
    losses = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        losses = losses * _as_tensor(weight, input)
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None,  # noqa: A002
                                     reduction="mean", pos_weight=None):
    """BCE on logits x:  loss = w ((1 - t) x + (1 + (pw - 1) t) softplus(-x)),

    which equals -w (pw t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))) but never
    evaluates log(0): softplus is computed stably.  pos_weight pw: per-class weight
    of the positive term (broadcast along the last axis).
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    input = _float_input(input)  # noqa: A001
    target = _as_tensor(target, input)
    _same_shape("binary_cross_entropy_with_logits", input, target)
    if pos_weight is None:
        log_weight = 1.0
    else:
        log_weight = (_as_tensor(pos_weight, input) - 1) * target + 1
    losses = (1 - target) * input + softplus(-input, threshold=np.inf) * log_weight
    if weight is not None:
        losses = losses * _as_tensor(weight, input)
    return _reduce(losses, reduction)


def sigmoid_focal_loss(input, target, alpha=0.25, gamma=2.0, reduction="none"):  # noqa: A002
    """Binary focal loss on logits (Lin et al. 2017, arXiv:1708.02002, eq. 5):

        loss = -alpha_t (1 - p_t) ** gamma log p_t,   p = sigmoid(x),
        p_t = p t + (1 - p)(1 - t),  alpha_t = alpha t + (1 - alpha)(1 - t)

    alpha < 0 disables the alpha weighting.  Defaults as in torchvision (reduction
    'none').  input, target: same shape.
    """
    _check_reduction("sigmoid_focal_loss", reduction)
    input = _float_input(input)  # noqa: A001
    target = _as_tensor(target, input)
    ce = binary_cross_entropy_with_logits(input, target, reduction="none")
    p = ew.sigmoid(input)
    p_t = p * target + (1 - p) * (1 - target)
    losses = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        losses = losses * (target * alpha + (1 - target) * (1 - alpha))
    return _reduce(losses, reduction)


# ----------------------------------------------------------------- regression
def mse_loss(input, target, reduction="mean"):  # noqa: A002
    """Squared error (x - t)^2.  input, target: same shape."""
    _check_reduction("mse_loss", reduction)
    input = _float_input(input)  # noqa: A001
    target = _as_tensor(target, input)
    _same_shape("mse_loss", input, target)
    difference = input - target
    return _reduce(difference * difference, reduction)


def l1_loss(input, target, reduction="mean"):  # noqa: A002
    """Absolute error |x - t|.  input, target: same shape."""
    _check_reduction("l1_loss", reduction)
    input = _float_input(input)  # noqa: A001
    target = _as_tensor(target, input)
    _same_shape("l1_loss", input, target)
    return _reduce(ew.abs(input - target), reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):  # noqa: A002
    """Smooth L1 (Girshick 2015, Fast R-CNN):  d = |x - t|,
    loss = 0.5 d^2 / beta if d < beta else d - 0.5 beta   (beta = 0: plain L1)."""
    _check_reduction("smooth_l1_loss", reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    input = _float_input(input)  # noqa: A001
    target = _as_tensor(target, input)
    _same_shape("smooth_l1_loss", input, target)
    difference = input - target
    distance = ew.abs(difference)
    quadratic = difference * difference * (0.5 / beta)
    return _reduce(ew.where(distance._data < beta, quadratic, distance - 0.5 * beta),
                   reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):  # noqa: A002
    """Huber loss (Huber 1964):  d = |x - t|,
    loss = 0.5 d^2 if d < delta else delta (d - 0.5 delta)  (= delta * smooth_l1 with
    beta = delta)."""
    _check_reduction("huber_loss", reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input = _float_input(input)  # noqa: A001
    target = _as_tensor(target, input)
    _same_shape("huber_loss", input, target)
    difference = input - target
    distance = ew.abs(difference)
    quadratic = difference * difference * 0.5
    return _reduce(ew.where(distance._data < delta, quadratic, (distance - 0.5 * delta) * delta),
                   reduction)


def kl_div(input, target, reduction="mean", log_target=False):  # noqa: A002
    """Kullback-Leibler divergence KL(target || q) with input = log q (PyTorch's order):

        loss = t (log t - input)         (0 where t = 0, the limit t log t -> 0)
        log_target=True: target holds log t:  loss = exp(target) (target - input)

    reduction 'batchmean' divides the sum by N = input.shape[0] (the true KL per
    sample); 'mean' divides by the number of elements.
    """
    _check_reduction("kl_div", reduction, REDUCTIONS + ("batchmean",))
    input = _float_input(input)  # noqa: A001
    target = _as_tensor(target, input)
    _same_shape("kl_div", input, target)
    if log_target:
        losses = ew.exp(target) * (target - input)
    else:
        positive = target._data > 0
        safe = ew.where(positive, target, np.ones((), dtype=target.dtype))
        zero = np.zeros((), dtype=input.dtype)
        losses = ew.where(positive, target * (ew.log(safe) - input), zero)
    if reduction == "batchmean":
        return losses.sum() * (1.0 / input.shape[0]) if input.ndim else losses.sum()
    return _reduce(losses, reduction)
