"""SyncBatchNorm and AllReduceSum in one process (a world of one rank); the
multi-rank behaviour is checked against one large batch in test_mpi.py."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
from minigrad.distributed import (
    AllReduceSum,
    Communicator,
    SyncBatchNorm,
    all_reduce_sum,
    convert_sync_batchnorm,
)
from minigrad.testing.coverage import gradchecks
from minigrad.testing.strategies import arrays, shapes
from tests.helpers import GRADCHECK, QUICK, rng


@gradchecks(AllReduceSum)
@GRADCHECK
@given(x=arrays(shapes(0, 3)))
def test_all_reduce_sum_gradcheck_in_a_world_of_one(x):
    x = mg.tensor(x, requires_grad=True)
    assert mg.gradcheck(lambda t: all_reduce_sum(t, Communicator()) * t, [x])
    assert mg.gradgradcheck(lambda t: all_reduce_sum(t * t), [x])


def naive_batch_norm(x, gamma, beta, eps):
    """Per-channel loop with the two-pass (biased) variance."""
    x = np.asarray(x, dtype=np.float64)
    y = np.empty_like(x)
    means, variances = [], []
    for c in range(x.shape[1]):
        values = x[:, c].ravel()
        mean = values.sum() / values.size
        var = ((values - mean) ** 2).sum() / values.size
        y[:, c] = (x[:, c] - mean) / np.sqrt(var + eps) * gamma[c] + beta[c]
        means.append(mean)
        variances.append(var * values.size / (values.size - 1))
    return y, np.array(means), np.array(variances)


channel_inputs = st.sampled_from([(6, 3), (4, 2, 5), (3, 2, 3, 2)])


@QUICK
@given(shape=channel_inputs, seed=st.integers(0, 100))
def test_forward_and_running_statistics_match_the_per_channel_loop(shape, seed):
    x = rng(seed).normal(1.0, 2.0, size=shape)
    layer = SyncBatchNorm(shape[1], momentum=0.3, dtype=np.float64)
    layer.weight.data[...] = rng(seed + 1).normal(size=shape[1])
    layer.bias.data[...] = rng(seed + 2).normal(size=shape[1])
    y = layer(mg.tensor(x))
    expected, mean, unbiased_var = naive_batch_norm(x, layer.weight.numpy(), layer.bias.numpy(),
                                                    1e-5)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(layer.running_mean.numpy(), 0.3 * mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(layer.running_var.numpy(), 0.7 + 0.3 * unbiased_var, rtol=1e-9)
    assert int(layer.num_batches_tracked.numpy()) == 1
    layer.eval()  # now the running statistics normalise
    y_eval = layer(mg.tensor(x)).numpy()
    expected_eval = ((x - layer.running_mean.numpy().reshape((1, -1) + (1,) * (x.ndim - 2)))
                     / np.sqrt(layer.running_var.numpy() + 1e-5).reshape(
                         (1, -1) + (1,) * (x.ndim - 2)))
    expected_eval = expected_eval * layer.weight.numpy().reshape((1, -1) + (1,) * (x.ndim - 2)) \
        + layer.bias.numpy().reshape((1, -1) + (1,) * (x.ndim - 2))
    np.testing.assert_allclose(y_eval, expected_eval, rtol=1e-9)


@GRADCHECK
@given(shape=channel_inputs, seed=st.integers(0, 100))
def test_gradients_gradcheck_and_equal_plain_batch_norm(shape, seed):
    x = mg.tensor(rng(seed).normal(size=shape), requires_grad=True)
    layer = SyncBatchNorm(shape[1], dtype=np.float64)
    layer.weight.data[...] = rng(seed + 1).normal(size=shape[1])
    assert mg.gradcheck(lambda t, w, b: _forward_with(layer, t, w, b),
                        [x, layer.weight, layer.bias])
    plain = nn.BatchNorm2d(shape[1], dtype=np.float64) if len(shape) == 4 else \
        nn.BatchNorm1d(shape[1], dtype=np.float64)
    plain.weight.data[...] = layer.weight.numpy()
    upstream = rng(seed + 3).normal(size=shape)
    grads = [mg.grad((module(x) * mg.tensor(upstream)).sum(), [x, module.weight, module.bias])
             for module in (layer, plain)]
    for ours, reference in zip(*grads):
        np.testing.assert_allclose(ours.numpy(), reference.numpy(), rtol=1e-8, atol=1e-10)


def _forward_with(layer, x, weight, bias):
    # gradcheck passes perturbed plain Tensors; put them in place of the Parameters
    saved = dict(layer._parameters)
    layer._parameters.update(weight=weight, bias=bias)
    try:
        return layer(x)
    finally:
        layer._parameters.update(saved)


def test_float32_stays_float32():
    layer = SyncBatchNorm(3)
    x = mg.tensor(rng().normal(size=(5, 3)).astype(np.float32), requires_grad=True)
    y = layer(x)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    assert layer.running_mean.dtype == np.float32


def test_one_value_per_channel_is_an_error():
    with pytest.raises(ValueError, match=r"more than 1 value per channel over all ranks, got 1 "
                                         r"\(input shape \(1, 3\)\)"):
        SyncBatchNorm(3)(mg.tensor(np.ones((1, 3), dtype=np.float32)))


def test_convert_replaces_nested_batch_norms_and_keeps_parameters_and_state_names():
    block = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
    model = nn.Sequential(block, nn.Flatten(), nn.Linear(4, 5), nn.BatchNorm1d(5))
    before_params = list(model.parameters())
    before_state = model.state_dict()
    converted = convert_sync_batchnorm(model)
    assert converted is model
    assert isinstance(model[0][1], SyncBatchNorm) and isinstance(model[3], SyncBatchNorm)
    assert all(a is b for a, b in zip(model.parameters(), before_params))  # same objects
    assert list(model.state_dict()) == list(before_state)  # checkpoints stay compatible
    single = convert_sync_batchnorm(nn.BatchNorm1d(3))
    assert isinstance(single, SyncBatchNorm) and single.num_features == 3


def test_sync_batch_norm_in_a_world_of_one_trains_like_batch_norm():
    x = rng(1).normal(size=(8, 3, 4, 4)).astype(np.float32)
    outputs = []
    for convert in (False, True):
        mg.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        if convert:
            convert_sync_batchnorm(model)
        model(mg.tensor(x)).sum().backward()
        outputs.append((model.state_dict(), model[0].weight.grad.numpy()))
    for key in outputs[0][0]:
        np.testing.assert_allclose(outputs[1][0][key], outputs[0][0][key], rtol=1e-5,
                                   atol=1e-6)
    np.testing.assert_allclose(outputs[1][1], outputs[0][1], rtol=1e-4, atol=1e-5)
