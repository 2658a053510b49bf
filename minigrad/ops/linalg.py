"""Matrix multiplication with NumPy's semantics (batched, broadcasting, 1-D vectors),
and y = x W^T + b as one op.

Products go to BLAS through np.matmul (large ones split between minigrad's threads,
kernels.matmul.matmul), except where a Numba kernel measurably wins
(minigrad.kernels.matmul; figures in benchmarks/bench_matmul.py): big batches of
matrices up to 4x4, and x W^T + b with an inner dimension up to 3.
"""

import numpy as np

from minigrad.autograd import Function
from minigrad.errors import ShapeError
from minigrad.kernels import matmul as kernels
from minigrad.ops._args import broadcast_shapes
from minigrad.ops._promote import promoted, refuse_bool
from minigrad.ops.shape import reshape, sum_to, transpose
from minigrad.tensor import Tensor


class MatMul(Function):
    """C = A @ B for A (..., n, k), B (..., k, m) -> C (..., n, m).

    dA = dC @ B^T,   dB = A^T @ dC   (then summed over broadcast batch axes).
    """

    @staticmethod
    def forward(ctx, a, b):
        needs_a, needs_b = ctx.needs_input_grad
        ctx.save_for_backward(a if needs_b else None, b if needs_a else None)
        ctx.shapes = (a.shape, b.shape)
        refuse_bool("matmul", a, b)
        a, b = promoted("matmul", a, b)
        if a.dtype == b.dtype and a.dtype.kind == "f" and \
                kernels.use_batched_kernel(a.shape, b.shape):
            return kernels.batched_matmul(
                np.ascontiguousarray(a).reshape((-1,) + a.shape[-2:]),
                np.ascontiguousarray(b).reshape((-1,) + b.shape[-2:])).reshape(
                    a.shape[:-1] + b.shape[-1:])
        return kernels.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        shape_a, shape_b = ctx.shapes
        needs_a, needs_b = ctx.needs_input_grad
        return (sum_to(grad @ transpose(b, -1, -2), shape_a) if needs_a else None,
                sum_to(transpose(a, -1, -2) @ grad, shape_b) if needs_b else None)


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


class FusedLinear(Function):
    """y = x W^T + b:  x (..., k), W (m, k), b (m,) -> y (..., m).

    dx = dy W,   dW = dy^T x (summed over the leading axes),   db = dy summed
    over the leading axes.  The same product as matmul(x, W^T) + b, computed in
    one pass when k is tiny (kernels.linear_fused), else by BLAS then an add.
    """

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None,
                               w if ctx.needs_input_grad[0] else None)
        refuse_bool("linear", x, w)
        x, w, b = promoted("linear", x, w, b)
        if x.dtype == w.dtype == b.dtype and x.dtype.kind == "f" and \
                kernels.use_fused_linear(x.shape, w.shape):
            return kernels.linear_fused(np.ascontiguousarray(x), np.ascontiguousarray(w.T),
                                        np.ascontiguousarray(b))
        return kernels.matmul(x, w.T) + b

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        grad_x = grad_w = grad_b = None
        rows = _as_rows(grad)  # (n, m): leading axes flattened
        if ctx.needs_input_grad[0]:
            grad_x = grad @ w
        if ctx.needs_input_grad[1]:
            grad_w = transpose(rows, 0, 1) @ _as_rows(x)
        if ctx.needs_input_grad[2]:
            grad_b = rows.sum(axis=0)
        return grad_x, grad_w, grad_b


def _as_rows(t):
    """t (..., k) as (n, k), every leading axis flattened into n (t itself if 2-D)."""
    return t if t.ndim == 2 else reshape(t, (-1, t.shape[-1]))


def linear(input, weight, bias=None):  # noqa: A002  (PyTorch's name)
    """y = x W^T + b.

    input: (..., in_features);  weight: (out_features, in_features);
    bias: (out_features,) or None.  Returns (..., out_features).
    """
    x, w = (v if isinstance(v, Tensor) else Tensor._make(np.asarray(v), False, None)
            for v in (input, weight))
    if w.ndim != 2 or x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ShapeError(f"linear: input shape {x.shape} and weight shape {w.shape} do not "
                         f"match: expected weight (out_features, {x.shape[-1] if x.ndim else '?'})")
    if bias is None:
        return matmul(x, transpose(w, 0, 1))
    b = bias if isinstance(bias, Tensor) else Tensor._make(np.asarray(bias), False, None)
    if b.shape != (w.shape[0],):
        raise ShapeError(f"linear: bias must have shape ({w.shape[0]},), got {b.shape}")
    return FusedLinear.apply(x, w, b)
