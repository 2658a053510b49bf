"""F.conv1d, padding='same'/'valid', nn.Conv1d and nn.ConvTranspose2d: a direct loop
written here, gradcheck on hypothesis-drawn sizes, and PyTorch parity when installed."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


def conv1d_loop(x, w, b, stride, padding, dilation, groups):
    """y[n, o, i] = b[o] + sum_{c, u} w[o, c, u] x_pad[n, g(o)*C/G + c, s*i + d*u]."""
    n_batch, channels, length = x.shape
    out_channels, per_group, kernel = w.shape
    x_pad = np.zeros((n_batch, channels, length + 2 * padding))
    x_pad[:, :, padding:padding + length] = x
    out_len = (length + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    y = np.zeros((n_batch, out_channels, out_len))
    for n in range(n_batch):
        for o in range(out_channels):
            first = (o // (out_channels // groups)) * per_group
            for i in range(out_len):
                total = 0.0 if b is None else b[o]
                for c in range(per_group):
                    for u in range(kernel):
                        total += w[o, c, u] * x_pad[n, first + c, stride * i + dilation * u]
                y[n, o, i] = total
    return y


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 2), st.sampled_from([(1, 1), (2, 1), (2, 2), (4, 2)]), st.integers(3, 8),
       st.integers(1, 3), st.integers(1, 2), st.integers(0, 2), st.integers(1, 2),
       st.booleans(), st.integers(0, 2**16))
def test_conv1d_matches_the_loop_and_passes_gradcheck(n, groups_and_channels, length, kernel,
                                                      stride, padding, dilation, bias, seed):
    channels, groups = groups_and_channels
    if dilation * (kernel - 1) + 1 > length + 2 * padding:
        return  # the kernel does not fit
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, channels, length))
    w = r.standard_normal((2 * groups, channels // groups, kernel))
    b = r.standard_normal(2 * groups) if bias else None
    tensors = [mg.tensor(a, requires_grad=True) for a in (x, w)] + \
        ([mg.tensor(b, requires_grad=True)] if bias else [])

    def run(*args):
        return F.conv1d(args[0], args[1], args[2] if bias else None, stride, padding, dilation,
                        groups)

    np.testing.assert_allclose(run(*tensors).numpy(),
                               conv1d_loop(x, w, b, stride, padding, dilation, groups),
                               rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(run, tuple(tensors))


@pytest.mark.parametrize("kernel, dilation", [(3, 1), (4, 1), (2, 3), (5, 2)])
def test_same_padding_keeps_the_size_and_pads_the_odd_one_after(kernel, dilation):
    r = np.random.default_rng(kernel)
    x, w = r.standard_normal((1, 2, 9)), r.standard_normal((3, 2, kernel))
    total = dilation * (kernel - 1)
    x_padded = np.concatenate([np.zeros((1, 2, total // 2)), x,
                               np.zeros((1, 2, total - total // 2))], axis=2)
    expected = conv1d_loop(x_padded, w, None, 1, 0, dilation, 1)
    got = F.conv1d(mg.tensor(x), mg.tensor(w), padding="same", dilation=dilation)
    assert got.shape == (1, 3, 9)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    valid = F.conv1d(mg.tensor(x), mg.tensor(w), padding="valid", dilation=dilation)
    np.testing.assert_allclose(valid.numpy(), conv1d_loop(x, w, None, 1, 0, dilation, 1))
    x2 = mg.tensor(r.standard_normal((1, 2, 6, 7)), requires_grad=True)
    w2 = mg.tensor(r.standard_normal((3, 2, kernel, 2)), requires_grad=True)
    assert F.conv2d(x2, w2, padding="same", dilation=dilation).shape == (1, 3, 6, 7)
    assert mg.gradcheck(lambda a, b: F.conv2d(a, b, padding="same", dilation=dilation), (x2, w2))


def test_unbatched_conv1d_and_bad_arguments():
    x, w = mg.randn(4, 10), mg.randn(6, 4, 3)
    np.testing.assert_allclose(F.conv1d(x, w).numpy(), F.conv1d(x[None], w)[0].numpy())
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        F.conv1d(x, w, stride=2, padding="same")
    with pytest.raises(ValueError, match="'valid' or 'same', got 'full'"):
        F.conv1d(x, w, padding="full")
    with pytest.raises(mg.ShapeError, match=r"expected input \(N, C, L\)"):
        F.conv1d(mg.randn(1, 4, 10, 2), w)
    with pytest.raises(TypeError, match="1-tuple"):
        F.conv1d(x, w, stride=(1, 2))
    with pytest.raises(NotImplementedError, match="padding_mode='reflect'"):
        nn.Conv1d(4, 6, 3, padding_mode="reflect")


def test_conv_transpose2d_layer_is_the_adjoint_of_conv2d():
    """<conv2d(x, w), g> = <x, conv_transpose2d(g, w)> for the layer's weight."""
    mg.manual_seed(0)
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, bias=False, dtype=np.float64)
    r = np.random.default_rng(1)
    x, g = r.standard_normal((1, 2, 7, 7)), r.standard_normal((1, 3, 4, 4))
    forward = F.conv2d(mg.tensor(x), layer.weight, stride=2, padding=1).numpy()
    assert forward.shape == g.shape
    np.testing.assert_allclose((forward * g).sum(), (x * layer(mg.tensor(g)).numpy()).sum(),
                               rtol=1e-12)
    bound = 1 / np.sqrt(2 * 9)  # fan_in = out_channels / groups * kh * kw, as in PyTorch
    assert np.abs(layer.weight.numpy()).max() <= bound


# --------------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("make", [
    lambda nn_: nn_.Conv1d(4, 6, 3, stride=2, padding=1, groups=2),
    lambda nn_: nn_.Conv1d(4, 6, 4, padding="same", dilation=2, bias=False),
    lambda nn_: nn_.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1),
    lambda nn_: nn_.ConvTranspose2d(4, 6, (2, 3), groups=2, dilation=3),
    lambda nn_: nn_.Conv2d(4, 6, (3, 2), padding="same"),
])
def test_layers_match_pytorch_values_gradients_and_state_dict_names(make):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = make(torch.nn).double()
    ours = make(nn).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    one_d = isinstance(ours, nn.Conv1d)
    shape = (2, 4, 9) if one_d else (2, 4, 5, 6)
    x = np.random.default_rng(2).standard_normal(shape)
    results = []
    for lib, model in ((mg, ours), (torch, theirs)):
        inputs = lib.tensor(x, requires_grad=True)
        out = model(inputs)
        (out * out).sum().backward()
        values = [out, inputs.grad, model.weight.grad]
        results.append([v.detach().numpy() if lib is torch else v.numpy() for v in values])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)
