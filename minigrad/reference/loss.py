"""Softmax cross-entropy one row at a time. Twins of the fused loss nodes in
minigrad.ops.loss (SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad), on arrays.

For logits x (N, C), class indices y (N,) and row weights r (N,):

    loss = sum_i r_i (log sum_c exp(x_ic) - x_i[y_i])
    dloss/dx_i = r_i (softmax(x_i) - onehot(y_i))

Each row is shifted by its maximum first, so exp never overflows.
"""

import numpy as np

__all__ = ["softmax_cross_entropy", "softmax_cross_entropy_grad"]


def softmax_cross_entropy(x, indices, row_weights):
    """Mirrors SoftmaxCrossEntropy.forward: x (N, C) -> the loss, a 0-d array of x's dtype."""
    total = 0.0
    for i in range(x.shape[0]):
        shifted = x[i] - x[i].max()
        total += row_weights[i] * (np.log(np.exp(shifted).sum()) - shifted[indices[i]])
    return np.asarray(total, dtype=x.dtype)


def softmax_cross_entropy_grad(x, indices, row_weights):
    """Mirrors SoftmaxCrossEntropyGrad.forward: x (N, C) -> r_i (softmax(x_i) - onehot(y_i))."""
    grad = np.empty_like(x)
    for i in range(x.shape[0]):
        e = np.exp(x[i] - x[i].max())
        grad[i] = e / e.sum()
        grad[i, indices[i]] -= 1
        grad[i] *= row_weights[i]
    return grad
