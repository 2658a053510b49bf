"""Matrix multiplication with NumPy's semantics (batched, broadcasting, 1-D vectors)."""

import numpy as np

from minigrad.autograd import Function
from minigrad.errors import ShapeError
from minigrad.ops._args import broadcast_shapes
from minigrad.ops.shape import reshape, sum_to, transpose
from minigrad.tensor import Tensor


class MatMul(Function):
    """C = A @ B for A (..., n, k), B (..., k, m) -> C (..., n, m).

    dA = dC @ B^T,   dB = A^T @ dC   (then summed over broadcast batch axes).
    """

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return np.matmul(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = sum_to(grad @ transpose(b, -1, -2), a.shape)
        if self.needs_input_grad[1]:
            grad_b = sum_to(transpose(a, -1, -2) @ grad, b.shape)
        return grad_a, grad_b


def _check_matmul(shape_a, shape_b):
    if len(shape_a) == 0 or len(shape_b) == 0:
        raise ShapeError(f"matmul: operands must be at least 1-D, got shapes {shape_a} and "
                         f"{shape_b}")
    inner_a = shape_a[-1]
    inner_b = shape_b[-2] if len(shape_b) >= 2 else shape_b[0]
    if inner_a != inner_b:
        raise ShapeError(
            f"matmul: shapes {shape_a} and {shape_b} are not aligned: the last dimension "
            f"of the first ({inner_a}) must equal the "
            f"{'second-to-last' if len(shape_b) >= 2 else 'only'} dimension of the second "
            f"({inner_b})"
        )
    if len(shape_a) > 2 and len(shape_b) > 2:
        broadcast_shapes("matmul (batch dimensions)", shape_a[:-2], shape_b[:-2])


def matmul(a, b):
    """Matrix product. 1-D operands are treated as a row (left) or column (right)
    vector and that axis is removed from the result, as in NumPy."""
    a = a if isinstance(a, Tensor) else Tensor._make(np.asarray(a), False, None)
    b = b if isinstance(b, Tensor) else Tensor._make(np.asarray(b), False, None)
    _check_matmul(a.shape, b.shape)
    a2 = reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
    b2 = reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
    c = MatMul.apply(a2, b2)
    if a.ndim == 1 and b.ndim == 1:
        return reshape(c, ())
    if a.ndim == 1:
        return reshape(c, c.shape[:-2] + c.shape[-1:])
    if b.ndim == 1:
        return reshape(c, c.shape[:-1])
    return c
