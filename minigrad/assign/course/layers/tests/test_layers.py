"""Tests of assignment 2. Run them with `python -m minigrad grade .`"""

import layers
import numpy as np

import minigrad as mg
from minigrad.assign.checks import assert_close, assert_shape, gradcheck, task


def tensor64(shape, seed, requires_grad=True):
    values = np.random.default_rng(seed).standard_normal(shape)
    return mg.tensor(values, requires_grad=requires_grad)


def conv_loops(x, w, b, stride, padding):
    n, c, h, width = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out_h, out_w = (h + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1
    y = np.zeros((n, o, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            field = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            y[:, :, i, j] = np.tensordot(field, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return y


# ----------------------------------------------------------------- 2.1
@task("2.1")
def test_linear_forward_and_gradcheck():
    x, w, b = tensor64((4, 3), 0), tensor64((2, 3), 1), tensor64((2,), 2)
    assert_close(layers.Linear.apply(x, w, b), x.numpy() @ w.numpy().T + b.numpy(), "Linear")
    gradcheck(layers.Linear.apply, (x, w, b), "Linear (4, 3) -> 2")


### BEGIN HIDDEN TESTS
@task("2.1")
def test_linear_bias_gradient_sums_the_batch():
    x, w, b = tensor64((5, 3), 3), tensor64((2, 3), 4), tensor64((2,), 5)
    layers.Linear.apply(x, w, b).sum().backward()
    assert_close(b.grad, [5.0, 5.0], "Linear bias gradient of sum(y) over a batch of 5")
### END HIDDEN TESTS


# ----------------------------------------------------------------- 2.2
@task("2.2")
def test_im2col_columns_are_receptive_fields():
    x = np.arange(2 * 2 * 4 * 4, dtype=np.float64).reshape(2, 2, 4, 4)
    cols = layers.im2col(x, 3, 3, 1, 0)
    assert_shape(cols, (2, 18, 4), "im2col of (2, 2, 4, 4) with a 3x3 kernel")
    assert_close(cols[1, :, 3], x[1, :, 1:4, 1:4].reshape(-1), "im2col column of field (1, 1)")


@task("2.2")
def test_col2im_is_the_adjoint_of_im2col():
    rng = np.random.default_rng(6)
    x, shape = rng.standard_normal((2, 3, 5, 5)), (2, 3, 5, 5)
    cols = rng.standard_normal(layers.im2col(x, 3, 3, 1, 1).shape)
    left = np.sum(layers.im2col(x, 3, 3, 1, 1) * cols)
    right = np.sum(x * layers.col2im(cols, shape, 3, 3, 1, 1))
    assert_close(right, left, "<x, col2im(c)> against <im2col(x), c> (3x3, stride 1, pad 1)")


### BEGIN HIDDEN TESTS
@task("2.2")
def test_im2col_col2im_stride_and_padding():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 2, 7, 6))
    cols = layers.im2col(x, 3, 2, 2, 1)
    assert_shape(cols, (1, 12, 4 * 4), "im2col of (1, 2, 7, 6), kernel 3x2, stride 2, pad 1")
    upstream = rng.standard_normal(cols.shape)
    left = np.sum(cols * upstream)
    right = np.sum(x * layers.col2im(upstream, x.shape, 3, 2, 2, 1))
    assert_close(right, left, "adjoint identity with stride 2 and padding 1")


@task("2.2")
def test_col2im_counts_overlaps():
    ones = np.ones(layers.im2col(np.zeros((1, 1, 4, 4)), 3, 3, 1, 0).shape)
    counts = layers.col2im(ones, (1, 1, 4, 4), 3, 3, 1, 0)[0, 0]
    expected = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])
    assert_close(counts, expected, "col2im of ones: how many 3x3 windows hold each pixel")
### END HIDDEN TESTS


# ----------------------------------------------------------------- 2.3
@task("2.3")
def test_conv2d_forward_matches_loops():
    x, w, b = tensor64((2, 3, 6, 6), 8), tensor64((4, 3, 3, 3), 9), tensor64((4,), 10)
    assert_close(layers.Conv2d.apply(x, w, b, 1, 1),
                 conv_loops(x.numpy(), w.numpy(), b.numpy(), 1, 1), "Conv2d, 3x3 pad 1")


@task("2.3")
def test_conv2d_gradcheck():
    x, w, b = tensor64((2, 2, 5, 5), 11), tensor64((3, 2, 3, 3), 12), tensor64((3,), 13)
    gradcheck(lambda x, w, b: layers.Conv2d.apply(x, w, b, 1, 0), (x, w, b),
              "Conv2d (2, 2, 5, 5) * (3, 2, 3, 3)")


### BEGIN HIDDEN TESTS
@task("2.3")
def test_conv2d_stride_two_gradcheck():
    x, w, b = tensor64((1, 2, 7, 7), 14), tensor64((2, 2, 3, 3), 15), tensor64((2,), 16)
    assert_close(layers.Conv2d.apply(x, w, b, 2, 1),
                 conv_loops(x.numpy(), w.numpy(), b.numpy(), 2, 1), "Conv2d, stride 2 pad 1")
    gradcheck(lambda x, w, b: layers.Conv2d.apply(x, w, b, 2, 1), (x, w, b),
              "Conv2d stride 2, padding 1")
### END HIDDEN TESTS


# ----------------------------------------------------------------- 2.4
@task("2.4")
def test_max_pool_forward_and_gradcheck():
    x = tensor64((2, 3, 4, 4), 17)
    expected = x.numpy().reshape(2, 3, 2, 2, 2, 2).max(axis=(3, 5))
    assert_close(layers.MaxPool2d.apply(x, 2), expected, "MaxPool2d 2x2")
    gradcheck(lambda t: layers.MaxPool2d.apply(t, 2), (x,), "MaxPool2d 2x2")


### BEGIN HIDDEN TESTS
@task("2.4")
def test_max_pool_ties_go_to_the_first_maximum():
    x = mg.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    layers.MaxPool2d.apply(x, 2).sum().backward()
    assert_close(x.grad, [[[[1.0, 0.0], [0.0, 0.0]]]],
                 "MaxPool2d gradient of a window of equal values (all to the first)")


@task("2.4")
def test_max_pool_3x3():
    x = tensor64((1, 2, 6, 6), 18)
    gradcheck(lambda t: layers.MaxPool2d.apply(t, 3), (x,), "MaxPool2d 3x3")
### END HIDDEN TESTS


# ----------------------------------------------------------------- 2.5
def batch_norm_case(training, seed=19):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8, 3)) * 2 + 1
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    running_mean, running_var = rng.standard_normal(3), rng.random(3) + 0.5
    return x, gamma, beta, running_mean, running_var


@task("2.5")
def test_batch_norm_train_mode():
    x, gamma, beta, rm, rv = batch_norm_case(True)
    rm0, rv0 = rm.copy(), rv.copy()
    y = layers.batch_norm(mg.tensor(x), mg.tensor(gamma), mg.tensor(beta), rm, rv, True)
    expected = gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5) + beta
    assert_close(y, expected, "batch_norm output in training mode")
    assert_close(rm, 0.9 * rm0 + 0.1 * x.mean(0), "running_mean after one training step")
    assert_close(rv, 0.9 * rv0 + 0.1 * x.var(0, ddof=1), "running_var (unbiased) after a step")


@task("2.5")
def test_batch_norm_gradcheck():
    x, gamma, beta, rm, rv = batch_norm_case(True, 20)
    gradcheck(lambda x, g, b: layers.batch_norm(x, g, b, rm.copy(), rv.copy(), True),
              (mg.tensor(x, requires_grad=True), mg.tensor(gamma, requires_grad=True),
               mg.tensor(beta, requires_grad=True)), "batch_norm in training mode")


### BEGIN HIDDEN TESTS
@task("2.5")
def test_batch_norm_eval_uses_running_statistics():
    x, gamma, beta, rm, rv = batch_norm_case(False, 21)
    rm0 = rm.copy()
    y = layers.batch_norm(mg.tensor(x), mg.tensor(gamma), mg.tensor(beta), rm, rv, False)
    expected = gamma * (x - rm) / np.sqrt(rv + 1e-5) + beta
    assert_close(y, expected, "batch_norm in eval mode (normalised by the running statistics)")
    assert_close(rm, rm0, "running_mean in eval mode (must not change)")
### END HIDDEN TESTS


# ----------------------------------------------------------------- 2.6
@task("2.6")
def test_dropout_eval_is_identity_and_train_zeroes():
    x = mg.tensor(np.ones((200, 50)))
    assert_close(layers.dropout(x, 0.3, False, np.random.default_rng(0)), x.numpy(),
                 "dropout in eval mode")
    y = layers.dropout(x, 0.3, True, np.random.default_rng(0)).numpy()
    fraction = float(np.mean(y == 0))
    assert abs(fraction - 0.3) < 0.02, f"dropout p=0.3 zeroed {fraction:.3f} of the values"


### BEGIN HIDDEN TESTS
@task("2.6")
def test_dropout_keeps_the_expectation():
    x = mg.tensor(np.ones((400, 100)))
    y = layers.dropout(x, 0.4, True, np.random.default_rng(1)).numpy()
    assert abs(y.mean() - 1.0) < 0.02, (
        f"mean of dropout(ones, p=0.4) is {y.mean():.3f}; inverted dropout keeps it at 1 "
        f"(kept values are scaled by 1/(1-p))")
    kept = y[y != 0]
    assert_close(kept, np.full(kept.shape, 1 / 0.6), "kept values of dropout(ones, p=0.4)")
### END HIDDEN TESTS


# ----------------------------------------------------------------- 2.7
@task("2.7")
def test_small_cnn_shapes():
    model = layers.SmallCNN(0)
    out = model(mg.tensor(np.zeros((5, 1, 8, 8), dtype=np.float32)))
    assert_shape(out, (5, 10), "SmallCNN output for 5 digits")
    assert len(list(model.parameters())) >= 2, "SmallCNN has fewer than two parameters"


### BEGIN HIDDEN TESTS
@task("2.7")
def test_small_cnn_reaches_90_percent():
    _, accuracy = layers.train_digits()
    assert accuracy >= 0.9, f"SmallCNN test accuracy {accuracy:.3f}; expected at least 0.90"
### END HIDDEN TESTS
