"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

import numpy as np

from minigrad.optim._fused import sgd_momentum_step
from minigrad.optim.optimizer import Optimizer, check_hyperparameter

__all__ = ["SGD", "sgd_update"]


def sgd_update(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov):
    """One step of PyTorch's SGD, in place on `param` (and on `buf` when momentum > 0).

        g <- g + wd * w                         (L2 penalty wd/2 ||w||^2)
        b <- g                                  on the first step
        b <- mu * b + (1 - dampening) * g       afterwards
        d <- g + mu * b   if nesterov  else  b  (d <- g when mu = 0)
        w <- w - lr * d

    Shapes: param, grad, buf all the parameter's shape. `buf` is None before the
    first step with momentum; the function returns the buffer to keep.

    The deep learning book (Goodfellow et al. 2016, Alg. 8.2) writes momentum as a
    velocity, v <- a v - lr g; w <- w + v. With a constant lr the two coincide
    (v = -lr b); when lr changes, the book's v keeps the old lr inside it while
    PyTorch's b does not (see TextbookSGD). The Nesterov line is the rewriting of
    Sutskever et al. 2013 ("On the importance of initialization and momentum in deep
    learning", ICML) that needs the gradient only at the current point.
    """
    if weight_decay != 0:
        grad = grad + weight_decay * param
    if momentum != 0:
        if buf is None:
            buf = np.array(grad, dtype=param.dtype, copy=True)
        else:
            buf *= momentum
            buf += (1 - dampening) * grad
        grad = grad + momentum * buf if nesterov else buf
    param -= lr * grad
    return buf


def _fusable(param, grad, buf):
    """Can the one-pass kernel update param and buf in place through flat views?"""
    arrays = (param, grad, buf)
    return param.dtype.kind == "f" and param.flags.writeable and buf.flags.writeable \
        and all(a.dtype == param.dtype and a.shape == param.shape and a.flags.c_contiguous
                for a in arrays)


class SGD(Optimizer):
    """SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
    maximize=False, foreach=None, differentiable=False, fused=None).

    See `sgd_update` for the rule; maximize=True ascends (g <- -g first). State per
    parameter: "momentum_buffer" once momentum is used.
    """

    state_spec = {"momentum_buffer": "array"}

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        check_hyperparameter("SGD", "momentum", group["momentum"])
        check_hyperparameter("SGD", "weight_decay", group["weight_decay"])
        check_hyperparameter("SGD", "dampening", group["dampening"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires a momentum and zero dampening; got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def _update(self, param, grad, state, group):
        buf = state.get("momentum_buffer")
        if buf is not None and group["momentum"] != 0 and _fusable(param, grad, buf):
            sgd_momentum_step(param.reshape(-1), grad.reshape(-1), buf.reshape(-1),
                              float(group["lr"]), float(group["momentum"]),
                              float(group["dampening"]), float(group["weight_decay"]),
                              bool(group["nesterov"]))
            return
        buf = sgd_update(param, grad, state.get("momentum_buffer"), group["lr"],
                         group["momentum"], group["dampening"], group["weight_decay"],
                         group["nesterov"])
        if buf is not None:
            state["momentum_buffer"] = buf
