"""2-D convolution and its transpose, as three Function classes that differentiate
into each other, so gradients of any order flow through a conv.

For a fixed geometry (stride s, padding p, dilation d, groups G) the convolution
y = C(x, w) is bilinear. Its two partial adjoints are

    T(g, w) = dC/dx^T g   the transposed convolution ("deconvolution",
                          Zeiler et al. 2010; Dumoulin & Visin 2016, arXiv:1603.07285)
    W(x, g) = dC/dw^T g   the correlation of the input with the output gradient

and by bilinearity the derivatives of T and W are again C, T and W:

    C(x, w):  dx = T(gy, w),   dw = W(x, gy)
    T(g, w):  dg = C(gz, w),   dw = W(gz, g)
    W(x, g):  dx = T(g, gw),   dg = C(x, gw)

Every forward is im2col packing (minigrad.kernels.conv, Numba) plus one BLAS GEMM
per group through np.matmul. Layout NCHW; float32 stays float32.
"""

from dataclasses import dataclass

import numpy as np

from minigrad.autograd import Function
from minigrad.errors import DTypeError, ShapeError
from minigrad.kernels import conv as kernels
from minigrad.ops._args import is_integer
from minigrad.ops._promote import result_type
from minigrad.ops.shape import pad as pad_op
from minigrad.tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose2d"]


# --------------------------------------------------------------------------- geometry
@dataclass(frozen=True)
class ConvGeometry:
    """Stride, padding and dilation as (height, width) pairs, plus the group count."""

    stride: tuple
    padding: tuple
    dilation: tuple
    groups: int

    def output_size(self, size, kernel):
        """H_out = (H + 2p - d(k - 1) - 1) // s + 1, per spatial axis."""
        return kernels.output_size(size, kernel, self.stride, self.padding, self.dilation)

    def spatial(self):
        return self.stride, self.padding, self.dilation, self.groups


def pair(op, name, value, minimum):
    """An int or a pair of ints -> (height, width), each >= minimum."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2 or not all(is_integer(v) for v in values):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(values) < minimum:
        raise ShapeError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(values[0]), int(values[1])


def _float_arrays(op, *arrays):
    """C-contiguous arrays (copied only if needed) in one common float dtype."""
    present = [a for a in arrays if a is not None]
    dtype = result_type(op, *present)  # PyTorch's promotion: int64 + float32 -> float32
    if dtype.kind != "f":
        raise DTypeError(f"{op}: expects floating-point tensors, got dtype {dtype}")
    return [None if a is None else np.ascontiguousarray(a, dtype=dtype) for a in arrays]


def _conv_to_size(x, w, geometry, size):
    """conv2d(x, w) cut to `size`: when output_padding >= stride (allowed while it is
    below the dilation) a transposed conv's output has rows its adjoint conv reads
    past the original input's size."""
    y = Conv2d.apply(x, w, None, geometry)
    if tuple(y.shape[2:]) != tuple(size):
        y = y[:, :, :size[0], :size[1]]
    return y


def _operands_needed(node, first, second):
    """What a bilinear op's backward reads: the first operand only if the second
    needs a gradient and vice versa (None in place of the other)."""
    needs_first, needs_second = node.needs_input_grad[:2]
    return (first if needs_second else None), (second if needs_first else None)


# --------------------------------------------------------------------------- Functions
class Conv2d(Function):
    """y = conv2d(x, w) + b:  x (N, C, H, W), w (O, C/G, kH, kW), b (O,) or None
    -> y (N, O, H_out, W_out).

    dx = conv_transpose2d(dy, w),  dw = correlation of x with dy,  db = sum of dy
    over (N, H_out, W_out).
    """

    @staticmethod
    def forward(ctx, x, w, b, geometry):
        ctx.geometry, ctx.input_size, ctx.kernel_size = geometry, x.shape[2:], w.shape[2:]
        # before any dtype/layout copy, so they come back as Tensors; each only if
        # the other's gradient is wanted (bilinear: dx reads w, dw reads x)
        ctx.save_for_backward(*_operands_needed(ctx, x, w))
        x, w, b = _float_arrays("conv2d", x, w, b)
        return kernels.conv2d_forward(x, w, b, *geometry.spatial())

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        needs_x, needs_w, needs_b = ctx.needs_input_grad[:3]
        grad_x = grad_w = grad_b = None
        if needs_x:
            grad_x = ConvTranspose2d.apply(grad, w, None, ctx.geometry, ctx.input_size)
        if needs_w:
            grad_w = Conv2dWeightGrad.apply(x, grad, ctx.geometry, ctx.kernel_size)
        if needs_b:
            grad_b = grad.sum(axis=(0, 2, 3))
        return grad_x, grad_w, grad_b, None


class ConvTranspose2d(Function):
    """z = conv_transpose2d(g, w) + b, the adjoint of conv2d in its input:
    g (N, O, H_g, W_g), w (O, C/G, kH, kW), b (C,) or None -> z (N, C, *size).

    z[n, c, s*i + d*u - p, s*j + d*v - p] += sum_o w[o, c, u, v] * g[n, o, i, j]

    `size` is the conv input's (H, W): it fixes the rows/columns a strided conv
    never reads (PyTorch's output_padding).
    dg = conv2d(dz, w),  dw = correlation of dz with g,  db = sum of dz.
    """

    @staticmethod
    def forward(ctx, g, w, b, geometry, size):
        ctx.geometry, ctx.input_size, ctx.kernel_size = geometry, g.shape[2:], w.shape[2:]
        ctx.save_for_backward(*_operands_needed(ctx, g, w))
        g, w, b = _float_arrays("conv_transpose2d", g, w, b)
        return kernels.conv_transpose2d_forward(g, w, b, tuple(size), *geometry.spatial())

    @staticmethod
    def backward(ctx, grad):
        g, w = ctx.saved_tensors
        needs_g, needs_w, needs_b = ctx.needs_input_grad[:3]
        grad_g = grad_w = grad_b = None
        if needs_g:
            grad_g = _conv_to_size(grad, w, ctx.geometry, ctx.input_size)
        if needs_w:
            grad_w = Conv2dWeightGrad.apply(grad, g, ctx.geometry, ctx.kernel_size)
        if needs_b:
            grad_b = grad.sum(axis=(0, 2, 3))
        return grad_g, grad_w, grad_b, None, None


class Conv2dWeightGrad(Function):
    """gw = the gradient of conv2d with respect to its weight, as a function of the
    input x (N, C, H, W) and the output gradient g (N, O, H_out, W_out):

        gw[o, c, u, v] = sum_{n, i, j} g[n, o, i, j] * x_pad[n, G(o) + c, s*i + d*u, s*j + d*v]

    with G(o) the first input channel of o's group  -> gw (O, C/G, kH, kW).
    It is bilinear too:  dx = conv_transpose2d(g, dgw),  dg = conv2d(x, dgw).
    """

    @staticmethod
    def forward(ctx, x, g, geometry, kernel_size):
        ctx.geometry, ctx.input_size, ctx.output_size = geometry, x.shape[2:], g.shape[2:]
        ctx.save_for_backward(*_operands_needed(ctx, x, g))
        x, g = _float_arrays("conv2d (weight gradient)", x, g)
        return kernels.conv2d_weight_grad(x, g, tuple(kernel_size), *geometry.spatial())

    @staticmethod
    def backward(ctx, grad):
        x, g = ctx.saved_tensors
        grad_x = grad_g = None
        if ctx.needs_input_grad[0]:
            grad_x = ConvTranspose2d.apply(g, grad, None, ctx.geometry, ctx.input_size)
        if ctx.needs_input_grad[1]:
            grad_g = _conv_to_size(x, grad, ctx.geometry, ctx.output_size)
        return grad_x, grad_g, None, None


# --------------------------------------------------------------------------- checks
def _check_4d(op, name, shape):
    if len(shape) != 4:
        raise ShapeError(f"{op}: {name} must be 4-D, got shape {tuple(shape)} "
                         f"({'(N, C, H, W)' if name == 'input' else '(C_out, C_in/groups, kH, kW)'}"
                         " expected)")


def _check_groups(op, groups, **channels):
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ShapeError(f"{op}: groups must be a positive int, got {groups!r}")
    for name, count in channels.items():
        if count % groups:
            raise ShapeError(f"{op}: {name} ({count}) is not divisible by groups={groups}")


def _check_bias(op, bias, channels):
    if bias is not None and tuple(bias.shape) != (channels,):
        raise ShapeError(f"{op}: bias must have shape ({channels},), got {tuple(bias.shape)}")


def _check_kernel_fits(op, input_shape, weight_shape, geometry):
    for axis, name in ((0, "height"), (1, "width")):
        size = input_shape[2 + axis] + 2 * geometry.padding[axis]
        span = geometry.dilation[axis] * (weight_shape[2 + axis] - 1) + 1
        if span > size:
            raise ShapeError(
                f"{op}: kernel {name} {span} (kernel {tuple(weight_shape[2:])}, dilation "
                f"{geometry.dilation}) is larger than the padded input {name} {size} (input "
                f"shape {tuple(input_shape)}, padding {geometry.padding})")


def _as_tensor(value):
    if value is None or isinstance(value, Tensor):
        return value
    return Tensor._make(np.asarray(value), False, None)


# --------------------------------------------------------------------------- public
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """2-D cross-correlation, as in every deep learning library.

    y[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * x_pad[n, g*C/G + c, s*i + d*u, s*j + d*v]
    for o in group g (o // (C_out/G) == g).

    Args:
        input: (N, C_in, H, W)
        weight: (C_out, C_in // groups, kH, kW)
        bias: (C_out,) or None
        stride, padding, dilation: int or (h, w) pair; groups: int dividing C_in and C_out
            (groups == C_in gives a depthwise convolution).
    Returns:
        (N, C_out, H_out, W_out), H_out = (H + 2p - d(kH - 1) - 1) // s + 1
    """
    op = "conv2d"
    input, weight, bias = _as_tensor(input), _as_tensor(weight), _as_tensor(bias)  # noqa: A001
    _check_4d(op, "input", input.shape)
    _check_4d(op, "weight", weight.shape)
    _check_groups(op, groups, **{"input channels": input.shape[1],
                                 "output channels (weight.shape[0])": weight.shape[0]})
    if weight.shape[1] * groups != input.shape[1]:
        raise ShapeError(
            f"{op}: input has {input.shape[1]} channels but weight expects "
            f"{weight.shape[1] * groups} (weight shape {tuple(weight.shape)}, groups={groups})")
    _check_bias(op, bias, weight.shape[0])
    if isinstance(padding, str):
        input, padding = _string_padding(op, input, weight.shape[2:], padding, stride, dilation)
    geometry = ConvGeometry(pair(op, "stride", stride, 1), pair(op, "padding", padding, 0),
                            pair(op, "dilation", dilation, 1), int(groups))
    _check_kernel_fits(op, input.shape, weight.shape, geometry)
    return Conv2d.apply(input, weight, bias, geometry)


def _string_padding(op, input, kernel, padding, stride, dilation):  # noqa: A002
    """PyTorch's padding="valid" (none) and "same" (the output keeps the input's size,
    stride 1 only): d(k - 1) in all per axis, half on each side, the odd one after
    (right, bottom), which needs an explicit pad when it is odd.
    -> (input, symmetric padding for conv2d)."""
    if padding == "valid":
        return input, 0
    if padding != "same":
        raise ValueError(f"{op}: padding must be an int, a pair, 'valid' or 'same', got "
                         f"{padding!r}")
    if pair(op, "stride", stride, 1) != (1, 1):
        raise ValueError(f"{op}: padding='same' needs stride 1, got stride={stride!r}")
    totals = [d * (k - 1) for d, k in zip(pair(op, "dilation", dilation, 1), kernel)]
    if any(total % 2 for total in totals):
        extra = [(0, total % 2) for total in totals]  # the odd row/column after
        input = pad_op(input, ((0, 0), (0, 0), *extra))  # noqa: A001
    return input, tuple(total // 2 for total in totals)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """1-D cross-correlation: conv2d on a height-1 image,
    y[n, o, i] = b[o] + sum_{c, u} w[o, c, u] * x_pad[n, g*C/G + c, s*i + d*u].

    Args: input (N, C_in, L), or (C_in, L) unbatched; weight (C_out, C_in // groups, K);
    bias (C_out,) or None; stride, padding, dilation: int (or a 1-tuple; padding also
    'valid' or 'same').  Returns (N, C_out, L_out), L_out = (L + 2p - d(K - 1) - 1) // s + 1.
    """
    op = "conv1d"
    input, weight, bias = _as_tensor(input), _as_tensor(weight), _as_tensor(bias)  # noqa: A001
    unbatched = input.ndim == 2
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise ShapeError(f"{op}: expected input (N, C, L) or (C, L) and weight (C_out, C/groups, "
                         f"K); got input {tuple(input.shape)}, weight {tuple(weight.shape)}")
    x = (input[None] if unbatched else input).unsqueeze(2)
    # the height axis has size 1: stride and dilation 1, no padding
    padding_2d = padding if isinstance(padding, str) else (0, _single(op, "padding", padding))
    y = conv2d(x, weight.unsqueeze(2), bias, (1, _single(op, "stride", stride)), padding_2d,
               (1, _single(op, "dilation", dilation)), groups)
    y = y.squeeze(2)
    return y[0] if unbatched else y


def _single(op, name, value):
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(values) != 1:
        raise TypeError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}")
    return values[0]


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1):
    """2-D transposed convolution: the gradient of conv2d with respect to its input,
    used as a learnable upsampling (Dumoulin & Visin 2016, arXiv:1603.07285).

    z[n, c, s*i + d*u - p, s*j + d*v - p] += sum_o w[o, c, u, v] * x[n, o, i, j]   (+ b[c])

    Args:
        input: (N, C_in, H, W)
        weight: (C_in, C_out // groups, kH, kW)   (conv2d's layout read backwards)
        bias: (C_out,) or None
        output_padding: extra rows/columns at the bottom/right, each < stride or dilation.
    Returns:
        (N, C_out, H_out, W_out), H_out = (H - 1)s - 2p + d(kH - 1) + output_padding + 1
    """
    op = "conv_transpose2d"
    input, weight, bias = _as_tensor(input), _as_tensor(weight), _as_tensor(bias)  # noqa: A001
    _check_4d(op, "input", input.shape)
    _check_4d(op, "weight", weight.shape)
    _check_groups(op, groups, **{"input channels": input.shape[1]})
    if weight.shape[0] != input.shape[1]:
        raise ShapeError(
            f"{op}: input has {input.shape[1]} channels but weight expects {weight.shape[0]} "
            f"(weight shape {tuple(weight.shape)}, (C_in, C_out/groups, kH, kW))")
    out_channels = weight.shape[1] * groups
    _check_bias(op, bias, out_channels)
    geometry = ConvGeometry(pair(op, "stride", stride, 1), pair(op, "padding", padding, 0),
                            pair(op, "dilation", dilation, 1), int(groups))
    extra = pair(op, "output_padding", output_padding, 0)
    if any(e >= max(s, d) for e, s, d in zip(extra, geometry.stride, geometry.dilation)):
        raise ShapeError(f"{op}: output_padding {extra} must be smaller than stride "
                         f"{geometry.stride} or dilation {geometry.dilation}")
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + e + 1 for n, s, p, d, k, e in
                 zip(input.shape[2:], geometry.stride, geometry.padding, geometry.dilation,
                     weight.shape[2:], extra))
    if min(size) < 1:
        raise ShapeError(f"{op}: output size {size} is empty (input shape "
                         f"{tuple(input.shape)}, weight {tuple(weight.shape)}, padding "
                         f"{geometry.padding})")
    return ConvTranspose2d.apply(input, weight, bias, geometry, size)
