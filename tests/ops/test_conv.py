"""conv2d / conv_transpose2d: fast path vs the textbook loops, float64 gradchecks to
second order, adjointness, dtypes, error messages, PyTorch parity (when installed)."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.kernels import naive
from minigrad.ops import conv
from minigrad.ops.conv import conv2d, conv_transpose2d
from minigrad.testing.coverage import gradchecks
from tests.helpers import GRADCHECK, QUICK, rng


@st.composite
def conv_configs(draw, max_channels=2, max_batch=2):
    """A random but valid conv2d geometry with tiny shapes (rectangular kernels,
    stride, padding, dilation, groups incl. depthwise, bias or not)."""
    groups = draw(st.integers(1, 2))
    cg = draw(st.integers(1, max_channels))           # input channels per group
    og = draw(st.integers(1, max_channels))           # output channels per group
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    size = []
    for k, d, p in zip(kernel, dilation, padding):
        span = d * (k - 1) + 1
        size.append(max(1, span - 2 * p) + draw(st.integers(0, 3)))
    return dict(n=draw(st.integers(1, max_batch)), channels=cg * groups,
                out_channels=og * groups, size=tuple(size), kernel=kernel, stride=stride,
                padding=padding, dilation=dilation, groups=groups, bias=draw(st.booleans()))


def make_inputs(config, seed=0, dtype=np.float64):
    r = rng(seed)
    x = r.standard_normal((config["n"], config["channels"]) + config["size"]).astype(dtype)
    w = r.standard_normal((config["out_channels"], config["channels"] // config["groups"])
                          + config["kernel"]).astype(dtype)
    b = r.standard_normal(config["out_channels"]).astype(dtype) if config["bias"] else None
    return x, w, b


def conv_output_size(config):
    """(H_out, W_out) of conv2d on the config's input: a valid input size for the transpose."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, p, d, k, s in zip(
        config["size"], config["padding"], config["dilation"], config["kernel"],
        config["stride"]))


def geometry(config):
    return dict(stride=config["stride"], padding=config["padding"],
                dilation=config["dilation"], groups=config["groups"])


# --------------------------------------------------------------------------- values
@QUICK
@given(config=conv_configs(max_channels=3, max_batch=3))
def test_conv2d_matches_naive_loops(config):
    x, w, b = make_inputs(config)
    y = conv2d(mg.tensor(x), mg.tensor(w), None if b is None else mg.tensor(b),
               **geometry(config))
    expected = naive.conv2d_forward_naive(x, w, b, config["stride"], config["padding"],
                                          config["dilation"], config["groups"])
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)


@QUICK
@given(config=conv_configs(max_channels=3), extra=st.tuples(st.integers(0, 1),
                                                              st.integers(0, 1)))
def test_conv_transpose2d_matches_naive_loops(config, extra):
    output_padding = tuple(min(e, max(s, d) - 1) for e, s, d in
                           zip(extra, config["stride"], config["dilation"]))
    x, w, b = make_inputs(config)      # read w (O, C/G, kh, kw) as conv_transpose's weight
    g = rng(1).standard_normal((config["n"], config["out_channels"]) + conv_output_size(config))
    b = None if b is None else rng(2).standard_normal(config["channels"])
    z = conv_transpose2d(mg.tensor(g), mg.tensor(w), None if b is None else mg.tensor(b),
                         config["stride"], config["padding"], output_padding,
                         config["groups"], config["dilation"])
    expected = naive.conv_transpose2d_naive(g, w, b, config["stride"], config["padding"],
                                            output_padding, config["groups"],
                                            config["dilation"])
    np.testing.assert_allclose(z.numpy(), expected, rtol=1e-12, atol=1e-12)


@QUICK
@given(config=conv_configs())
def test_conv_transpose2d_is_the_adjoint_of_conv2d(config):
    """<conv2d(x, w), g> == <x, conv_transpose2d(g, w)> for every x, g."""
    x, w, _ = make_inputs(config)
    y = conv2d(mg.tensor(x), mg.tensor(w), **geometry(config))
    g = rng(3).standard_normal(y.shape)
    # output_padding recovers the rows a strided conv never reads
    extra = tuple(n + 2 * p - d * (k - 1) - 1 - (o - 1) * s for n, p, d, k, o, s in zip(
        x.shape[2:], config["padding"], config["dilation"], config["kernel"], y.shape[2:],
        config["stride"]))
    if any(e >= s for e, s in zip(extra, config["stride"])):
        return  # PyTorch's output_padding < stride rule cannot express this size
    z = conv_transpose2d(mg.tensor(g), mg.tensor(w), None, config["stride"],
                         config["padding"], extra, config["groups"], config["dilation"])
    assert z.shape == x.shape
    np.testing.assert_allclose(np.vdot(y.numpy(), g), np.vdot(x, z.numpy()), rtol=1e-10)


def test_depthwise_separable_equals_per_channel_convolutions():
    r = rng(4)
    x, w_dw, w_pw = (r.standard_normal((2, 3, 6, 5)), r.standard_normal((3, 1, 3, 3)),
                     r.standard_normal((4, 3, 1, 1)))
    y = conv2d(conv2d(mg.tensor(x), mg.tensor(w_dw), padding=1, groups=3), mg.tensor(w_pw))
    per_channel = np.concatenate([naive.conv2d_forward_naive(x[:, c:c + 1], w_dw[c:c + 1],
                                                             padding=(1, 1))
                                  for c in range(3)], axis=1)
    expected = np.einsum("nchw,oc->nohw", per_channel, w_pw[:, :, 0, 0])
    np.testing.assert_allclose(y.numpy(), expected, atol=1e-12)


# --------------------------------------------------------------------------- gradients
@gradchecks(conv.Conv2d, conv.Conv2dWeightGrad, conv.ConvTranspose2d)
@GRADCHECK
@given(config=conv_configs(max_batch=1))
def test_conv2d_gradcheck_to_second_order(config):
    x, w, b = (None if a is None else mg.tensor(a, requires_grad=True)
               for a in make_inputs(config))
    inputs = (x, w) if b is None else (x, w, b)

    def f(*args):
        return conv2d(*args, **geometry(config))

    assert mg.gradcheck(f, inputs)
    assert mg.gradgradcheck(f, inputs)


@gradchecks(conv.ConvTranspose2d, conv.Conv2d, conv.Conv2dWeightGrad)
@GRADCHECK
@given(config=conv_configs(max_batch=1), extra=st.integers(0, 1))
def test_conv_transpose2d_gradcheck_to_second_order(config, extra):
    output_padding = tuple(min(extra, s - 1) for s in config["stride"])
    _, w, _ = make_inputs(config)
    g = rng(5).standard_normal((1, config["out_channels"]) + conv_output_size(config))
    b = rng(6).standard_normal(config["channels"]) if config["bias"] else None
    inputs = tuple(mg.tensor(a, requires_grad=True) for a in (g, w, b) if a is not None)

    def f(*args):
        return conv_transpose2d(*args[:2], args[2] if len(args) > 2 else None,
                                config["stride"], config["padding"], output_padding,
                                config["groups"], config["dilation"])

    assert mg.gradcheck(f, inputs)
    assert mg.gradgradcheck(f, inputs)


@QUICK
@given(config=conv_configs())
def test_conv2d_gradients_match_the_loop_formulas(config):
    """dx, dw, db against the textbook sums, written independently of the fast path."""
    x_np, w_np, _ = make_inputs(config)
    x, w = mg.tensor(x_np, requires_grad=True), mg.tensor(w_np, requires_grad=True)
    b = mg.tensor(np.zeros(config["out_channels"]), requires_grad=True)
    y = conv2d(x, w, b, **geometry(config))
    g = rng(8).standard_normal(y.shape)
    y.backward(g)
    (sh, sw), (ph, pw), (dh, dw) = config["stride"], config["padding"], config["dilation"]
    kh, kw = config["kernel"]
    og, cg = w_np.shape[0] // config["groups"], w_np.shape[1]
    x_pad = np.pad(x_np, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    grad_x_pad, grad_w = np.zeros_like(x_pad), np.zeros_like(w_np)
    for n, o, i, j in np.ndindex(g.shape):
        c0 = (o // og) * cg
        for u, v in np.ndindex(kh, kw):
            h, ww = sh * i + dh * u, sw * j + dw * v
            grad_w[o, :, u, v] += g[n, o, i, j] * x_pad[n, c0:c0 + cg, h, ww]
            grad_x_pad[n, c0:c0 + cg, h, ww] += g[n, o, i, j] * w_np[o, :, u, v]
    height, width = x_np.shape[2:]
    np.testing.assert_allclose(x.grad.numpy(), grad_x_pad[:, :, ph:ph + height, pw:pw + width],
                               atol=1e-10)
    np.testing.assert_allclose(w.grad.numpy(), grad_w, atol=1e-10)
    np.testing.assert_allclose(b.grad.numpy(), g.sum(axis=(0, 2, 3)), atol=1e-10)


def test_double_backward_through_conv_gives_the_hessian_vector_product():
    """f(w) = sum(conv2d(x, w)**2) is quadratic in w: grad(<grad f, v>) = H v = 2 J^T J v."""
    r = rng(9)
    x = mg.tensor(r.standard_normal((2, 2, 5, 5)))
    w = mg.tensor(r.standard_normal((3, 2, 3, 3)), requires_grad=True)
    v = r.standard_normal(w.shape)
    (grad_w,) = mg.grad((conv2d(x, w, padding=1) ** 2).sum(), [w], create_graph=True)
    (hvp,) = mg.grad((grad_w * mg.tensor(v)).sum(), [w])
    jv = conv2d(x, mg.tensor(v), padding=1)          # J v (conv is linear in w)
    (jtjv,) = mg.grad(conv2d(x, w, padding=1), [w], grad_outputs=[jv])
    np.testing.assert_allclose(hvp.numpy(), 2 * jtjv.numpy(), rtol=1e-10)


# --------------------------------------------------------------------------- dtypes
def test_float32_is_preserved_in_values_and_gradients():
    r = rng(10)
    x = mg.tensor(r.standard_normal((2, 3, 8, 8)).astype(np.float32), requires_grad=True)
    w = mg.tensor(r.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    b = mg.tensor(np.zeros(4, np.float32), requires_grad=True)
    y = conv2d(x, w, b, stride=2, padding=1)
    z = conv_transpose2d(y, w, None, stride=2, padding=1, output_padding=1)
    z.sum().backward()
    assert y.dtype == z.dtype == np.float32
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
    expected = naive.conv2d_forward_naive(x.numpy().astype(np.float64),
                                          w.numpy().astype(np.float64),
                                          None, (2, 2), (1, 1))
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-4, atol=1e-4)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, message", [
    (lambda: conv2d(mg.zeros(1, 3, 8, 8), mg.zeros(8, 4, 3, 3)),
     r"conv2d: input has 3 channels but weight expects 4 \(weight shape \(8, 4, 3, 3\), "
     r"groups=1\)"),
    (lambda: conv2d(mg.zeros(1, 3, 8, 8), mg.zeros(4, 1, 3, 3), groups=2),
     r"conv2d: input channels \(3\) is not divisible by groups=2"),
    (lambda: conv2d(mg.zeros(1, 4, 8, 8), mg.zeros(3, 2, 3, 3), groups=2),
     r"conv2d: output channels \(weight.shape\[0\]\) \(3\) is not divisible by groups=2"),
    (lambda: conv2d(mg.zeros(3, 8, 8), mg.zeros(4, 3, 3, 3)),
     r"conv2d: input must be 4-D, got shape \(3, 8, 8\) \(\(N, C, H, W\) expected\)"),
    (lambda: conv2d(mg.zeros(1, 3, 8, 8), mg.zeros(4, 3, 3)),
     r"conv2d: weight must be 4-D, got shape \(4, 3, 3\)"),
    (lambda: conv2d(mg.zeros(1, 3, 4, 4), mg.zeros(2, 3, 7, 3), padding=1),
     r"conv2d: kernel height 7 .* larger than the padded input height 6 \(input shape "
     r"\(1, 3, 4, 4\), padding \(1, 1\)\)"),
    (lambda: conv2d(mg.zeros(1, 3, 4, 4), mg.zeros(2, 3, 3, 3), dilation=3),
     r"conv2d: kernel height 7 \(kernel \(3, 3\), dilation \(3, 3\)\) is larger"),
    (lambda: conv2d(mg.zeros(1, 3, 8, 8), mg.zeros(4, 3, 3, 3), mg.zeros(5)),
     r"conv2d: bias must have shape \(4,\), got \(5,\)"),
    (lambda: conv2d(mg.zeros(1, 3, 8, 8), mg.zeros(4, 3, 3, 3), stride=0),
     r"conv2d: stride must be >= 1, got 0"),
    (lambda: conv_transpose2d(mg.zeros(1, 3, 4, 4), mg.zeros(4, 2, 3, 3)),
     r"conv_transpose2d: input has 3 channels but weight expects 4"),
    (lambda: conv_transpose2d(mg.zeros(1, 4, 4, 4), mg.zeros(4, 2, 3, 3), stride=2,
                              output_padding=2),
     r"conv_transpose2d: output_padding \(2, 2\) must be smaller than stride \(2, 2\) "
     r"or dilation \(1, 1\)"),
])
def test_error_messages_name_the_op_and_shapes(call, message):
    with pytest.raises(mg.ShapeError, match=message):
        call()


def test_integer_input_is_refused():
    with pytest.raises(mg.DTypeError, match="conv2d: expects floating-point"):
        conv2d(np.ones((1, 1, 3, 3), dtype=np.int64), np.ones((1, 1, 2, 2), dtype=np.int64))


# --------------------------------------------------------------------------- PyTorch
@QUICK
@given(config=conv_configs(max_channels=3))
def test_conv2d_and_gradients_match_pytorch(config):
    torch = pytest.importorskip("torch")
    x_np, w_np, b_np = make_inputs(config)
    x, w = mg.tensor(x_np, requires_grad=True), mg.tensor(w_np, requires_grad=True)
    b = None if b_np is None else mg.tensor(b_np, requires_grad=True)
    y = conv2d(x, w, b, **geometry(config))
    g = rng(11).standard_normal(y.shape)
    y.backward(g)
    xt, wt = torch.tensor(x_np, requires_grad=True), torch.tensor(w_np, requires_grad=True)
    bt = None if b_np is None else torch.tensor(b_np, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, wt, bt, **geometry(config))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy(), atol=1e-12)
    if b is not None:
        np.testing.assert_allclose(b.grad.numpy(), bt.grad.numpy(), atol=1e-12)


@QUICK
@given(config=conv_configs(max_channels=3), extra=st.integers(0, 1))
def test_conv_transpose2d_matches_pytorch(config, extra):
    torch = pytest.importorskip("torch")
    output_padding = tuple(min(extra, max(s, d) - 1) for s, d in
                           zip(config["stride"], config["dilation"]))
    _, w_np, _ = make_inputs(config)
    g_np = rng(12).standard_normal((config["n"], config["out_channels"]) + conv_output_size(config))
    args = (config["stride"], config["padding"], output_padding, config["groups"],
            config["dilation"])
    z = conv_transpose2d(mg.tensor(g_np), mg.tensor(w_np), None, *args)
    zt = torch.nn.functional.conv_transpose2d(torch.tensor(g_np), torch.tensor(w_np), None,
                                              *args)
    np.testing.assert_allclose(z.numpy(), zt.numpy(), atol=1e-12)


@pytest.mark.parametrize("stride, kernel, channels", [(1, 3, 16), (1, 5, 3), (2, 3, 16), (2, 5, 4)])
def test_an_empty_batch_gives_empty_outputs_and_zero_weight_gradients(stride, kernel, channels):
    """N = 0, as PyTorch allows: every path (Winograd, wide, phased) returns (0, O, H, W)
    and the weight and bias gradients are zeros of their own shapes."""
    x = mg.tensor(np.zeros((0, channels, 9, 9)), requires_grad=True)
    w = mg.tensor(rng(0).standard_normal((16, channels, kernel, kernel)), requires_grad=True)
    b = mg.tensor(np.ones(16), requires_grad=True)
    y = conv2d(x, w, b, stride=stride, padding=kernel // 2)
    out = (9 + 2 * (kernel // 2) - kernel) // stride + 1
    assert y.shape == (0, 16, out, out)
    y.sum().backward()
    assert x.grad.shape == x.shape
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros(w.shape))
    np.testing.assert_array_equal(b.grad.numpy(), np.zeros(16))


@pytest.mark.parametrize("name, value", [("stride", 1.5), ("padding", 0.5), ("dilation", (1, 2.0)),
                                         ("stride", True)])
def test_non_integer_geometry_is_a_type_error_naming_the_op(name, value):
    """conv2d(stride=1.5) used to fail inside tuple() with "'float' object is not
    iterable"; True is refused too (it is no stride)."""
    with pytest.raises(TypeError, match=rf"conv2d: {name} must be an int or a pair of ints, "
                                        rf"got {re.escape(repr(value))}"):
        mg.nn.functional.conv2d(mg.zeros(1, 1, 4, 4), mg.zeros(1, 1, 2, 2), **{name: value})
