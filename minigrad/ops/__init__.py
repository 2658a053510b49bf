"""Differentiable primitives, one module per family."""

from minigrad.ops.elementwise import (
    abs,
    add,
    astype,
    clamp,
    clip,
    div,
    exp,
    log,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    relu,
    sigmoid,
    sqrt,
    sub,
    tanh,
    where,
)
from minigrad.ops.index import getitem, index_put
from minigrad.ops.linalg import matmul
from minigrad.ops.reduce import log_softmax, logsumexp, max, mean, min, softmax, std, sum, var
from minigrad.ops.shape import (
    broadcast_to,
    cat,
    concatenate,
    expand,
    flatten,
    pad,
    permute,
    reshape,
    squeeze,
    stack,
    sum_to,
    transpose,
    unsqueeze,
    view,
)

__all__ = [
    "abs", "add", "astype", "clamp", "clip", "div", "exp", "log", "maximum", "minimum",
    "mul", "neg", "pow", "relu", "sigmoid", "sqrt", "sub", "tanh", "where", "getitem",
    "index_put", "matmul", "log_softmax", "logsumexp", "max", "mean", "min", "softmax",
    "std", "sum", "var", "broadcast_to", "cat", "concatenate", "expand", "flatten", "pad",
    "permute", "reshape", "squeeze", "stack", "sum_to", "transpose", "unsqueeze", "view",
]
