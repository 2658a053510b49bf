"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

import numpy as np

from minigrad.optim.optimizer import Optimizer, check_hyperparameter

__all__ = ["Adagrad", "adagrad_update"]


def adagrad_update(param, grad, sum_sq, step, lr, lr_decay, weight_decay, eps):
    """One step of Adagrad (Duchi, Hazan & Singer 2011, JMLR 12), PyTorch's form.

        g     <- g + wd * w
        lr_t  =  lr / (1 + (t - 1) * lr_decay)          t = 1, 2, ... (this step)
        r     <- r + g * g
        w     <- w - lr_t * g / (sqrt(r) + eps)

    Shapes: param, grad, sum_sq all the parameter's shape; `step` is t.
    This is also the deep learning book's Alg. 8.4 (Goodfellow et al. 2016), with
    its delta = eps outside the square root and lr_decay = 0.
    """
    if weight_decay != 0:
        grad = grad + weight_decay * param
    lr_t = lr / (1 + (step - 1) * lr_decay)
    sum_sq += grad * grad
    param -= lr_t * grad / (np.sqrt(sum_sq) + eps)


class Adagrad(Optimizer):
    """Adagrad(params, lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
    eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None).
    State per parameter: "step" (int), "sum" (running sum of g*g)."""

    state_spec = {"step": "count", "sum": "array"}
    required_state = ("step", "sum")

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        fused=fused)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        for name in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_hyperparameter("Adagrad", name, group[name])

    def _init_state(self, param, group):
        # created when the parameter is first seen, even if it has no grad yet
        return {"step": 0,
                "sum": np.full_like(param, group["initial_accumulator_value"])}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        adagrad_update(param, grad, state["sum"], state["step"], group["lr"],
                       group["lr_decay"], group["weight_decay"], group["eps"])
