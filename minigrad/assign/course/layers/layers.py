"""Assignment 2: layers, each an mg.Function (or Tensor ops), then a CNN made of them.

Convolution is im2col + one matrix product: every receptive field becomes a column,
and the weights a matrix, so y = W_mat @ cols. Its backward is the same product
transposed, with col2im (the adjoint of im2col) scattering the columns back.
"""

import numpy as np

import minigrad as mg
import minigrad.nn as nn


# ----------------------------------------------------------------- 2.1 linear
class Linear(mg.Function):
    """y = x @ W^T + b.   dx = G W,  dW = G^T x,  db = sum_n G[n].

    Shapes: x (N, in), weight (out, in), bias (out,) -> (N, out).
    """

    @staticmethod
    def forward(ctx, x, weight, bias):
        ### BEGIN SOLUTION
        ctx.save_for_backward(x, weight)
        return x @ weight.T + bias
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        ### BEGIN SOLUTION
        x, weight = ctx.saved_tensors
        return grad @ weight, grad.T @ x, grad.sum(axis=0)
        ### END SOLUTION


# ----------------------------------------------------------------- 2.2 im2col
def output_size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


def im2col(x, kh, kw, stride, padding):
    """Every kh x kw receptive field of x as a column.

    cols[n, (c*kh + u)*kw + v, i*W_out + j] = x_pad[n, c, stride*i + u, stride*j + v]
    Shapes: x (N, C, H, W) -> cols (N, C*kh*kw, H_out*W_out),
    H_out = (H + 2*padding - kh) // stride + 1 (W_out likewise).
    """
    ### BEGIN SOLUTION
    n, c, h, w = x.shape
    out_h, out_w = output_size(h, kh, stride, padding), output_size(w, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    cols = np.empty((n, c, kh, kw, out_h, out_w), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = padded[:, :, i:i + stride * out_h:stride,
                                      j:j + stride * out_w:stride]
    return cols.reshape(n, c * kh * kw, out_h * out_w)
    ### END SOLUTION


def col2im(cols, x_shape, kh, kw, stride, padding):
    """The adjoint of im2col: add every column back onto the pixels it came from.

    Pixels in several receptive fields (overlapping windows) get the sum.
    Shapes: cols (N, C*kh*kw, H_out*W_out) -> (N, C, H, W) = x_shape.
    """
    ### BEGIN SOLUTION
    n, c, h, w = x_shape
    out_h, out_w = output_size(h, kh, stride, padding), output_size(w, kw, stride, padding)
    cols = cols.reshape(n, c, kh, kw, out_h, out_w)
    padded = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=cols.dtype)
    for i in range(kh):
        i_end = i + stride * out_h
        for j in range(kw):
            j_end = j + stride * out_w
            patch = cols[:, :, i, j]
            padded[:, :, i:i_end:stride, j:j_end:stride] += patch
    return padded[:, :, padding:padding + h, padding:padding + w]
    ### END SOLUTION


# ----------------------------------------------------------------- 2.3 conv2d
class Conv2d(mg.Function):
    """y[n, o] = b[o] + sum_c w[o, c] (*) x[n, c]  (cross-correlation), via im2col.

    Called as Conv2d.apply(x, weight, bias, stride, padding).
    Shapes: x (N, C, H, W), weight (O, C, kh, kw), bias (O,) -> (N, O, H_out, W_out).
    Backward: dW = sum_n G[n] @ cols[n]^T, dcols = W_mat^T @ G -> col2im, db = sum G.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding):
        ### BEGIN SOLUTION
        out_channels, _, kh, kw = weight.shape
        cols = im2col(x, kh, kw, stride, padding)
        out_h = output_size(x.shape[2], kh, stride, padding)
        out_w = output_size(x.shape[3], kw, stride, padding)
        y = weight.reshape(out_channels, -1) @ cols + bias[None, :, None]
        ctx.cols, ctx.weight, ctx.x_shape = cols, weight, x.shape
        ctx.geometry = (kh, kw, stride, padding)
        return y.reshape(x.shape[0], out_channels, out_h, out_w)
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        ### BEGIN SOLUTION
        kh, kw, stride, padding = ctx.geometry
        weight, cols = ctx.weight, ctx.cols
        g = grad.numpy().reshape(grad.shape[0], grad.shape[1], -1)      # (N, O, L)
        grad_w = np.einsum("nol,nkl->ok", g, cols).reshape(weight.shape)
        grad_cols = weight.reshape(weight.shape[0], -1).T @ g           # (N, C*kh*kw, L)
        grad_x = col2im(grad_cols, ctx.x_shape, kh, kw, stride, padding)
        grad_b = g.sum(axis=(0, 2))
        return mg.tensor(grad_x), mg.tensor(grad_w), mg.tensor(grad_b), None, None
        ### END SOLUTION


# ----------------------------------------------------------------- 2.4 max pooling
class MaxPool2d(mg.Function):
    """Max over non-overlapping k x k windows (stride k, H and W divisible by k).

    The gradient goes to the first maximum of each window in row-major order, as
    PyTorch does, so ties do not double it. Called as MaxPool2d.apply(x, k).
    Shapes: x (N, C, H, W) -> (N, C, H // k, W // k).
    """

    @staticmethod
    def forward(ctx, x, k):
        ### BEGIN SOLUTION
        n, c, h, w = x.shape
        windows = x.reshape(n, c, h // k, k, w // k, k).transpose(0, 1, 2, 4, 3, 5)
        windows = windows.reshape(n, c, h // k, w // k, k * k)
        first = windows.argmax(axis=-1)
        mask = np.arange(k * k) == first[..., None]
        ctx.mask, ctx.k, ctx.x_shape = mask, k, x.shape
        return windows.max(axis=-1)
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        ### BEGIN SOLUTION
        n, c, h, w = ctx.x_shape
        k = ctx.k
        spread = ctx.mask * grad.numpy()[..., None]                     # (N, C, h, w, k*k)
        spread = spread.reshape(n, c, h // k, w // k, k, k).transpose(0, 1, 2, 4, 3, 5)
        return mg.tensor(spread.reshape(ctx.x_shape)), None
        ### END SOLUTION


# ----------------------------------------------------------------- 2.5 batch norm
def batch_norm(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """Batch normalisation of x (N, C) over the batch (Ioffe & Szegedy 2015).

    y = gamma * (x - mean) / sqrt(var + eps) + beta, with Tensor ops (autodiff does
    the backward). Training: mean and biased var of this batch, and the running
    statistics (np.ndarray (C,), updated in place) move towards them:
        running <- (1 - momentum) running + momentum * batch   (var: unbiased, N - 1)
    Eval: mean and var are the running statistics; nothing is updated.
    """
    ### BEGIN SOLUTION
    if training:
        mean, var = x.mean(axis=0), x.var(axis=0, ddof=0)
        n = x.shape[0]
        running_mean *= 1 - momentum
        running_mean += momentum * mean.numpy()
        running_var *= 1 - momentum
        running_var += momentum * var.numpy() * n / (n - 1)
    else:
        mean, var = mg.tensor(running_mean), mg.tensor(running_var)
    return gamma * (x - mean) / (var + eps).sqrt() + beta
    ### END SOLUTION


# ----------------------------------------------------------------- 2.6 dropout
def dropout(x, p, training, rng):
    """Inverted dropout: zero each element with probability p and scale the rest by
    1 / (1 - p), so the expectation is x and eval mode is the identity.

    x: Tensor. rng: np.random.Generator (draw the mask with rng.random(x.shape)).
    """
    ### BEGIN SOLUTION
    if not training or p == 0:
        return x
    keep = (rng.random(x.shape) >= p).astype(x.dtype)
    return x * mg.tensor(keep / (1.0 - p))
    ### END SOLUTION


# ----------------------------------------------------------------- 2.7 a small CNN
class SmallCNN(nn.Module):
    """conv 3x3 (1 -> 8, padding 1) - ReLU - max pool 2 - linear (8*4*4 -> 10),
    built from your Conv2d, MaxPool2d and Linear. Input (N, 1, 8, 8) digits."""

    def __init__(self, seed=0):
        super().__init__()
        ### BEGIN SOLUTION
        rng = np.random.default_rng(seed)
        self.conv_w = nn.Parameter(rng.normal(0, np.sqrt(2 / 9), (8, 1, 3, 3)).astype(np.float32))
        self.conv_b = nn.Parameter(np.zeros(8, dtype=np.float32))
        self.fc_w = nn.Parameter(rng.normal(0, np.sqrt(1 / 128), (10, 128)).astype(np.float32))
        self.fc_b = nn.Parameter(np.zeros(10, dtype=np.float32))
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        h = Conv2d.apply(x, self.conv_w, self.conv_b, 1, 1).relu()
        h = MaxPool2d.apply(h, 2)
        return Linear.apply(h.reshape(h.shape[0], -1), self.fc_w, self.fc_b)
        ### END SOLUTION


def train_digits(epochs=3, batch_size=32, lr=0.01, seed=0):
    """Train SmallCNN on minigrad.data.load_digits() with Adam; return
    (model, test accuracy in [0, 1])."""
    ### BEGIN SOLUTION
    from minigrad.data import load_digits

    data = load_digits()
    model = SmallCNN(seed)
    optimizer = mg.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(data.y_train))
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            loss = nn.functional.cross_entropy(model(mg.tensor(data.x_train[batch])),
                                               data.y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with mg.no_grad():
        predicted = model(mg.tensor(data.x_test)).numpy().argmax(axis=1)
    return model, float(np.mean(predicted == data.y_test))
    ### END SOLUTION
