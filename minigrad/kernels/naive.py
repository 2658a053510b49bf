"""The old names of the textbook loops, kept for the tests that import them. The
loops themselves live in minigrad.reference (conv.py, pool.py), beside the twins of
the fast kernels.
"""

from minigrad._geometry import pool_output_size
from minigrad.reference.conv import conv2d_direct as conv2d_forward_naive
from minigrad.reference.conv import conv_transpose2d_scatter as conv_transpose2d_naive
from minigrad.reference.pool import adaptive_avg_pool_forward as adaptive_avg_pool2d_naive
from minigrad.reference.pool import avg_pool2d_direct, max_pool2d_direct

__all__ = ["conv2d_forward_naive", "conv_transpose2d_naive", "pool_output_size",
           "max_pool2d_naive", "avg_pool2d_naive", "adaptive_avg_pool2d_naive"]


def _out_size(x, kernel_size, stride, padding, dilation, ceil_mode):
    return tuple(pool_output_size(x.shape[2 + a], kernel_size[a], stride[a], padding[a],
                                  dilation[a], ceil_mode) for a in range(2))


def max_pool2d_naive(x, kernel_size, stride, padding=(0, 0), dilation=(1, 1), ceil_mode=False):
    """reference.pool.max_pool2d_direct with PyTorch's output size."""
    out_size = _out_size(x, kernel_size, stride, padding, dilation, ceil_mode)
    return max_pool2d_direct(x, kernel_size, stride, padding, dilation, out_size)


def avg_pool2d_naive(x, kernel_size, stride, padding=(0, 0), ceil_mode=False,
                     count_include_pad=True):
    """reference.pool.avg_pool2d_direct with PyTorch's output size."""
    out_size = _out_size(x, kernel_size, stride, padding, (1, 1), ceil_mode)
    return avg_pool2d_direct(x, kernel_size, stride, padding, out_size, count_include_pad)
