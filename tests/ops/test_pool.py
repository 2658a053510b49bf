"""max_pool2d / avg_pool2d / adaptive_avg_pool2d: fast kernels vs textbook loops,
gradients to second order in float64, the tie rule, dtypes, errors, PyTorch parity."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.kernels import naive
from minigrad.ops import pool
from minigrad.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from minigrad.testing.coverage import gradchecks
from tests.helpers import GRADCHECK, QUICK, rng


@st.composite
def pool_configs(draw, dilation=True, max_batch=2):
    """Valid pooling geometry: padding at most half the (dilated) kernel, tiny shapes."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding, size = [], []
    for k, d in zip(kernel, dil):
        span = d * (k - 1) + 1
        padding.append(draw(st.integers(0, k // 2)))
        size.append(max(1, span - 2 * padding[-1]) + draw(st.integers(0, 4)))
    config = dict(shape=(draw(st.integers(1, max_batch)), draw(st.integers(1, 3))) +
                  tuple(size), kernel=kernel, stride=stride, padding=tuple(padding),
                  dilation=dil, ceil_mode=draw(st.booleans()))
    assume(not padding_only_window(config))  # an error since the dilated-window fix
    return config


def padding_only_window(config):
    """True if some window of this geometry reads padding only (a plain loop)."""
    for axis in range(2):
        size, k = config["shape"][2 + axis], config["kernel"][axis]
        s, p, d = config["stride"][axis], config["padding"][axis], config["dilation"][axis]
        out = naive.pool_output_size(size, k, s, p, d, config["ceil_mode"])
        for i in range(out):
            if all(not 0 <= i * s - p + d * u < size for u in range(k)):
                return True
    return False


def distinct_values(shape, seed=0):
    """A random permutation of distinct values: no ties, so max pool is smooth."""
    return rng(seed).permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 3.0


# --------------------------------------------------------------------------- max pooling
@QUICK
@given(config=pool_configs(max_batch=3))
def test_max_pool2d_matches_naive_loops(config):
    x = rng(0).standard_normal(config["shape"])
    y = max_pool2d(mg.tensor(x), config["kernel"], config["stride"], config["padding"],
                   config["dilation"], config["ceil_mode"])
    expected = naive.max_pool2d_naive(x, config["kernel"], config["stride"], config["padding"],
                                      config["dilation"], config["ceil_mode"])
    np.testing.assert_array_equal(y.numpy(), expected)


@gradchecks(pool.MaxPool2d, pool.MaxPool2dScatter, pool.MaxPool2dGather)
@GRADCHECK
@given(config=pool_configs(max_batch=1))
def test_max_pool2d_gradcheck_to_second_order(config):
    x = mg.tensor(distinct_values(config["shape"]), requires_grad=True)

    def f(x):
        return max_pool2d(x, config["kernel"], config["stride"], config["padding"],
                          config["dilation"], config["ceil_mode"])

    assert mg.gradcheck(f, (x,))
    assert mg.gradgradcheck(f, (x,))


def test_max_pool2d_ties_send_the_gradient_to_the_first_maximum_in_row_major_order():
    x = mg.tensor(np.array([[[[1.0, 5.0, 5.0],
                              [5.0, 2.0, 5.0],
                              [0.0, 5.0, 1.0]]]]), requires_grad=True)
    max_pool2d(x, 2, stride=1).sum().backward()
    # windows: top-left -> (0,1), top-right -> (0,1), bottom-left -> (1,0), bottom-right -> (1,2)
    expected = np.array([[0, 2, 0], [1, 0, 1], [0, 0, 0]], dtype=float)
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)


def test_max_pool2d_gradient_goes_to_the_argmax_of_overlapping_windows():
    x_np = distinct_values((2, 3, 7, 6), seed=1)
    x = mg.tensor(x_np, requires_grad=True)
    y = max_pool2d(x, 3, stride=2, padding=1)
    g = rng(2).standard_normal(y.shape)
    y.backward(g)
    expected = np.zeros_like(x_np)
    x_pad = np.pad(x_np, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    for n, c, i, j in np.ndindex(g.shape):
        window = x_pad[n, c, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
        u, v = np.unravel_index(np.argmax(window), window.shape)
        expected[n, c, 2 * i + u - 1, 2 * j + v - 1] += g[n, c, i, j]
    np.testing.assert_allclose(x.grad.numpy(), expected, atol=1e-12)


def test_max_pool2d_propagates_nan():
    x = np.zeros((1, 1, 2, 2))
    x[0, 0, 1, 0] = np.nan
    assert np.isnan(max_pool2d(mg.tensor(x), 2).numpy()).all()


# --------------------------------------------------------------------------- average pooling
@QUICK
@given(config=pool_configs(dilation=False, max_batch=3), include_pad=st.booleans())
def test_avg_pool2d_matches_naive_loops(config, include_pad):
    x = rng(3).standard_normal(config["shape"])
    y = avg_pool2d(mg.tensor(x), config["kernel"], config["stride"], config["padding"],
                   config["ceil_mode"], include_pad)
    expected = naive.avg_pool2d_naive(x, config["kernel"], config["stride"], config["padding"],
                                      config["ceil_mode"], include_pad)
    np.testing.assert_allclose(y.numpy(), expected, atol=1e-12)


@gradchecks(pool.AvgPool2d, pool.AvgPool2dAdjoint)
@GRADCHECK
@given(config=pool_configs(dilation=False, max_batch=1), include_pad=st.booleans())
def test_avg_pool2d_gradcheck_to_second_order(config, include_pad):
    x = mg.tensor(rng(4).standard_normal(config["shape"]), requires_grad=True)

    def f(x):
        return avg_pool2d(x, config["kernel"], config["stride"], config["padding"],
                          config["ceil_mode"], include_pad)

    assert mg.gradcheck(f, (x,))
    assert mg.gradgradcheck(f, (x,))


def test_avg_pool2d_counts_padding_by_default():
    y = avg_pool2d(mg.ones(1, 1, 2, 2), 2, stride=1, padding=1)
    # the corner window holds one real 1 and three padding zeros
    np.testing.assert_allclose(y.numpy()[0, 0], [[0.25, 0.5, 0.25], [0.5, 1, 0.5],
                                              [0.25, 0.5, 0.25]])
    y = avg_pool2d(mg.ones(1, 1, 2, 2), 2, stride=1, padding=1, count_include_pad=False)
    np.testing.assert_allclose(y.numpy(), 1.0)


# --------------------------------------------------------------------------- adaptive
@QUICK
@given(shape=st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 9),
                       st.integers(1, 9)),
       out=st.tuples(st.integers(1, 5), st.integers(1, 5)))
def test_adaptive_avg_pool2d_matches_naive_loops(shape, out):
    x = rng(5).standard_normal(shape)
    y = adaptive_avg_pool2d(mg.tensor(x), out)
    np.testing.assert_allclose(y.numpy(), naive.adaptive_avg_pool2d_naive(x, out), atol=1e-12)


@GRADCHECK
@given(shape=st.tuples(st.just(1), st.integers(1, 2), st.integers(1, 6), st.integers(1, 6)),
       out=st.tuples(st.integers(1, 4), st.integers(1, 4)))
def test_adaptive_avg_pool2d_gradcheck_to_second_order(shape, out):
    x = mg.tensor(rng(6).standard_normal(shape), requires_grad=True)
    assert mg.gradcheck(lambda x: adaptive_avg_pool2d(x, out), (x,))
    assert mg.gradgradcheck(lambda x: adaptive_avg_pool2d(x, out), (x,))


def test_adaptive_avg_pool2d_to_one_is_the_global_mean_and_none_keeps_a_size():
    x = rng(7).standard_normal((2, 3, 5, 4))
    np.testing.assert_allclose(adaptive_avg_pool2d(mg.tensor(x), 1).numpy(),
                               x.mean(axis=(2, 3), keepdims=True), atol=1e-12)
    assert adaptive_avg_pool2d(mg.tensor(x), (None, 2)).shape == (2, 3, 5, 2)


# --------------------------------------------------------------------------- dtypes, errors
@pytest.mark.parametrize("op", [lambda x: max_pool2d(x, 2), lambda x: avg_pool2d(x, 3, 2, 1),
                                lambda x: adaptive_avg_pool2d(x, (2, 3))])
def test_float32_is_preserved(op):
    x = mg.tensor(rng(8).standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    y = op(x)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


@pytest.mark.parametrize("call, message", [
    (lambda: max_pool2d(mg.zeros(3, 8, 8), 2),
     r"max_pool2d: input must be 4-D \(N, C, H, W\), got shape \(3, 8, 8\)"),
    (lambda: max_pool2d(mg.zeros(1, 1, 4, 4), 3, padding=2),
     r"max_pool2d: padding \(2, 2\) must be at most half the kernel size \(3, 3\)"),
    (lambda: max_pool2d(mg.zeros(1, 1, 2, 5), (5, 2)),
     r"max_pool2d: kernel height 5 \(kernel_size \(5, 2\), dilation \(1, 1\)\) is larger than "
     r"the padded input height 2 \(input shape \(1, 1, 2, 5\), padding \(0, 0\)\)"),
    (lambda: avg_pool2d(mg.zeros(1, 1, 4, 4), 2, stride=0),
     r"avg_pool2d: stride must be >= 1, got 0"),
    (lambda: adaptive_avg_pool2d(mg.zeros(4, 4), 2),
     r"adaptive_avg_pool2d: input must be 4-D \(N, C, H, W\), got shape \(4, 4\)"),
])
def test_error_messages_name_the_op_and_shapes(call, message):
    with pytest.raises(mg.ShapeError, match=message):
        call()


# --------------------------------------------------------------------------- PyTorch
@QUICK
@given(config=pool_configs())
def test_max_pool2d_and_gradient_match_pytorch(config):
    torch = pytest.importorskip("torch")
    x_np = distinct_values(config["shape"], seed=9)
    args = (config["kernel"], config["stride"], config["padding"], config["dilation"],
            config["ceil_mode"])
    x = mg.tensor(x_np, requires_grad=True)
    y = max_pool2d(x, *args)
    g = rng(10).standard_normal(y.shape)
    y.backward(g)
    xt = torch.tensor(x_np, requires_grad=True)
    yt = torch.nn.functional.max_pool2d(xt, *args)
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), atol=1e-12)


@QUICK
@given(config=pool_configs(dilation=False), include_pad=st.booleans())
def test_avg_pool2d_matches_pytorch(config, include_pad):
    torch = pytest.importorskip("torch")
    x = rng(11).standard_normal(config["shape"])
    args = (config["kernel"], config["stride"], config["padding"], config["ceil_mode"],
            include_pad)
    np.testing.assert_allclose(avg_pool2d(mg.tensor(x), *args).numpy(),
                               torch.nn.functional.avg_pool2d(torch.tensor(x), *args).numpy(),
                               atol=1e-12)


@QUICK
@given(size=st.tuples(st.integers(1, 9), st.integers(1, 9)),
       out=st.tuples(st.integers(1, 5), st.integers(1, 5)))
def test_adaptive_avg_pool2d_matches_pytorch(size, out):
    torch = pytest.importorskip("torch")
    x = rng(12).standard_normal((2, 2) + size)
    np.testing.assert_allclose(adaptive_avg_pool2d(mg.tensor(x), out).numpy(),
                               torch.nn.functional.adaptive_avg_pool2d(torch.tensor(x),
                                                                       out).numpy(),
                               atol=1e-12)


@pytest.mark.parametrize("pool_fn", [lambda x: max_pool2d(x, 2), lambda x: max_pool2d(x, 3, 2, 1),
                                     lambda x: avg_pool2d(x, 3, 2, 1),
                                     lambda x: adaptive_avg_pool2d(x, 2)])
def test_an_empty_batch_pools_to_an_empty_batch(pool_fn):
    x = mg.tensor(np.zeros((0, 3, 8, 8)), requires_grad=True)
    y = pool_fn(x)
    assert y.shape[:2] == (0, 3)
    y.sum().backward()
    assert x.grad.shape == x.shape


# --------------------------------------------------------------------------- padding-only windows
PADDING_ONLY = [  # (H, kernel, padding, dilation): every one has a window of padding only
    (1, 2, 1, 2), (2, 2, 1, 3), (3, 2, 1, 4),
]


@pytest.mark.parametrize("height, kernel, padding, dilation", PADDING_ONLY)
def test_a_window_of_padding_only_is_an_error_naming_the_geometry(height, kernel, padding,
                                                                  dilation):
    """Height 1, kernel 2, padding 1, dilation 2 reads rows -1 and 1: no input at all.
    The max would be -inf and the gradient would go to index -1; refuse it."""
    x = mg.zeros(1, 1, height, 5)
    config = dict(shape=x.shape, kernel=(kernel, 1), stride=(1, 1), padding=(padding, 0),
                  dilation=(dilation, 1), ceil_mode=False)
    assert padding_only_window(config)
    message = (rf"max_pool2d: output row 0 pools a window that covers only padding "
               rf"\(kernel_size \({kernel}, 1\), padding \({padding}, 0\), dilation "
               rf"\({dilation}, 1\)")
    with pytest.raises(mg.ShapeError, match=message):
        max_pool2d(x, (kernel, 1), 1, (padding, 0), (dilation, 1))


@pytest.mark.parity
@pytest.mark.parametrize("height, kernel, padding, dilation", PADDING_ONLY)
def test_padding_only_windows_are_where_torch_returns_minus_inf(height, kernel, padding,
                                                                dilation):
    """PyTorch accepts these geometries and returns -inf: minigrad refuses exactly
    the geometries whose output PyTorch fills with -inf (and nudging the input
    height up by 2 makes both finite and equal)."""
    torch = pytest.importorskip("torch")
    args = ((kernel, 1), 1, (padding, 0), (dilation, 1))
    x = rng(30).standard_normal((1, 1, height, 3))
    assert torch.isinf(torch.nn.functional.max_pool2d(torch.tensor(x), *args)).any()
    with pytest.raises(mg.ShapeError):
        max_pool2d(mg.tensor(x), *args)
    taller = rng(31).standard_normal((1, 1, height + 2 * dilation, 3))
    theirs = torch.nn.functional.max_pool2d(torch.tensor(taller), *args).numpy()
    assert np.isfinite(theirs).all()
    np.testing.assert_array_equal(max_pool2d(mg.tensor(taller), *args).numpy(), theirs)
