"""Adam and AdamW: momentum on the gradient and on its square, bias-corrected."""

import math

import numpy as np

from minigrad.optim.optimizer import Optimizer, check_betas, check_hyperparameter

__all__ = ["Adam", "AdamW", "adam_update"]


def adam_moments(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, weight_decay,
                 decoupled):
    """Adam's first half, shared by RAdam: weight decay, then both moments, in place.

        decoupled: w <- w * (1 - lr * wd);   otherwise: g <- g + wd * w
        m <- beta1 * m + (1 - beta1) * g;    v <- beta2 * v + (1 - beta2) * g * g
    """
    if weight_decay != 0:
        if decoupled:
            param *= 1 - lr * weight_decay
        else:
            grad = grad + weight_decay * param
    exp_avg *= beta1
    exp_avg += (1 - beta1) * grad
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad


def adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2,
                eps, weight_decay, decoupled):
    """One step of Adam (Kingma & Ba 2014, arXiv:1412.6980), PyTorch's form.

        decoupled (AdamW):  w <- w * (1 - lr * wd)      (Loshchilov & Hutter 2017,
                                                         arXiv:1711.05101)
        otherwise:          g <- g + wd * w             (L2 penalty through the moments)
        m  <- beta1 * m + (1 - beta1) * g
        v  <- beta2 * v + (1 - beta2) * g * g
        amsgrad:  vmax <- max(vmax, v), and vmax replaces v below (Reddi et al. 2018,
                  "On the convergence of Adam and beyond", ICLR)
        w  <- w - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    t = 1, 2, ... is `step`. Shapes: every array has the parameter's shape;
    max_exp_avg_sq is None unless amsgrad. This is the paper's Algorithm 1 (and the
    deep learning book's Alg. 8.7) with m_hat = m / (1 - beta1^t) and
    v_hat = v / (1 - beta2^t) written out; the paper's faster variant, which puts eps
    next to sqrt(v) instead of sqrt(v_hat), differs slightly while v is small.
    """
    adam_moments(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, weight_decay, decoupled)
    if max_exp_avg_sq is not None:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second_moment = max_exp_avg_sq
    else:
        second_moment = exp_avg_sq
    step_size = lr / (1 - beta1 ** step)
    denom = np.sqrt(second_moment) / math.sqrt(1 - beta2 ** step) + eps
    param -= step_size * exp_avg / denom


class Adam(Optimizer):
    """Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
    foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
    decoupled_weight_decay=False).

    decoupled_weight_decay=True is AdamW. State per parameter: "step" (int),
    "exp_avg" (m), "exp_avg_sq" (v) and, with amsgrad, "max_exp_avg_sq". See
    `adam_update`.
    """

    state_spec = {"step": "count", "exp_avg": "array", "exp_avg_sq": "array",
                  "max_exp_avg_sq": "array"}
    required_state = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        name = self._name()
        group["betas"] = check_betas(name, group["betas"])
        check_hyperparameter(name, "eps", group["eps"])
        check_hyperparameter(name, "weight_decay", group["weight_decay"])

    def _init_state(self, param, group):
        state = {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def _update(self, param, grad, state, group):
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        adam_update(param, grad, state["exp_avg"], state["exp_avg_sq"],
                    state["max_exp_avg_sq"] if group["amsgrad"] else None, state["step"],
                    group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                    group["decoupled_weight_decay"])


class AdamW(Adam):
    """AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01,
    amsgrad=False, *, maximize=False, foreach=None, capturable=False,
    differentiable=False, fused=None): Adam with decoupled weight decay,
    w <- w * (1 - lr * wd) before the Adam step (Loshchilov & Hutter 2017,
    arXiv:1711.05101). Every group has decoupled_weight_decay=True."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def _validate_group(self, group):
        group["decoupled_weight_decay"] = True  # also in a loaded or added group
        super()._validate_group(group)
