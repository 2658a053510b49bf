"""The update rules as the deep learning book writes them (Goodfellow, Bengio &
Courville 2016, "Deep Learning", ch. 8), where they differ from PyTorch's.
The classes keep their public names TextbookSGD and TextbookRMSprop ("textbook"
as in the book); the textbook *twins* of the fast kernels are minigrad/reference/.

    TextbookSGD      Alg. 8.1 (SGD), 8.2 (momentum as a velocity), 8.3 (Nesterov
                     momentum, gradient taken at the look-ahead point), plus L2 and
                     L1 weight decay.
    TextbookRMSprop  Alg. 8.5 (RMSProp, delta inside the root), 8.6 (RMSProp with
                     Nesterov momentum).

When they coincide with PyTorch's forms (the tests check each claim):
  - momentum: v = -lr * b, so TextbookSGD(momentum=a) and SGD(momentum=a) take the
    same steps while lr is constant; after an lr change they differ, because the
    book's velocity still carries the old lr.
  - Nesterov: PyTorch's SGD(nesterov=True) parameters equal the book's look-ahead
    point w + a v at every step (Sutskever et al. 2013 rewritten so the gradient is
    needed only at the stored point).
  - RMSProp: equal to RMSprop(alpha=rho) when eps = 0 in both (and constant lr if
    momentum is used).
  - Adagrad and Adam: the book's Alg. 8.4 and 8.7 are already PyTorch's rules.

The Nesterov variants must see the gradient at w + a v, so their step() needs the
closure: it moves the parameters there, calls the closure (which runs zero_grad,
forward and backward), moves them back and then updates.
"""

import numpy as np

from minigrad.autograd import enable_grad, no_grad
from minigrad.errors import DTypeError, ShapeError
from minigrad.optim.optimizer import Optimizer, _mark_updated, check_hyperparameter

__all__ = ["TextbookSGD", "TextbookRMSprop", "regularised_gradient", "velocity_update",
           "textbook_rmsprop_update"]


def regularised_gradient(param, grad, weight_decay, l1_weight_decay):
    """g + l2 * w + l1 * sign(w): the gradient of L + l2/2 ||w||^2 + l1 ||w||_1.

    For plain SGD this is the update w <- w - lr*g - lr*l2*w - lr*l1*sign(w): L2
    shrinks weights in proportion to their size, L1 by a constant amount, which
    drives small weights to exactly zero (Goodfellow et al. 2016, sec. 7.1.2).
    """
    if weight_decay != 0:
        grad = grad + weight_decay * param
    if l1_weight_decay != 0:
        grad = grad + l1_weight_decay * np.sign(param)
    return grad


def velocity_update(param, grad, velocity, lr, momentum):
    """v <- a v - lr g ;  w <- w + v        (Alg. 8.2; a = 0 gives Alg. 8.1)

    Shapes: all the parameter's; param and velocity change in place.
    """
    velocity *= momentum
    velocity -= lr * grad
    param += velocity


def textbook_rmsprop_update(param, grad, square_avg, velocity, lr, rho, eps, momentum):
    """r <- rho r + (1 - rho) g*g, then

        no momentum (Alg. 8.5):   w <- w - lr g / sqrt(eps + r)
        momentum a  (Alg. 8.6):   v <- a v - lr g / sqrt(eps + r) ;  w <- w + v

    Alg. 8.6 prints no eps; eps = 0 reproduces it literally (then a zero gradient
    coordinate with r = 0 gives 0/0). Shapes: all the parameter's; in place.
    """
    square_avg *= rho
    square_avg += (1 - rho) * grad * grad
    scaled = lr * grad / np.sqrt(eps + square_avg)
    if velocity is None:
        param -= scaled
    else:
        velocity *= momentum
        velocity -= scaled
        param += velocity


class _LookaheadOptimizer(Optimizer):
    """Adds the Nesterov look-ahead: the gradient is taken at w + a v, not at w."""

    def step(self, closure=None):
        if not any(group["nesterov"] for group in self.param_groups):
            return super().step(closure)
        if closure is None:
            raise ValueError(
                f"{self._name()}: nesterov=True needs step(closure): the gradient must be "
                "taken at the look-ahead point w + momentum * v, so the optimiser has to "
                "recompute it"
            )
        saved = self._move_to_lookahead()
        with enable_grad():
            loss = closure()
        with no_grad():
            try:
                gradients = self._gradients()
            except (ShapeError, DTypeError):
                self._move_back(saved)  # a bad .grad: leave the parameters where they were
                raise
            for group, p, grad in gradients:
                # the regulariser's gradient, like the loss's, at the look-ahead point
                state = self._state_for(p, group)
                grad = regularised_gradient(p._data, grad, group["weight_decay"],
                                            group.get("l1_weight_decay", 0.0))
                if id(p) in saved:
                    p._data[...] = saved.pop(id(p))
                self._apply(p._data, grad, state, group)
                _mark_updated(p)
            self._move_back(saved)  # parameters that got no gradient this time
        return loss

    def _move_back(self, saved):
        for group in self.param_groups:
            for p in group["params"]:
                if id(p) in saved:
                    p._data[...] = saved.pop(id(p))
                    _mark_updated(p)

    def _move_to_lookahead(self):
        saved = {}
        with no_grad():
            for group in self.param_groups:
                if not group["nesterov"]:
                    continue
                for p in group["params"]:
                    velocity = self.state.get(p, {}).get("velocity")
                    if velocity is not None:
                        saved[id(p)] = p._data.copy()
                        p._data += group["momentum"] * velocity
                        _mark_updated(p)
        return saved

    def _update(self, param, grad, state, group):
        grad = regularised_gradient(param, grad, group["weight_decay"],
                                    group.get("l1_weight_decay", 0.0))
        self._apply(param, grad, state, group)

    def _validate_group(self, group):
        super()._validate_group(group)
        for name in ("momentum", "weight_decay", "l1_weight_decay", "eps"):
            if name in group:
                check_hyperparameter(self._name(), name, group[name])
        if group["nesterov"] and group["momentum"] <= 0:
            raise ValueError(f"{self._name()}: nesterov=True needs momentum > 0, got "
                             f"momentum={group['momentum']}")


class TextbookSGD(_LookaheadOptimizer):
    """TextbookSGD(params, lr=1e-3, momentum=0, weight_decay=0, l1_weight_decay=0,
    nesterov=False): Alg. 8.1-8.3 of the deep learning book. State: "velocity"."""

    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, l1_weight_decay=0.0,
                 nesterov=False):
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                        l1_weight_decay=l1_weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    state_spec = {"velocity": "array"}
    required_state = ("velocity",)

    def _init_state(self, param, group):
        return {"velocity": np.zeros_like(param)}

    def _apply(self, param, grad, state, group):
        velocity_update(param, grad, state["velocity"], group["lr"], group["momentum"])


class TextbookRMSprop(_LookaheadOptimizer):
    """TextbookRMSprop(params, lr=1e-3, rho=0.9, eps=1e-6, momentum=0, nesterov=False,
    weight_decay=0): Alg. 8.5 and 8.6. State: "square_avg", "velocity"."""

    def __init__(self, params, lr=1e-3, rho=0.9, eps=1e-6, momentum=0.0, nesterov=False,
                 weight_decay=0.0):
        defaults = dict(lr=lr, rho=rho, eps=eps, momentum=momentum, nesterov=nesterov,
                        weight_decay=weight_decay)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        super()._validate_group(group)
        check_hyperparameter("TextbookRMSprop", "rho", group["rho"], below=1.0)

    state_spec = {"square_avg": "array", "velocity": "array"}
    required_state = ("square_avg", "velocity")

    def _init_state(self, param, group):
        return {"square_avg": np.zeros_like(param), "velocity": np.zeros_like(param)}

    def _apply(self, param, grad, state, group):
        velocity = state["velocity"] if group["momentum"] > 0 else None
        textbook_rmsprop_update(param, grad, state["square_avg"], velocity, group["lr"],
                                group["rho"], group["eps"], group["momentum"])
