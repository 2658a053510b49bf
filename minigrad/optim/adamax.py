"""Adamax: Adam with the infinity norm of past gradients in place of their RMS."""

import numpy as np

from minigrad.optim.optimizer import Optimizer, check_betas, check_hyperparameter

__all__ = ["Adamax", "adamax_update"]


def adamax_update(param, grad, exp_avg, exp_inf, step, lr, beta1, beta2, eps, weight_decay):
    """One step of Adamax (Kingma & Ba 2014, arXiv:1412.6980, sec. 7.1, Algorithm 2),
    PyTorch's form.

        g  <- g + wd * w
        m  <- beta1 * m + (1 - beta1) * g
        u  <- max(beta2 * u, |g| + eps)            (elementwise)
        w  <- w - lr / (1 - beta1^t) * m / u

    t = 1, 2, ... is `step`. Shapes: every array has the parameter's shape; param,
    exp_avg (m) and exp_inf (u) change in place. u is the limit p -> infinity of
    Adam's (beta2^p-weighted) p-norm of the past gradients, so it needs no bias
    correction. The paper's max has no eps; PyTorch adds it to |g| so that a
    coordinate that has only ever seen zero gradients gives 0 / eps, not 0 / 0.
    """
    if weight_decay != 0:
        grad = grad + weight_decay * param
    exp_avg *= beta1
    exp_avg += (1 - beta1) * grad
    exp_inf *= beta2
    np.maximum(exp_inf, np.abs(grad) + eps, out=exp_inf)
    param -= lr / (1 - beta1 ** step) * exp_avg / exp_inf


class Adamax(Optimizer):
    """Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None,
    *, maximize=False, differentiable=False, capturable=False).

    State per parameter: "step" (int), "exp_avg" (m), "exp_inf" (u). See
    `adamax_update`.
    """

    state_spec = {"step": "count", "exp_avg": "array", "exp_inf": "array"}
    required_state = ("step", "exp_avg", "exp_inf")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        group["betas"] = check_betas("Adamax", group["betas"])
        check_hyperparameter("Adamax", "eps", group["eps"])
        check_hyperparameter("Adamax", "weight_decay", group["weight_decay"])

    def _init_state(self, param, group):
        return {"step": 0, "exp_avg": np.zeros_like(param), "exp_inf": np.zeros_like(param)}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        beta1, beta2 = group["betas"]
        adamax_update(param, grad, state["exp_avg"], state["exp_inf"], state["step"],
                      group["lr"], beta1, beta2, group["eps"], group["weight_decay"])
