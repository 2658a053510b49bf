"""One-pass compiled versions of the optimiser updates, for contiguous float arrays.

The readable updates (`sgd_update`, ...) are NumPy expressions: each line is a pass
over the parameter and most allocate a temporary as large as it. For a 3136x128
weight that is five passes and three 1.6 MB temporaries per step, 1.7 ms for the
small CNN of benchmarks/bench_train.py; the loop below reads each element once
(0.2 ms). The optimisers use these when the arrays allow it (same float dtype,
C-contiguous) and fall back to the NumPy versions otherwise; tests check that both
give the same numbers.
"""

from numba import njit


@njit(cache=True, nogil=True)
def sgd_momentum_step(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov):
    """sgd_update with momentum > 0 and an existing buffer, on flat arrays, in place:
    g = grad + wd w;  b = mu b + (1 - dampening) g;  w -= lr (g + mu b if nesterov else b)."""
    keep = 1.0 - dampening
    for i in range(param.size):
        g = grad[i] + weight_decay * param[i]
        b = momentum * buf[i] + keep * g
        buf[i] = b
        param[i] -= lr * (g + momentum * b if nesterov else b)
