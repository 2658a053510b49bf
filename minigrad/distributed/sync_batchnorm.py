"""Synchronised batch normalisation: statistics over the global batch of all ranks.

Plain BatchNorm on K ranks normalises each rank's B samples by their own mean
and variance, which is a different (noisier) model from one process with batch
K*B. SyncBatchNorm sums, per channel, the count, sum and sum of squares of every
rank in one Allreduce:

    n = sum_r n_r,   mean = (sum_r S1_r) / n,   var = (sum_r S2_r) / n - mean^2
    S1_r = sum_i x_ri,   S2_r = sum_i x_ri^2      (per channel, over N and H, W)

The backward pass needs the matching sums of gradients from every rank. It gets
them for free: the Allreduce is itself a differentiable op, AllReduceSum, whose
adjoint is again an Allreduce (below), so autodiff through mean and var does the
rest, and double backward works as everywhere else in minigrad.

Cost: one Allreduce of 2C + 1 numbers per layer in forward and one in backward.
The one-pass variance E[x^2] - mean^2 loses digits when |mean| >> std; after a
convolution or linear layer activations are O(1), where float32 keeps ~6 digits.

Single-process batch norm, for comparison: the modules are minigrad/nn/normalization.py,
the function and its node minigrad/ops/normalization.py, the compiled loops
minigrad/kernels/norm.py and their plain twins minigrad/reference/norm.py.
"""

import numpy as np

from minigrad.autograd import Function, no_grad
from minigrad.distributed.comm import get_world
from minigrad.nn.normalization import BatchNorm1d, BatchNorm2d, _BatchNorm
from minigrad.ops.elementwise import sqrt
from minigrad.ops.reduce import sum as reduce_sum
from minigrad.ops.shape import concatenate, reshape
from minigrad.tensor import Tensor

__all__ = ["AllReduceSum", "all_reduce_sum", "SyncBatchNorm", "convert_sync_batchnorm"]


class AllReduceSum(Function):
    """y = sum_r x_r, the same on every rank r.   dJ/dx_r = sum_r' dJ/dy_r'.

    The training objective is J = sum_r L_r, each rank's loss L_r using its copy
    of y; y depends on x_r with Jacobian I, so the gradient reaching x_r is the
    sum over ranks of the gradients arriving at their copies of y: an Allreduce.
    Every rank must reach this op, forward and backward, in the same order.

    Shapes: x (any) -> y (same).  comm: a Communicator (default the world).
    """

    @staticmethod
    def forward(ctx, x, comm=None):
        ctx.comm = comm or get_world()
        y = np.array(x, copy=True, order="C")
        return ctx.comm.allreduce_(y)

    @staticmethod
    def backward(ctx, grad_y):
        return AllReduceSum.apply(grad_y, comm=ctx.comm)


def all_reduce_sum(x, comm=None):
    """Differentiable sum over ranks (see AllReduceSum)."""
    return AllReduceSum.apply(x, comm=comm)


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over (N, C), (N, C, L) or (N, C, H, W) with statistics over all ranks.

    Same arguments, parameters (weight, bias) and buffers (running_mean,
    running_var, num_batches_tracked) as BatchNorm1d/2d, so checkpoints load into
    either. eval() uses the running statistics, which are identical on every rank
    because every rank updates them with the same global mean and variance.
    comm: a Communicator (default: the world's at call time).
    """

    expected_ndims = (2, 3, 4)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, dtype=np.float32, comm=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype)
        self.comm = comm

    def forward(self, x):
        if not self.training and self.track_running_stats:
            return super().forward(x)
        if x.ndim not in self.expected_ndims:
            raise ValueError(f"SyncBatchNorm: expected a 2-, 3- or 4-D input (N, C, ...), got "
                             f"shape {tuple(x.shape)}")
        comm = self.comm or get_world()
        channels = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        count = Tensor(np.full(1, x.numel() // channels, dtype=x.dtype))
        totals = all_reduce_sum(concatenate([reduce_sum(x, axis=axes),
                                             reduce_sum(x * x, axis=axes), count]), comm)
        n = float(totals._data[-1])
        if n < 2:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel over all "
                             f"ranks, got {n:g} (input shape {tuple(x.shape)})")
        mean = totals[:channels] / n
        var = totals[channels:2 * channels] / n - mean * mean
        if self.training and self.track_running_stats:
            self._update_running_stats(mean._data, var._data * (n / (n - 1)))
        shape = (1, channels) + (1,) * (x.ndim - 2)
        y = (x - reshape(mean, shape)) / sqrt(reshape(var, shape) + self.eps)
        if self.weight is not None:
            y = y * reshape(self.weight, shape) + reshape(self.bias, shape)
        return y

    def _update_running_stats(self, mean, unbiased_var):
        """running <- (1 - momentum) running + momentum * global statistic (PyTorch's)."""
        self.num_batches_tracked._data[...] += 1
        momentum = self.momentum
        if momentum is None:  # cumulative moving average
            momentum = 1.0 / float(self.num_batches_tracked._data)
        with no_grad():
            for buffer, value in ((self.running_mean, mean), (self.running_var, unbiased_var)):
                buffer.copy_((1 - momentum) * buffer._data + momentum * value.astype(buffer.dtype))


def _sync_copy(bn, comm):
    """A SyncBatchNorm holding the very Parameter and buffer objects of `bn`, so an
    optimiser built before the conversion still updates them."""
    sync = SyncBatchNorm(bn.num_features, bn.eps, bn.momentum, bn.affine,
                         bn.track_running_stats, comm=comm)
    for name in ("weight", "bias"):
        sync._parameters[name] = bn._parameters[name]
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        sync._buffers[name] = bn._buffers[name]
    sync.training = bn.training
    return sync


def convert_sync_batchnorm(module, comm=None):
    """Replace every BatchNorm1d/BatchNorm2d inside `module` by a SyncBatchNorm that
    shares its parameters and buffers. Returns the module (a new one only when
    `module` itself is a BatchNorm). F.batch_norm is untouched: local statistics
    stay the default, synchronised ones are this option.
    """
    if isinstance(module, (BatchNorm1d, BatchNorm2d)):
        return _sync_copy(module, comm)
    for parent in list(module.modules()):
        for name, child in list(parent._modules.items()):
            if isinstance(child, (BatchNorm1d, BatchNorm2d)):
                parent._modules[name] = _sync_copy(child, comm)
    return module

