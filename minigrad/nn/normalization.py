"""Normalisation modules and fold_batchnorm.

Default init: weight (gamma) = 1, bias (beta) = 0; running_mean = 0, running_var = 1.

Where the rest of batch norm lives: the functions and the BatchNormalize node in
minigrad/ops/normalization.py, its compiled per-channel loops in
minigrad/kernels/norm.py with their plain twins in minigrad/reference/norm.py,
and SyncBatchNorm (statistics over every rank) in minigrad/distributed/sync_batchnorm.py.
"""

import copy

import numpy as np

from minigrad.autograd import no_grad
from minigrad.nn import functional as F
from minigrad.nn._factory import factory_dtype
from minigrad.nn.module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "fold_batchnorm"]


class _BatchNorm(Module):
    """Shared body of BatchNorm1d/2d: see F.batch_norm for the formula."""

    expected_ndims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, dtype=np.float32, device=None):
        super().__init__()
        dtype = factory_dtype(dtype, device, type(self).__name__)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def forward(self, x):
        if x.ndim not in self.expected_ndims:
            raise ValueError(f"{type(self).__name__}: expected a {self.expected_ndims}-D input "
                             f"(N, C, ...), got shape {tuple(x.shape)}")
        # eval() normalises with the running statistics, unless none are kept
        use_batch_stats = self.training or not self.track_running_stats
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data[...] += 1
            if momentum is None:  # cumulative moving average: weight 1/t on batch t
                momentum = 1.0 / float(self.num_batches_tracked._data)
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            use_batch_stats, momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs; per-channel statistics over N (and L).
    eval() uses running_mean/running_var; train() uses the batch and updates them."""

    expected_ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs; per-channel statistics over N, H, W."""

    expected_ndims = (4,)


class LayerNorm(Module):
    """Normalise each sample over its trailing normalized_shape axes (Ba et al. 2016).
    weight, bias: normalized_shape (if elementwise_affine)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, dtype=np.float32,
                 device=None):
        super().__init__()
        dtype = factory_dtype(dtype, device, type(self).__name__)
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape, self.eps = tuple(normalized_shape), eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}"


class GroupNorm(Module):
    """Normalise groups of channels per sample (Wu & He 2018). weight, bias: (C,)."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, dtype=np.float32,
                 device=None):
        super().__init__()
        dtype = factory_dtype(dtype, device, type(self).__name__)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} is not divisible by "
                             f"num_groups={num_groups}")
        self.num_groups, self.num_channels, self.eps = num_groups, num_channels, eps
        if affine:
            self.weight = Parameter(np.ones(num_channels, dtype=dtype))
            self.bias = Parameter(np.zeros(num_channels, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}"


# ----------------------------------------------------------------- folding
def _fold_into(layer, bn):
    """Rewrite layer (Linear or Conv2d, output channels on axis 0) so that
    layer'(x) = bn(layer(x)) with bn in eval mode:

        s = gamma / sqrt(running_var + eps)
        W' = W * s (per output channel),   b' = (b - running_mean) * s + beta
    """
    gamma = bn.weight._data if bn.weight is not None else 1.0
    beta = bn.bias._data if bn.bias is not None else 0.0
    scale = (gamma / np.sqrt(bn.running_var._data.astype(np.float64) + bn.eps))
    weight = layer.weight._data.astype(np.float64)
    bias = layer.bias._data.astype(np.float64) if layer.bias is not None else 0.0
    dtype = layer.weight.dtype
    folded_weight = weight * scale.reshape((-1,) + (1,) * (weight.ndim - 1))
    folded_bias = (bias - bn.running_mean._data) * scale + beta
    layer.weight = Parameter(folded_weight.astype(dtype))
    layer.bias = Parameter(np.asarray(folded_bias, dtype=dtype))


def _foldable(layer, bn):
    from minigrad.nn.conv import Conv2d
    from minigrad.nn.linear import Linear

    return (isinstance(layer, (Linear, Conv2d)) and isinstance(bn, _BatchNorm)
            and bn.track_running_stats and layer.weight.shape[0] == bn.num_features)


def fold_batchnorm(model):
    """A copy of `model` in eval mode with every BatchNorm that directly follows a
    Linear/Conv2d merged into that layer's weight and bias, and replaced by Identity.

    Pairs are found as adjacent children of a Sequential, plus the (layer, bn)
    attribute-name pairs a module lists in `fold_pairs` (e.g. BasicBlock's
    ('conv1', 'bn1')). The copy computes the same function as model.eval() (up to
    rounding) with fewer ops; the original model is left untouched.
    """
    from minigrad.nn.container import Sequential
    from minigrad.nn.linear import Identity

    folded = copy.deepcopy(model).eval()
    with no_grad():
        for module in list(folded.modules()):
            names = list(module._modules)
            pairs = list(getattr(module, "fold_pairs", ()))
            if isinstance(module, Sequential):
                pairs += list(zip(names, names[1:]))
            for layer_name, bn_name in pairs:
                layer, bn = module._modules.get(layer_name), module._modules.get(bn_name)
                if _foldable(layer, bn):
                    _fold_into(layer, bn)
                    module._modules[bn_name] = Identity()
    return folded
