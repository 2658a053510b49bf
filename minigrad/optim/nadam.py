"""NAdam: Adam with Nesterov momentum, on a warming-up momentum schedule."""

import numpy as np

from minigrad.optim.optimizer import Optimizer, check_betas, check_hyperparameter

__all__ = ["NAdam", "nadam_update", "nadam_momentum"]


def nadam_momentum(beta1, momentum_decay, step):
    """mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi)): the momentum of step t, rising from
    beta1 / 2 towards beta1 (Dozat 2016, after Sutskever et al. 2013's schedule)."""
    return beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))


def nadam_update(param, grad, exp_avg, exp_avg_sq, step, mu_product, lr, beta1, beta2, eps,
                 weight_decay, momentum_decay, decoupled):
    """One step of NAdam (Dozat 2016, "Incorporating Nesterov momentum into Adam", ICLR
    workshop), PyTorch's form. Returns the new product of momenta mu_1 ... mu_t.

        decoupled:   w <- w * (1 - lr * wd)            (as AdamW)
        otherwise:   g <- g + wd * w
        mu_t = nadam_momentum(t),  mu_next = nadam_momentum(t + 1)
        P    <- P * mu_t                                (mu_product, P_0 = 1)
        m    <- beta1 * m + (1 - beta1) * g
        v    <- beta2 * v + (1 - beta2) * g * g
        s    =  sqrt(v / (1 - beta2^t)) + eps
        w    <- w - lr * (1 - mu_t) / (1 - P) * g / s
                  - lr * mu_next / (1 - P * mu_next) * m / s

    t = 1, 2, ... is `step`. Shapes: every array has the parameter's shape; param,
    exp_avg (m) and exp_avg_sq (v) change in place. The two terms are Nesterov's
    look-ahead: the current gradient with this step's momentum weight, plus the
    running average already pushed one step on with the next step's weight, each
    bias-corrected by the product of the momenta so far.
    """
    if weight_decay != 0:
        if decoupled:
            param *= 1 - lr * weight_decay
        else:
            grad = grad + weight_decay * param
    mu = nadam_momentum(beta1, momentum_decay, step)
    mu_next = nadam_momentum(beta1, momentum_decay, step + 1)
    mu_product = mu_product * mu
    exp_avg *= beta1
    exp_avg += (1 - beta1) * grad
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad
    denom = np.sqrt(exp_avg_sq / (1 - beta2 ** step)) + eps
    param -= lr * (1 - mu) / (1 - mu_product) * grad / denom
    param -= lr * mu_next / (1 - mu_product * mu_next) * exp_avg / denom
    return mu_product


class NAdam(Optimizer):
    """NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None, maximize=False,
    capturable=False, differentiable=False).

    State per parameter: "step" (int), "mu_product" (float), "exp_avg" (m),
    "exp_avg_sq" (v). See `nadam_update`.
    """

    state_spec = {"step": "count", "mu_product": "number", "exp_avg": "array",
                  "exp_avg_sq": "array"}
    required_state = ("step", "mu_product", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        group["betas"] = check_betas("NAdam", group["betas"])
        for name in ("eps", "weight_decay", "momentum_decay"):
            check_hyperparameter("NAdam", name, group[name])

    def _init_state(self, param, group):
        return {"step": 0, "mu_product": 1.0, "exp_avg": np.zeros_like(param),
                "exp_avg_sq": np.zeros_like(param)}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        beta1, beta2 = group["betas"]
        state["mu_product"] = nadam_update(
            param, grad, state["exp_avg"], state["exp_avg_sq"], state["step"],
            state["mu_product"], group["lr"], beta1, beta2, group["eps"],
            group["weight_decay"], group["momentum_decay"], group["decoupled_weight_decay"])
