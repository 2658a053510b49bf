"""RAdam: Adam whose adaptive step is switched on gradually, as v becomes reliable."""

import math

import numpy as np

from minigrad.optim.adam import adam_moments
from minigrad.optim.optimizer import Optimizer, check_betas, check_hyperparameter

__all__ = ["RAdam", "radam_update", "radam_rectification"]


def radam_rectification(beta2, step):
    """r_t, or None while the variance of the adaptive rate is intractable (rho_t <= 5).

        rho_inf = 2 / (1 - beta2) - 1
        rho_t   = rho_inf - 2 t beta2^t / (1 - beta2^t)
        r_t     = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))

    rho_t is the length of the simple moving average that the exponential one
    approximates after t steps (Liu et al. 2019, eq. 5-7); r_t rescales the
    adaptive rate so its variance matches that of the limit t -> infinity.
    """
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * beta2 ** step / (1 - beta2 ** step)
    if rho_t <= 5:
        return None
    return math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                     / ((rho_inf - 4) * (rho_inf - 2) * rho_t))


def radam_update(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay,
                 decoupled):
    """One step of RAdam (Liu et al. 2019, "On the variance of the adaptive learning rate
    and beyond", arXiv:1908.03265, Algorithm 2), PyTorch's form.

        decoupled:   w <- w * (1 - lr * wd)            (as AdamW)
        otherwise:   g <- g + wd * w
        m     <- beta1 * m + (1 - beta1) * g
        v     <- beta2 * v + (1 - beta2) * g * g
        m_hat =  m / (1 - beta1^t)
        r_t   =  radam_rectification(beta2, t)
        r_t defined (rho_t > 5):  w <- w - lr * m_hat * r_t * sqrt(1 - beta2^t) / (sqrt(v) + eps)
        otherwise:                w <- w - lr * m_hat        (momentum SGD, no adaptive rate)

    t = 1, 2, ... is `step`. Shapes: every array has the parameter's shape; param,
    exp_avg (m) and exp_avg_sq (v) change in place. With beta2 = 0.999 the first
    five steps are plain momentum SGD: the warm-up that Adam needs, built in.
    """
    adam_moments(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, weight_decay, decoupled)
    corrected_avg = exp_avg / (1 - beta1 ** step)
    rectification = radam_rectification(beta2, step)
    if rectification is None:
        param -= lr * corrected_avg
    else:
        adaptive = math.sqrt(1 - beta2 ** step) / (np.sqrt(exp_avg_sq) + eps)
        param -= lr * rectification * corrected_avg * adaptive


class RAdam(Optimizer):
    """RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
    differentiable=False).

    State per parameter: "step" (int), "exp_avg" (m), "exp_avg_sq" (v). See
    `radam_update`.
    """

    state_spec = {"step": "count", "exp_avg": "array", "exp_avg_sq": "array"}
    required_state = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        group["betas"] = check_betas("RAdam", group["betas"])
        check_hyperparameter("RAdam", "eps", group["eps"])
        check_hyperparameter("RAdam", "weight_decay", group["weight_decay"])

    def _init_state(self, param, group):
        return {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        beta1, beta2 = group["betas"]
        radam_update(param, grad, state["exp_avg"], state["exp_avg_sq"], state["step"],
                     group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                     group["decoupled_weight_decay"])
