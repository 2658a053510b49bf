"""Weight penalties to add to a loss:  loss = data_loss + penalty(model.parameters()).

    l1:          lambda * sum |w|                    (sparse weights; Tibshirani 1996)
    l2:          lambda / 2 * sum w^2                (weight decay: its gradient is lambda w)
    elastic net: l1_lambda * sum |w| + l2_lambda / 2 * sum w^2   (Zou & Hastie 2005)

With plain SGD, adding l2_penalty(params, wd) is the same update as SGD(weight_decay=wd).
Biases and normalisation parameters are usually left out: pass only the weights,
e.g. [p for name, p in model.named_parameters() if name.endswith("weight")].
"""

from minigrad.ops import elementwise as ew
from minigrad.ops.reduce import sum as _sum
from minigrad.tensor import Tensor

__all__ = ["l1_penalty", "l2_penalty", "elastic_net_penalty"]


def _tensors(parameters):
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if not parameters:
        raise ValueError("penalty: got an empty list of parameters")
    return parameters


def _total(terms):
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def l1_penalty(parameters, weight=1.0):
    """weight * sum_i sum |w_i|  (a scalar Tensor, differentiable)."""
    return _total([_sum(ew.abs(p)) for p in _tensors(parameters)]) * weight


def l2_penalty(parameters, weight=1.0):
    """weight / 2 * sum_i sum w_i^2  (a scalar Tensor, differentiable)."""
    return _total([_sum(p * p) for p in _tensors(parameters)]) * (weight / 2)


def elastic_net_penalty(parameters, l1_weight=1.0, l2_weight=1.0):
    """l1_penalty(l1_weight) + l2_penalty(l2_weight) over the same parameters."""
    parameters = _tensors(parameters)
    return l1_penalty(parameters, l1_weight) + l2_penalty(parameters, l2_weight)
