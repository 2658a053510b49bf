"""LARS: layer-wise adaptive rate scaling (You, Gitman & Ginsburg 2017, arXiv:1708.03888)."""

import numpy as np

from minigrad.optim.optimizer import Optimizer, check_hyperparameter

__all__ = ["LARS", "lars_update", "lars_trust_ratio"]


def lars_trust_ratio(param, grad, trust_coefficient, weight_decay, eps=0.0):
    """The local learning rate of one layer (You et al. 2017, eq. 6 with weight decay):

        local_lr = eta * ||w|| / (||g|| + beta * ||w|| + eps)

    eta = trust_coefficient, beta = weight_decay, norms are Euclidean over the
    whole tensor. It is 1 when ||w|| = 0 or ||g|| = 0 (a fresh zero-initialised
    bias, a layer that got no gradient), where the ratio says nothing.
    """
    w_norm = float(np.linalg.norm(param))
    g_norm = float(np.linalg.norm(grad))
    if w_norm == 0.0 or g_norm == 0.0:
        return 1.0
    return trust_coefficient * w_norm / (g_norm + weight_decay * w_norm + eps)


def lars_update(param, grad, buf, lr, momentum, weight_decay, trust_coefficient, eps,
                adapt=True):
    """One LARS step in place (You et al. 2017, Algorithm 1):

        local_lr = lars_trust_ratio(w, g)            (1 when adapt is False)
        v <- m v + lr * local_lr * (g + beta w)
        w <- w - v

    Why: with large batches the ratio ||w|| / ||g|| differs by orders of magnitude
    between layers, so one global rate is too large for some layers and too small
    for others; scaling each layer's step by eta ||w|| / ||g|| makes every layer
    move by about the same relative amount, eta * lr * ||w||.

    Shapes: param, grad, buf all the parameter's shape; buf is None before the
    first step. Returns the buffer to keep.
    """
    local_lr = lars_trust_ratio(param, grad, trust_coefficient, weight_decay, eps) \
        if adapt else 1.0
    step = (lr * local_lr) * (grad + weight_decay * param)
    if buf is None:
        buf = np.zeros_like(param)
    buf *= momentum
    buf += step.astype(param.dtype, copy=False)
    param -= buf
    return buf


class LARS(Optimizer):
    """LARS(params, lr, momentum=0.9, weight_decay=0, trust_coefficient=0.001, eps=0,
    adapt=True).

    See `lars_update`. A param group with adapt=False (common for biases and
    BatchNorm parameters) takes plain momentum SGD steps with the same lr.
    State per parameter: "momentum_buffer".
    """

    state_spec = {"momentum_buffer": "array"}

    def __init__(self, params, lr=1.0, momentum=0.9, weight_decay=0.0, trust_coefficient=0.001,
                 eps=0.0, adapt=True):
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                        trust_coefficient=trust_coefficient, eps=eps, adapt=adapt)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        for name in ("momentum", "weight_decay", "trust_coefficient", "eps"):
            check_hyperparameter("LARS", name, group[name])

    def _update(self, param, grad, state, group):
        state["momentum_buffer"] = lars_update(
            param, grad, state.get("momentum_buffer"), group["lr"], group["momentum"],
            group["weight_decay"], group["trust_coefficient"], group["eps"], group["adapt"])
