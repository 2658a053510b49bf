"""One-pass compiled versions of the optimiser updates, for contiguous float arrays.

The readable updates (`sgd_update`, ...) are NumPy expressions: each line is a pass
over the parameter and most allocate a temporary as large as it, five passes and
three temporaries for SGD with momentum. The loop below reads each element once,
which matters in training, where the weights come back cold from memory after the
forward and backward passes (benchmarks/bench_optim.py). The optimisers use these
when the arrays allow it (same float dtype, C-contiguous) and fall back to the
NumPy versions otherwise; tests check that both give the same numbers. In
reference mode each step calls the NumPy update instead, its twin.
"""

from minigrad._mode import reference_mode_enabled
from minigrad.kernels._lazy import njit


def sgd_momentum_step(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov):
    """sgd_update with momentum > 0 and an existing buffer, on flat arrays, in place:
    g = grad + wd w;  b = mu b + (1 - dampening) g;  w -= lr (g + mu b if nesterov else b).
    Twin: minigrad.optim.sgd.sgd_update, the update as NumPy lines."""
    if reference_mode_enabled():
        from minigrad.optim.sgd import sgd_update  # deferred: sgd.py imports this module
        sgd_update(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov)
        return
    _sgd_momentum_loop(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov)


@njit(cache=True, nogil=True)
def _sgd_momentum_loop(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov):
    keep = 1.0 - dampening
    for i in range(param.size):
        g = grad[i] + weight_decay * param[i]
        b = momentum * buf[i] + keep * g
        buf[i] = b
        param[i] -= lr * (g + momentum * b if nesterov else b)
