"""Adadelta: a step size from running averages of squared gradients and squared steps."""

import numpy as np

from minigrad.optim.optimizer import Optimizer, check_hyperparameter

__all__ = ["Adadelta", "adadelta_update"]


def adadelta_update(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay):
    """One step of Adadelta (Zeiler 2012, arXiv:1212.5701, Algorithm 1), PyTorch's form.

        g  <- g + wd * w
        v  <- rho * v + (1 - rho) * g * g                  (E[g^2], square_avg)
        d  =  sqrt(u + eps) / sqrt(v + eps) * g            (RMS[dx]_{t-1} / RMS[g]_t * g)
        u  <- rho * u + (1 - rho) * d * d                  (E[dx^2], acc_delta)
        w  <- w - lr * d

    Shapes: param, grad, square_avg, acc_delta all the parameter's shape; all but
    grad change in place. The paper has no learning rate (lr = 1, the default):
    the ratio of the two RMS values carries the units of w, which is Zeiler's
    point. u starts at 0, so the first steps are about sqrt(eps) / RMS[g] * g.
    """
    if weight_decay != 0:
        grad = grad + weight_decay * param
    square_avg *= rho
    square_avg += (1 - rho) * grad * grad
    delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
    acc_delta *= rho
    acc_delta += (1 - rho) * delta * delta
    param -= lr * delta


class Adadelta(Optimizer):
    """Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
    capturable=False, maximize=False, differentiable=False).

    State per parameter: "step" (int), "square_avg" (v), "acc_delta" (u). See
    `adadelta_update`.
    """

    state_spec = {"step": "count", "square_avg": "array", "acc_delta": "array"}
    required_state = ("step", "square_avg", "acc_delta")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, capturable=capturable, foreach=foreach,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        check_hyperparameter("Adadelta", "rho", group["rho"], at_most=1.0)
        check_hyperparameter("Adadelta", "eps", group["eps"])
        check_hyperparameter("Adadelta", "weight_decay", group["weight_decay"])

    def _init_state(self, param, group):
        return {"step": 0, "square_avg": np.zeros_like(param), "acc_delta": np.zeros_like(param)}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        adadelta_update(param, grad, state["square_avg"], state["acc_delta"], group["lr"],
                        group["rho"], group["eps"], group["weight_decay"])
