"""Convolution and pooling modules over minigrad.ops.conv / minigrad.ops.pool (NCHW)."""

import numpy as np

from minigrad.nn import functional as F
from minigrad.nn._factory import factory_dtype
from minigrad.nn.linear import _reset_linear
from minigrad.nn.module import Module, Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d",
           "AdaptiveAvgPool2d"]


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class Conv2d(Module):
    """2-D cross-correlation layer (see F.conv2d for the formula).

    x: (N, in_channels, H, W) -> (N, out_channels, H_out, W_out),
    H_out = (H + 2 padding - dilation (kh - 1) - 1) // stride + 1.
    weight: (out_channels, in_channels // groups, kh, kw); bias: (out_channels,).
    Default init (PyTorch's): W ~ kaiming_uniform_(a=sqrt 5) = U(+-1/sqrt(fan_in)),
    b ~ U(+-1/sqrt(fan_in)), with fan_in = in_channels / groups * kh * kw.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, dtype=np.float32, device=None):
        super().__init__()
        dtype = factory_dtype(dtype, device, type(self).__name__)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: in_channels={in_channels} and out_channels="
                             f"{out_channels} must both be divisible by groups={groups}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _pair(kernel_size), stride
        self.padding, self.dilation, self.groups = padding, dilation, groups
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_linear(self.weight, self.bias)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding:
            text += f", padding={self.padding}"
        if self.dilation != 1:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + f", bias={self.bias is not None}"


class Conv1d(Module):
    """1-D cross-correlation layer (see F.conv1d): x (N, in_channels, L) or unbatched
    (in_channels, L) -> (N, out_channels, L_out), L_out = (L + 2p - d(k - 1) - 1) // s + 1.
    weight: (out_channels, in_channels // groups, k); bias: (out_channels,); PyTorch's
    default init, as Conv2d's. padding: int, 'valid' or 'same'."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", dtype=np.float32,
                 device=None):
        super().__init__()
        dtype = factory_dtype(dtype, device, type(self).__name__)
        _check_layer("Conv1d", in_channels, out_channels, groups, padding_mode)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) \
            else (kernel_size,)
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        _add_parameters(self, (out_channels, in_channels // groups) + self.kernel_size, bias,
                        dtype)

    def forward(self, x):
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

    def extra_repr(self):
        return _layer_repr(self)


class ConvTranspose2d(Module):
    """2-D transposed convolution layer (see F.conv_transpose2d): x (N, in_channels, H, W)
    -> (N, out_channels, H_out, W_out), H_out = (H - 1)s - 2p + d(k - 1) + output_padding + 1.
    weight: (in_channels, out_channels // groups, kh, kw) (PyTorch's layout); bias:
    (out_channels,); PyTorch's default init, with fan_in = out_channels / groups * kh * kw
    as PyTorch computes it from the weight's shape."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 dtype=np.float32, device=None):
        super().__init__()
        dtype = factory_dtype(dtype, device, type(self).__name__)
        _check_layer("ConvTranspose2d", in_channels, out_channels, groups, padding_mode)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = _pair(kernel_size), stride, padding
        self.output_padding, self.groups, self.dilation = output_padding, groups, dilation
        _add_parameters(self, (in_channels, out_channels // groups) + self.kernel_size, bias,
                        dtype)

    def forward(self, x):
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)

    def extra_repr(self):
        return _layer_repr(self)


def _add_parameters(layer, weight_shape, bias, dtype):
    """layer.weight (weight_shape) and layer.bias (out_channels,) or None, with
    PyTorch's default initialisation (as Conv2d's)."""
    layer.weight = Parameter(np.empty(weight_shape, dtype=dtype))
    if bias:
        layer.bias = Parameter(np.empty(layer.out_channels, dtype=dtype))
    else:
        layer.register_parameter("bias", None)
    _reset_linear(layer.weight, layer.bias)


def _layer_repr(layer):
    return (f"{layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size}, "
            f"stride={layer.stride}, padding={layer.padding}, bias={layer.bias is not None}")


def _check_layer(name, in_channels, out_channels, groups, padding_mode):
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"{name}: in_channels={in_channels} and out_channels="
                         f"{out_channels} must both be divisible by groups={groups}")
    if padding_mode != "zeros":
        raise NotImplementedError(f"{name}: padding_mode={padding_mode!r}; only 'zeros' is "
                                  "supported")


class MaxPool2d(Module):
    """Max over kernel_size windows (stride defaults to kernel_size). NCHW."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(MaxPool2d):
    """Mean over kernel_size windows (stride defaults to kernel_size). NCHW."""

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class AdaptiveAvgPool2d(Module):
    """Average-pool to a fixed output_size (h, w) whatever the input size; 1 = global."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
