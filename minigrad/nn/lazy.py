"""Lazy layers: the input size is read from the first batch, as in PyTorch.

    model = nn.Sequential(nn.LazyConv2d(8, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))
    model(x)          # the first call fixes in_channels and in_features

Before the first call each parameter is an UninitializedParameter (an empty
Parameter). The first call builds the ordinary layer for the input's size with its
ordinary initialisation, moves the values into those same Parameter objects (so an
optimiser made before the call keeps working), and the module becomes that layer:
`type(model[0])` is then Conv2d.
"""

import numpy as np

from minigrad.device import check_device
from minigrad.errors import ShapeError
from minigrad.nn.conv import Conv2d
from minigrad.nn.linear import Linear
from minigrad.nn.module import Module, Parameter
from minigrad.nn.normalization import BatchNorm1d, BatchNorm2d

__all__ = ["UninitializedParameter", "LazyLinear", "LazyConv2d", "LazyBatchNorm1d",
           "LazyBatchNorm2d"]


class UninitializedParameter(Parameter):
    """A Parameter whose shape is not known yet; it has no elements until its lazy
    module has seen an input."""

    __slots__ = ()

    def __init__(self, dtype=np.float32, requires_grad=True):
        super().__init__(np.empty(0, dtype=dtype), requires_grad=requires_grad)

    def __repr__(self):
        return "<UninitializedParameter>"


class _LazyModule(Module):
    """What every lazy layer shares: placeholders until the first call, then become
    `cls_to_become` built by `_build(first_input)`."""

    cls_to_become = None

    def __init__(self, device=None):
        super().__init__()
        check_device(device, type(self).__name__)

    def _placeholders(self, names, dtype):
        for name in names:
            setattr(self, name, UninitializedParameter(dtype))

    def has_uninitialized_params(self):
        return any(isinstance(p, UninitializedParameter) for p in self.parameters())

    def __call__(self, *inputs, **kwargs):
        if type(self) is not self.cls_to_become:
            self._materialize(inputs[0] if inputs else None)
        return Module.__call__(self, *inputs, **kwargs)  # self is no longer lazy

    def _materialize(self, x):
        if x is None or np.ndim(x) < 1:
            raise ShapeError(f"{type(self).__name__}: the first call needs an input tensor "
                             "with at least one dimension to infer the layer's size")
        built = self._build(x)
        for name, tensor in list(built._parameters.items()) + list(built._buffers.items()):
            own = getattr(self, name, None)
            if isinstance(own, Parameter) and tensor is not None:
                own._data = tensor._data
                own.__class__ = Parameter
                own._version.value += 1
            elif name in built._parameters:
                setattr(self, name, tensor)
            else:
                self.register_buffer(name, tensor)
        for key, value in vars(built).items():
            if not key.startswith("_") and key != "training":
                self.__dict__[key] = value
        self.__class__ = self.cls_to_become

    def extra_repr(self):
        return "uninitialized"


class LazyLinear(_LazyModule):
    """Linear whose in_features is x.shape[-1] of the first input."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, dtype=np.float32, device=None):
        super().__init__(device)
        self.out_features, self._bias, self._dtype = out_features, bias, dtype
        self._placeholders(("weight", "bias") if bias else ("weight",), dtype)
        if not bias:
            self.register_parameter("bias", None)

    def _build(self, x):
        return Linear(x.shape[-1], self.out_features, self._bias, dtype=self._dtype)


class LazyConv2d(_LazyModule):
    """Conv2d whose in_channels is x.shape[1] of the first (N, C, H, W) input."""

    cls_to_become = Conv2d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, dtype=np.float32, device=None):
        super().__init__(device)
        self.out_channels = out_channels
        self._settings = dict(kernel_size=kernel_size, stride=stride, padding=padding,
                              dilation=dilation, groups=groups, bias=bias, dtype=dtype)
        self._placeholders(("weight", "bias") if bias else ("weight",), dtype)
        if not bias:
            self.register_parameter("bias", None)

    def _build(self, x):
        if np.ndim(x) != 4:
            raise ShapeError(f"LazyConv2d: expected an (N, C, H, W) input, got shape "
                             f"{tuple(np.shape(x))}")
        return Conv2d(x.shape[1], self.out_channels, **self._settings)


class _LazyBatchNorm(_LazyModule):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=np.float32, device=None):
        super().__init__(device)
        self._settings = dict(eps=eps, momentum=momentum, affine=affine,
                              track_running_stats=track_running_stats, dtype=dtype)
        if affine:
            self._placeholders(("weight", "bias"), dtype)

    def _build(self, x):
        if np.ndim(x) < 2:
            raise ShapeError(f"{type(self).__name__}: expected an (N, C, ...) input, got "
                             f"shape {tuple(np.shape(x))}")
        return self.cls_to_become(x.shape[1], **self._settings)


class LazyBatchNorm1d(_LazyBatchNorm):
    """BatchNorm1d whose num_features is x.shape[1] of the first input."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm):
    """BatchNorm2d whose num_features is x.shape[1] of the first input."""

    cls_to_become = BatchNorm2d
