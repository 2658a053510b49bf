"""Conv2d and pooling modules over the kernels issue's ops: naive loops as
references, default init with the conv fan rule, gradchecks, fold_batchnorm into
convolutions, PyTorch parity."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
from tests.helpers import GRADCHECK, rng


def naive_conv2d(x, w, b, stride, padding, groups):
    n, c_in, h, width = x.shape
    c_out, c_per_group, kh, kw = w.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    h_out = (h + 2 * padding - kh) // stride + 1
    w_out = (width + 2 * padding - kw) // stride + 1
    out = np.zeros((n, c_out, h_out, w_out))
    per_group_out = c_out // groups
    for i, o, r, c in np.ndindex(out.shape):
        g = o // per_group_out
        total = b[o] if b is not None else 0.0
        for ci in range(c_per_group):
            for u in range(kh):
                for v in range(kw):
                    total += w[o, ci, u, v] * padded[i, g * c_per_group + ci,
                                                     r * stride + u, c * stride + v]
        out[i, o, r, c] = total
    return out


def naive_pool(x, k, stride, reduce):
    n, c, h, w = x.shape
    out = np.zeros((n, c, (h - k) // stride + 1, (w - k) // stride + 1))
    for i, ch, r, col in np.ndindex(out.shape):
        out[i, ch, r, col] = reduce(x[i, ch, r * stride:r * stride + k,
                                      col * stride:col * stride + k])
    return out


@GRADCHECK
@given(data=st.data(), groups=st.sampled_from([1, 2]), stride=st.integers(1, 2),
       padding=st.integers(0, 1), bias=st.booleans())
def test_conv2d_module_matches_loop_and_gradchecks(data, groups, stride, padding, bias):
    mg.manual_seed(data.draw(st.integers(0, 100)))
    layer = nn.Conv2d(2 * groups, 2, 3 if padding else 2, stride=stride, padding=padding,
                      groups=groups, bias=bias).double()
    x = mg.tensor(rng(1).standard_normal((1, 2 * groups, 4, 4)), requires_grad=True)
    b = layer.bias.numpy() if bias else None
    np.testing.assert_allclose(layer(x).numpy(),
                               naive_conv2d(x.numpy(), layer.weight.numpy(), b, stride, padding,
                                            groups), rtol=1e-12, atol=1e-12)
    params = list(layer.parameters())
    copies = [mg.tensor(p.numpy().copy(), requires_grad=True) for p in params]

    def run(x, *values):
        saved = dict(layer._parameters)
        layer._parameters.update(zip(saved, values))
        try:
            return layer(x)
        finally:
            layer._parameters.update(saved)

    assert mg.gradcheck(run, (x, *copies))


def test_conv2d_shapes_repr_and_default_init_uses_conv_fan_in():
    mg.manual_seed(0)
    layer = nn.Conv2d(32, 64, (3, 5), groups=4)
    assert layer.weight.shape == (64, 8, 3, 5) and layer.bias.shape == (64,)
    fan_in = 8 * 3 * 5
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(layer.weight.numpy()).max() <= bound
    assert layer.weight.numpy().std() == pytest.approx(bound / math.sqrt(3), rel=0.03)
    assert np.abs(layer.bias.numpy()).max() <= bound
    assert "groups=4" in repr(layer)
    y = layer(mg.randn(2, 32, 7, 9))
    assert y.shape == (2, 64, 5, 5) and y.dtype == np.float32
    with pytest.raises(ValueError, match="must both be divisible by groups=4"):
        nn.Conv2d(6, 8, 3, groups=4)


def test_pooling_modules_match_loops():
    x = rng(2).standard_normal((2, 3, 6, 6))
    t = mg.tensor(x)
    np.testing.assert_allclose(nn.MaxPool2d(2)(t).numpy(), naive_pool(x, 2, 2, np.max))
    np.testing.assert_allclose(nn.MaxPool2d(3, stride=1)(t).numpy(), naive_pool(x, 3, 1, np.max))
    np.testing.assert_allclose(nn.AvgPool2d(2)(t).numpy(), naive_pool(x, 2, 2, np.mean),
                               rtol=1e-12)
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d(1)(t).numpy(),
                               x.mean(axis=(2, 3), keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d((3, 2))(t).numpy(),
                               x.reshape(2, 3, 3, 2, 2, 3).mean(axis=(3, 5)), rtol=1e-12)


def test_small_cnn_trains_end_to_end():
    mg.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 2))
    images = rng(3).standard_normal((16, 1, 8, 8)).astype(np.float32)
    labels = (images[:, 0, :4].mean(axis=(1, 2)) > images[:, 0, 4:].mean(axis=(1, 2)))
    labels = labels.astype(np.int64)
    x = mg.tensor(images)
    first = None
    for _ in range(30):
        model.zero_grad()
        loss = nn.CrossEntropyLoss()(model(x), labels)
        first = loss.item() if first is None else first
        loss.backward()
        with mg.no_grad():
            for param in model.parameters():
                param.data -= 0.1 * param.grad.numpy()
    assert loss.item() < 0.5 * first


def test_fold_batchnorm_into_conv_float32():
    mg.manual_seed(2)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.Conv2d(8, 8, 3, stride=2, bias=False, groups=2),
                          nn.BatchNorm2d(8))
    for _ in range(4):
        model(mg.randn(8, 3, 8, 8) * 2 + 0.5)
    for bn in (model[1], model[4]):
        bn.weight.data = rng(4).uniform(0.5, 2, 8).astype(np.float32)
        bn.bias.data = rng(5).standard_normal(8).astype(np.float32)
    model.eval()
    folded = nn.fold_batchnorm(model)
    assert isinstance(folded[1], nn.Identity) and folded[3].bias is not None
    x = mg.randn(4, 3, 8, 8)
    reference, ours = model(x).numpy(), folded(x).numpy()
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, reference, atol=1e-5, rtol=1e-5)


@pytest.mark.parity
def test_conv_and_pool_modules_parity_with_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2).double()
    theirs = torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.numpy()))
        theirs.bias.copy_(torch.tensor(ours.bias.numpy()))
    x = rng(6).standard_normal((2, 4, 7, 7))
    np.testing.assert_allclose(ours(mg.tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    pool = torch.nn.functional
    np.testing.assert_allclose(nn.MaxPool2d(3, 2, 1)(mg.tensor(x)).numpy(),
                               pool.max_pool2d(torch.tensor(x), 3, 2, 1).numpy())
    np.testing.assert_allclose(nn.AvgPool2d(2)(mg.tensor(x)).numpy(),
                               pool.avg_pool2d(torch.tensor(x), 2).numpy(), rtol=1e-12)
