"""BasicBlock (shapes, shortcut, zero-init, folding) and stochastic depth."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from tests.helpers import rng


def test_stochastic_depth_drops_whole_rows_and_is_identity_in_eval():
    mg.manual_seed(0)
    x = mg.ones(2000, 3, 2)
    y = nn.stochastic_depth(x, 0.25).numpy()
    per_row = y.reshape(2000, -1)
    assert np.all((per_row == 0).all(1) | (per_row == 1 / 0.75).all(1))
    assert (per_row[:, 0] == 0).mean() == pytest.approx(0.25, abs=0.03)
    layer = nn.StochasticDepth(0.5, mode="batch")
    batch = layer(x).numpy()
    assert np.all(batch == 0) or np.all(batch == 2.0)
    layer.eval()
    assert layer(x) is x
    with pytest.raises(ValueError, match="mode must be 'row' or 'batch'"):
        nn.stochastic_depth(x, 0.5, mode="col")


def test_basic_block_shapes_and_shortcut():
    mg.manual_seed(1)
    same = nn.BasicBlock(4, 4)
    assert isinstance(same.shortcut, nn.Identity)
    assert same(mg.randn(2, 4, 6, 6)).shape == (2, 4, 6, 6)
    down = nn.BasicBlock(4, 8, stride=2)
    assert isinstance(down.shortcut, nn.Sequential)
    assert down(mg.randn(2, 4, 6, 6)).shape == (2, 8, 3, 3)


@pytest.mark.parametrize("zero_init", ["bn", "conv"])
def test_zero_init_makes_the_block_start_as_relu_of_its_input(zero_init):
    mg.manual_seed(2)
    block = nn.BasicBlock(3, 3, zero_init=zero_init)
    x = mg.randn(2, 3, 5, 5)
    np.testing.assert_allclose(block(x).numpy(), np.maximum(x.numpy(), 0), atol=1e-6)


def test_basic_block_gradcheck_in_training_mode():
    mg.manual_seed(3)
    block = nn.BasicBlock(2, 3, stride=2).double()
    x = mg.tensor(rng(4).standard_normal((2, 2, 4, 4)), requires_grad=True)
    assert mg.gradcheck(block, (x,))


def test_fold_batchnorm_folds_inside_basic_blocks():
    mg.manual_seed(5)
    model = nn.Sequential(nn.BasicBlock(3, 4, stride=2), nn.BasicBlock(4, 4, drop_prob=0.2))
    for _ in range(3):
        model(mg.randn(6, 3, 8, 8))
    model.eval()
    folded = nn.fold_batchnorm(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    x = mg.randn(2, 3, 8, 8)
    np.testing.assert_allclose(folded(x).numpy(), model(x).numpy(), atol=1e-5, rtol=1e-5)


def test_stochastic_depth_gradcheck_with_a_fixed_mask():
    x = mg.tensor(rng(6).standard_normal((4, 2, 3)), requires_grad=True)

    def fixed_mask(v):
        mg.manual_seed(9)
        return nn.stochastic_depth(v, 0.5)

    assert mg.gradcheck(fixed_mask, (x,))
