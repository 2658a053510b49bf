"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

import numpy as np

from minigrad.optim.optimizer import Optimizer, check_hyperparameter

__all__ = ["RMSprop", "rmsprop_update"]


def rmsprop_update(param, grad, square_avg, grad_avg, buf, lr, alpha, eps, weight_decay,
                   momentum):
    """One step of PyTorch's RMSprop (Tieleman & Hinton 2012, Coursera lecture 6.5).

        g  <- g + wd * w
        v  <- alpha * v + (1 - alpha) * g * g            (square_avg)
        centered (grad_avg given):
            m  <- alpha * m + (1 - alpha) * g             (grad_avg)
            s  =  sqrt(v - m * m) + eps                  (Graves 2013, arXiv:1308.0850)
        else:
            s  =  sqrt(v) + eps
        momentum > 0:  b <- mu * b + g / s ;  w <- w - lr * b
        otherwise:     w <- w - lr * g / s

    Shapes: every array has the parameter's shape; grad_avg is None unless
    centered, buf is None unless momentum > 0. All are updated in place.

    The deep learning book (Goodfellow et al. 2016, Alg. 8.5) puts its delta inside
    the root, w <- w - lr * g / sqrt(delta + v); the two agree when eps = delta = 0
    (see TextbookRMSprop).
    """
    if weight_decay != 0:
        grad = grad + weight_decay * param
    square_avg *= alpha
    square_avg += (1 - alpha) * grad * grad
    if grad_avg is not None:
        grad_avg *= alpha
        grad_avg += (1 - alpha) * grad
        scale = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        scale = np.sqrt(square_avg) + eps
    if buf is not None:
        buf *= momentum
        buf += grad / scale
        param -= lr * buf
    else:
        param -= lr * grad / scale


class RMSprop(Optimizer):
    """RMSprop(params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
    centered=False, capturable=False, foreach=None, maximize=False,
    differentiable=False). State: "step", "square_avg", plus "grad_avg" (centered)
    and "momentum_buffer" (momentum > 0)."""

    state_spec = {"step": "count", "square_avg": "array", "grad_avg": "array",
                  "momentum_buffer": "array"}
    required_state = ("step", "square_avg")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, capturable=capturable,
                        foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        # PyTorch checks only alpha >= 0; above 1 the average would grow without bound
        check_hyperparameter("RMSprop", "alpha", group["alpha"], at_most=1.0)
        for name in ("eps", "weight_decay", "momentum"):
            check_hyperparameter("RMSprop", name, group[name])

    def _update(self, param, grad, state, group):
        if "step" not in state:
            state.update(step=0, square_avg=np.zeros_like(param))
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = np.zeros_like(param)
        if group["momentum"] > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(param)
        state["step"] += 1
        rmsprop_update(param, grad, state["square_avg"],
                       state.get("grad_avg") if group["centered"] else None,
                       state.get("momentum_buffer") if group["momentum"] > 0 else None,
                       group["lr"], group["alpha"], group["eps"], group["weight_decay"],
                       group["momentum"])
