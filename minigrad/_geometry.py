"""Output sizes of sliding windows (convolution, pooling): plain arithmetic that the
fast kernels, their textbook twins (minigrad.reference) and the ops layer all share.
"""

__all__ = ["conv_output_size", "pool_output_size"]


def conv_output_size(size, kernel, stride, padding, dilation):
    """H_out = (H + 2p - d(k - 1) - 1) // s + 1 for each spatial axis (tuples in, tuple out)."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, s, p, d in zip(size, kernel, stride, padding, dilation))


def pool_output_size(size, kernel, stride, padding, dilation=1, ceil_mode=False):
    """PyTorch's rule: (size + 2p - d(k-1) - 1) / s + 1, floored or ceiled; with
    ceil_mode a last window that would start inside the right padding is dropped."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out
