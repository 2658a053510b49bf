"""One-pass compiled versions of the optimiser updates, for contiguous float arrays.

The readable updates (`sgd_update`, ...) are NumPy expressions: each line is a pass
over the parameter and most allocate a temporary as large as it, five passes and
three temporaries for SGD with momentum. The loop below reads each element once.
Hot in cache the difference is small (a 3136x128 weight: 226 against 169 us); in
training, where the weights come back cold after the forward and backward passes,
opt.step() of the small CNN of benchmarks/bench_train.py took 1.8-2.4 ms with the
NumPy update and 0.5-0.7 ms with this loop. The optimisers use these when the
arrays allow it (same float dtype, C-contiguous) and fall back to the NumPy
versions otherwise; tests check that both give the same numbers.
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
