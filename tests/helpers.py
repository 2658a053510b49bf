"""Independent references shared by the op tests (no minigrad code inside)."""

import itertools

import numpy as np
from hypothesis import settings

# gradcheck builds full Jacobians: keep examples few and shapes small
GRADCHECK = settings(max_examples=12, deadline=None, derandomize=True)
QUICK = settings(max_examples=25, deadline=None, derandomize=True)


def naive_unbroadcast(grad, shape):
    """Fold a broadcast gradient back onto `shape` with an explicit loop:
    every element of grad is added to the input element it was copied from."""
    grad = np.asarray(grad)
    result = np.zeros(shape, dtype=np.float64)
    offset = grad.ndim - len(shape)
    for index in itertools.product(*(range(n) for n in grad.shape)):
        source = tuple(0 if shape[k] == 1 else index[k + offset] for k in range(len(shape)))
        result[source] += grad[index]
    return result


def rng(seed=0):
    return np.random.default_rng(seed)
