"""The textbook twins of minigrad's fast kernels: plain NumPy and Python loops that
read like the lecture, for the eye rather than for speed.

    with mg.reference_mode():   # or MINIGRAD_REFERENCE=1, or mg.set_reference_mode(True)
        ...                     # every fast kernel below runs its twin instead

The twin of kernels.M.X is reference.M.X, with the same signature; each fast
kernel checks the mode on its first line and names its twin in its docstring.

    fast                                     twin
    kernels.conv     conv2d_forward,         reference.conv     im2col as loops, one matmul
                     conv_transpose2d_forward,                   one matmul, col2im as loops
                     conv2d_weight_grad,                         g times im2col^T
                     im2col, col2im                              the loops themselves
    kernels.winograd conv2d, weight_grad     reference.winograd the F(2x2, 3x3) matrices per tile
    kernels.pool     max_pool_*, avg_pool_*, reference.pool     the window as a loop
                     adaptive_avg_pool_*
    kernels.norm     batch_normalize(_backward)  reference.norm one channel at a time
    kernels.matmul   matmul, batched_matmul, reference.matmul   the sums, entry by entry
                     linear_fused
    kernels.special  relu, relu_backward, erf  reference.special the select; math.erf
    ops.loss         SoftmaxCrossEntropy(Grad) reference.loss   one row at a time
    optim._fused     sgd_momentum_step       optim.sgd.sgd_update, the NumPy lines

Nothing here imports a fast kernel, and no fast kernel imports a helper from here:
what both need (output sizes) lives in minigrad._geometry.
"""

from minigrad.reference import conv, loss, matmul, norm, pool, special, winograd

__all__ = ["conv", "loss", "matmul", "norm", "pool", "special", "winograd"]
