"""2-D pooling: max, average and adaptive average, NCHW, float32 and float64.

Max pooling is a gather, y = x.flat[index], with the index (the arg-max of every
window) fixed by the forward pass; its adjoint is the scatter-add of the gradient
back to those positions. Gather and scatter differentiate into each other, so
gradients of any order flow through a max pool.
Tie rule: the first maximum in row-major window order gets the whole gradient
(rows of the window top to bottom, each left to right), as in PyTorch.

Average pooling is linear; its adjoint spreads grad_y[i, j] / divisor[i, j] over
window (i, j), and the adjoint of that is the pool again.

The hot loops are Numba kernels in minigrad.kernels.pool.
"""

from dataclasses import dataclass

import numpy as np

from minigrad._geometry import pool_output_size
from minigrad.autograd import Function
from minigrad.errors import DTypeError, ShapeError
from minigrad.kernels import pool as kernels
from minigrad.ops.conv import pair
from minigrad.tensor import Tensor

__all__ = ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"]


@dataclass(frozen=True)
class PoolGeometry:
    """Kernel, stride, padding, dilation as (height, width) pairs; input and output size."""

    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    in_size: tuple
    out_size: tuple

    def window_args(self):
        (kh, kw), (sh, sw), (ph, pw) = self.kernel, self.stride, self.padding
        return kh, kw, sh, sw, ph, pw


def _float_contiguous(op, x):
    if x.dtype.kind != "f":
        raise DTypeError(f"{op}: expects a floating-point input, got dtype {x.dtype}")
    return np.ascontiguousarray(x)


# --------------------------------------------------------------------------- max pooling
class MaxPool2d(Function):
    """y[n, c, i, j] = max_{u, v} x_pad[n, c, s*i + d*u, s*j + d*v]  (padding = -inf).

    x (N, C, H, W) -> y (N, C, H_out, W_out).  The gradient flows to the arg-max of
    each window only:  dx = scatter of dy to those positions.
    """

    @staticmethod
    def forward(ctx, x, geometry):
        x = _float_contiguous("max_pool2d", x)
        (kh, kw), (dh, dw) = geometry.kernel, geometry.dilation
        (sh, sw), (ph, pw) = geometry.stride, geometry.padding
        y, ctx.index = kernels.max_pool_forward(x, kh, kw, sh, sw, ph, pw, dh, dw,
                                                 *geometry.out_size)
        ctx.in_size = geometry.in_size
        return y

    @staticmethod
    def backward(ctx, grad):
        return MaxPool2dScatter.apply(grad, ctx.index, ctx.in_size), None


class MaxPool2dScatter(Function):
    """The adjoint of a max pool with its arg-max fixed:
    dx[n, c].flat[index[n, c, i, j]] += dy[n, c, i, j].

    dy (N, C, H_out, W_out), index (same shape, int) -> dx (N, C, *size).
    Linear in dy; its own gradient is the gather  d(dy) = d(dx).flat[index].
    """

    @staticmethod
    def forward(ctx, grad_y, index, size):
        ctx.index = index
        return kernels.max_pool_scatter(np.ascontiguousarray(grad_y), index, *size)

    @staticmethod
    def backward(ctx, grad):
        return MaxPool2dGather.apply(grad, ctx.index), None, None


class MaxPool2dGather(Function):
    """y[n, c, i, j] = x[n, c].flat[index[n, c, i, j]]: a max pool whose arg-max is fixed.

    x (N, C, H, W), index (N, C, H_out, W_out) -> y (same shape as index).
    dx = scatter of dy (MaxPool2dScatter).
    """

    @staticmethod
    def forward(ctx, x, index):
        ctx.index = index
        ctx.in_size = x.shape[2:]
        return kernels.max_pool_gather(np.ascontiguousarray(x), index)

    @staticmethod
    def backward(ctx, grad):
        return MaxPool2dScatter.apply(grad, ctx.index, ctx.in_size), None


# --------------------------------------------------------------------------- average pooling
class AvgPool2d(Function):
    """y[n, c, i, j] = (sum of x over window (i, j)) / divisor[i, j].

    x (N, C, H, W) -> y (N, C, H_out, W_out).  Linear: dx = AvgPool2dAdjoint(dy).
    """

    @staticmethod
    def forward(ctx, x, geometry, divisor):
        ctx.geometry, ctx.divisor = geometry, divisor
        x = _float_contiguous("avg_pool2d", x)
        return kernels.avg_pool_forward(x, divisor, *geometry.window_args())

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2dAdjoint.apply(grad, ctx.geometry, ctx.divisor), None, None


class AvgPool2dAdjoint(Function):
    """dx[n, c, h, w] = sum over the windows (i, j) that contain (h, w) of
    dy[n, c, i, j] / divisor[i, j].

    dy (N, C, H_out, W_out) -> dx (N, C, H, W).  Its gradient is the pool itself.
    """

    @staticmethod
    def forward(ctx, grad_y, geometry, divisor):
        ctx.geometry, ctx.divisor = geometry, divisor
        return kernels.avg_pool_adjoint(np.ascontiguousarray(grad_y), divisor,
                                        *geometry.in_size, *geometry.window_args())

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2d.apply(grad, ctx.geometry, ctx.divisor), None, None


def _avg_divisor(geometry, count_include_pad):
    """divisor[i, j]: the window's area inside the padded input (count_include_pad)
    or inside the input itself; as float64, shape (H_out, W_out)."""
    counts = []
    for axis in range(2):
        size, k = geometry.in_size[axis], geometry.kernel[axis]
        s, p = geometry.stride[axis], geometry.padding[axis]
        start = np.arange(geometry.out_size[axis]) * s - p
        if count_include_pad:
            count = np.minimum(start + k, size + p) - start
        else:
            count = np.minimum(start + k, size) - np.maximum(start, 0)
        counts.append(count.astype(np.float64))
    return np.ascontiguousarray(np.outer(counts[0], counts[1]))


# --------------------------------------------------------------------------- argument checks
def _as_tensor(value):
    return value if isinstance(value, Tensor) else Tensor._make(np.asarray(value), False, None)


def _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    if x.ndim != 4:
        raise ShapeError(f"{op}: input must be 4-D (N, C, H, W), got shape {tuple(x.shape)}")
    kernel = pair(op, "kernel_size", kernel_size, 1)
    stride = kernel if stride is None or stride == () else pair(op, "stride", stride, 1)
    padding = pair(op, "padding", padding, 0)
    dilation = pair(op, "dilation", dilation, 1)
    for axis, name in ((0, "height"), (1, "width")):
        span = dilation[axis] * (kernel[axis] - 1) + 1
        if 2 * padding[axis] > kernel[axis]:  # PyTorch's rule: no all-padding window
            raise ShapeError(f"{op}: padding {padding} must be at most half the kernel "
                             f"size {kernel}")
        padded = x.shape[2 + axis] + 2 * padding[axis]
        if span > padded:
            raise ShapeError(f"{op}: kernel {name} {span} (kernel_size {kernel}, dilation "
                             f"{dilation}) is larger than the padded input {name} {padded} "
                             f"(input shape {tuple(x.shape)}, padding {padding})")
    out_size = tuple(pool_output_size(x.shape[2 + a], kernel[a], stride[a], padding[a],
                                      dilation[a], ceil_mode) for a in range(2))
    geometry = PoolGeometry(kernel, stride, padding, dilation, tuple(x.shape[2:]), out_size)
    _check_no_padding_only_window(op, geometry)
    return geometry


def _check_no_padding_only_window(op, geometry):
    """ShapeError if some window holds padding only, which a dilated kernel can do
    even with padding <= kernel / 2 (height 1, kernel 2, padding 1, dilation 2 reads
    rows -1 and 1). Its max would be -inf (PyTorch returns that) and its gradient
    would have no input element to go to."""
    for axis, name in ((0, "row"), (1, "column")):
        size, out = geometry.in_size[axis], geometry.out_size[axis]
        starts = np.arange(out) * geometry.stride[axis] - geometry.padding[axis]
        taps = starts[:, None] + geometry.dilation[axis] * np.arange(geometry.kernel[axis])
        inside = ((taps >= 0) & (taps < size)).any(axis=1)
        if not inside.all():
            raise ShapeError(
                f"{op}: output {name} {int(np.argmin(inside))} pools a window that covers "
                f"only padding (kernel_size {geometry.kernel}, padding {geometry.padding}, "
                f"dilation {geometry.dilation}, stride {geometry.stride}, input size "
                f"{geometry.in_size}); reduce the padding or the dilation")


# --------------------------------------------------------------------------- public
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode=False):
    """2-D max pooling.

    y[n, c, i, j] = max_{u < kH, v < kW} x_pad[n, c, s*i + d*u, s*j + d*v]   (x_pad = -inf outside)

    Args:
        input: (N, C, H, W)
        kernel_size, stride (default: kernel_size), padding (at most half the kernel),
        dilation: int or (h, w) pair.  ceil_mode: round the output size up.
    Returns:
        (N, C, H_out, W_out), H_out = floor((H + 2p - d(kH - 1) - 1) / s) + 1
    The gradient goes to the first maximum of each window in row-major order.
    """
    x = _as_tensor(input)
    geometry = _pool_geometry("max_pool2d", x, kernel_size, stride, padding, dilation,
                              ceil_mode)
    return MaxPool2d.apply(x, geometry)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True):
    """2-D average pooling.

    y[n, c, i, j] = (1 / divisor) * sum_{u < kH, v < kW} x_pad[n, c, s*i + u, s*j + v]

    divisor = kH*kW for interior windows; at the borders it counts the zero padding
    when count_include_pad (PyTorch's default), else only the real inputs.
    Args:
        input: (N, C, H, W); kernel_size, stride (default: kernel_size), padding: int or pair.
    Returns:
        (N, C, H_out, W_out), H_out = floor((H + 2p - kH) / s) + 1 (ceil with ceil_mode)
    """
    x = _as_tensor(input)
    geometry = _pool_geometry("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    divisor = _avg_divisor(geometry, count_include_pad)
    return AvgPool2d.apply(x, geometry, divisor)


class AdaptiveAvgPool2d(Function):
    """y[n, c, i, j] = mean of x[n, c] over adaptive window (i, j):  x (N, C, H, W)
    -> y (N, C, H_out, W_out).  Linear: dx = AdaptiveAvgPool2dAdjoint(dy)."""

    @staticmethod
    def forward(ctx, x, out_size):
        ctx.in_size = x.shape[2:]
        return kernels.adaptive_avg_pool_forward(x, out_size)

    @staticmethod
    def backward(ctx, grad):
        return AdaptiveAvgPool2dAdjoint.apply(grad, ctx.in_size), None


class AdaptiveAvgPool2dAdjoint(Function):
    """dx spreads dy[n, c, i, j] evenly over adaptive window (i, j):  dy (N, C, H_out,
    W_out) -> dx (N, C, *size).  Its gradient is the pool itself."""

    @staticmethod
    def forward(ctx, grad_y, size):
        ctx.out_size = grad_y.shape[2:]
        return kernels.adaptive_avg_pool_adjoint(grad_y, size)

    @staticmethod
    def backward(ctx, grad):
        return AdaptiveAvgPool2d.apply(grad, ctx.out_size), None


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    """Average pooling to a fixed output size, whatever the input size.

    Output cell (i, j) averages rows floor(i*H/H_out) .. ceil((i+1)*H/H_out) - 1 and
    columns likewise (computed as two matrix products, kernels.pool).

    Args:
        input: (N, C, H, W); output_size: int or (H_out, W_out) (None keeps that size).
    Returns:
        (N, C, H_out, W_out)
    """
    x = _as_tensor(input)
    if x.ndim != 4:
        raise ShapeError(f"adaptive_avg_pool2d: input must be 4-D (N, C, H, W), got shape "
                         f"{tuple(x.shape)}")
    if x.dtype.kind != "f":
        raise DTypeError(f"adaptive_avg_pool2d: expects a floating-point input, got dtype "
                         f"{x.dtype}")
    sizes = (output_size, output_size) if not isinstance(output_size, (tuple, list)) \
        else tuple(output_size)
    sizes = tuple(x.shape[2 + a] if sizes[a] is None else sizes[a] for a in range(2))
    out_h, out_w = pair("adaptive_avg_pool2d", "output_size", sizes, 1)
    return AdaptiveAvgPool2d.apply(x, (out_h, out_w))
