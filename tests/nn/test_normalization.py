"""BatchNorm/LayerNorm/GroupNorm modules: running statistics exactly as PyTorch
(momentum, unbiased variance, cumulative average), train/eval, gradcheck in training
mode, and fold_batchnorm."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from tests.helpers import rng


def test_batchnorm_running_stats_follow_pytorch_convention():
    bn = nn.BatchNorm1d(3, momentum=0.2).double()
    batches = [rng(i).standard_normal((6, 3)) * (i + 1) + i for i in range(3)]
    mean, var = np.zeros(3), np.ones(3)
    for batch in batches:
        bn(mg.tensor(batch))
        mean = 0.8 * mean + 0.2 * batch.mean(0)
        var = 0.8 * var + 0.2 * batch.var(0, ddof=1)  # unbiased for the running estimate
    np.testing.assert_allclose(bn.running_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), var, rtol=1e-12)
    assert int(bn.num_batches_tracked.numpy()) == 3


def test_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [rng(10 + i).standard_normal((5, 2)) + i for i in range(4)]
    for batch in batches:
        bn(mg.tensor(batch))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([b.mean(0) for b in batches], 0),
                               rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(),
                               np.mean([b.var(0, ddof=1) for b in batches], 0), rtol=1e-12)


def test_train_uses_batch_stats_and_eval_uses_running_stats():
    bn = nn.BatchNorm2d(2).double()
    x = rng(1).standard_normal((4, 2, 3, 3)) * 3 + 1
    y = bn(mg.tensor(x)).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-3)
    bn.eval()
    before = bn.running_mean.numpy().copy()
    z = bn(mg.tensor(x)).numpy()
    shape = (1, 2, 1, 1)
    expected = (x - before.reshape(shape)) / np.sqrt(bn.running_var.numpy().reshape(shape) + 1e-5)
    np.testing.assert_allclose(z, expected, rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean.numpy(), before)  # eval does not update


def test_without_running_stats_eval_still_uses_the_batch():
    bn = nn.BatchNorm1d(3, track_running_stats=False, affine=False).double()
    assert list(bn.state_dict()) == [] and bn.running_mean is None
    x = rng(2).standard_normal((5, 3))
    bn.eval()
    np.testing.assert_allclose(bn(mg.tensor(x)).numpy(),
                               (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-12)


@pytest.mark.parametrize("module, shape", [
    (nn.BatchNorm1d(3), (4, 3)), (nn.BatchNorm1d(2), (3, 2, 2)),
    (nn.BatchNorm2d(2), (2, 2, 2, 2)), (nn.LayerNorm((2, 2)), (3, 2, 2)),
    (nn.GroupNorm(2, 4), (2, 4, 3)),
], ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else str(v))
def test_modules_gradcheck_in_training_mode(module, shape):
    module.double().train()
    for param in module.parameters():
        param.data = rng(3).uniform(0.5, 1.5, param.shape)
    x = mg.tensor(rng(4).standard_normal(shape), requires_grad=True)
    copies = [mg.tensor(p.numpy().copy(), requires_grad=True) for p in module.parameters()]
    assert mg.gradcheck(lambda x, *values: _with_params(module, values, x), (x, *copies))


def _with_params(module, values, x):
    """Run module with `values` (gradcheck's float64 leaves) standing in for its
    weight and bias, so that gradcheck differentiates with respect to them too."""
    originals = [module._parameters[name] for name in ("weight", "bias")]
    try:
        module._parameters["weight"], module._parameters["bias"] = values
        return module(x)
    finally:
        module._parameters["weight"], module._parameters["bias"] = originals


def test_batchnorm_errors_name_the_expected_rank():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected a \(4,\)-D input"):
        nn.BatchNorm2d(3)(mg.zeros(2, 3))
    with pytest.raises(ValueError, match="not divisible by num_groups=4"):
        nn.GroupNorm(4, 6)


def test_fold_batchnorm_into_linear_matches_eval_model():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 8),
                          nn.BatchNorm1d(8), nn.Linear(8, 3))
    for _ in range(5):  # give the running statistics non-trivial values
        model(mg.randn(16, 6) * 3 + 1)
    for bn in (model[1], model[4]):
        bn.weight.data = rng(5).uniform(0.5, 2, 8).astype(np.float32)
        bn.bias.data = rng(6).standard_normal(8).astype(np.float32)
    model.eval()
    folded = nn.fold_batchnorm(model)
    assert isinstance(folded[1], nn.Identity) and isinstance(folded[4], nn.Identity)
    assert isinstance(model[1], nn.BatchNorm1d)  # the original is untouched
    x = mg.randn(32, 6)
    np.testing.assert_allclose(folded(x).numpy(), model(x).numpy(), atol=1e-5, rtol=1e-5)
    assert folded.num_parameters() == model.num_parameters() - 32


def test_layernorm_and_groupnorm_defaults():
    ln = nn.LayerNorm(5)
    assert ln.weight.shape == (5,)
    assert np.all(ln.weight.numpy() == 1) and np.all(ln.bias.numpy() == 0)
    gn = nn.GroupNorm(2, 4, affine=False)
    assert list(gn.parameters()) == []
    x = mg.tensor(rng(7).standard_normal((3, 4, 5)))
    y = gn(x).numpy().reshape(3, 2, -1)
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-12)


@pytest.mark.parity
def test_batchnorm_module_parity_with_torch():
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm2d(3, momentum=0.3).double()
    theirs = torch.nn.BatchNorm2d(3, momentum=0.3).double()
    for seed in range(3):
        x = rng(seed).standard_normal((4, 3, 2, 5)) * 2 + seed
        np.testing.assert_allclose(ours(mg.tensor(x)).numpy(),
                                   theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ours, name).numpy(),
                                   getattr(theirs, name).numpy(), rtol=1e-12)
    ours.eval()
    theirs.eval()
    x = rng(9).standard_normal((2, 3, 2, 2))
    np.testing.assert_allclose(ours(mg.tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
