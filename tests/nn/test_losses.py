"""Loss modules equal their functions; a tiny model trains with each classification loss."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from tests.helpers import rng

X = rng(0).standard_normal((6, 4))
Y = np.array([0, 3, 1, 1, 2, 0])
T = rng(1).random((6, 4))
W = rng(2).uniform(0.5, 2, 4)

CASES = [
    (nn.CrossEntropyLoss(weight=W, label_smoothing=0.1),
     lambda x: F.cross_entropy(x, Y, weight=W, label_smoothing=0.1), Y),
    (nn.NLLLoss(reduction="sum"), lambda x: F.nll_loss(x, Y, reduction="sum"), Y),
    (nn.MSELoss(), lambda x: F.mse_loss(x, T), T),
    (nn.L1Loss(reduction="none"), lambda x: F.l1_loss(x, T, reduction="none"), T),
    (nn.SmoothL1Loss(beta=0.3), lambda x: F.smooth_l1_loss(x, T, beta=0.3), T),
    (nn.HuberLoss(delta=0.3), lambda x: F.huber_loss(x, T, delta=0.3), T),
    (nn.MultiMarginLoss(p=2, margin=0.5), lambda x: F.multi_margin_loss(x, Y, 2, 0.5), Y),
    (nn.BCEWithLogitsLoss(pos_weight=W),
     lambda x: F.binary_cross_entropy_with_logits(x, T, pos_weight=W), T),
    (nn.KLDivLoss(reduction="batchmean"), lambda x: F.kl_div(x, T, reduction="batchmean"), T),
    (nn.FocalLoss(gamma=1.5), lambda x: F.focal_loss(x, Y, gamma=1.5), Y),
]


@pytest.mark.parametrize("module, function, target", CASES,
                         ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "")
def test_module_matches_function(module, function, target):
    x = mg.tensor(X)
    np.testing.assert_array_equal(module(x, target).numpy(), function(x).numpy())
    assert "reduction=" in repr(module)


def test_bce_module_on_probabilities():
    p = mg.tensor(1 / (1 + np.exp(-X)))
    np.testing.assert_array_equal(nn.BCELoss(weight=W)(p, T).numpy(),
                                  F.binary_cross_entropy(p, T, W).numpy())


@pytest.mark.parametrize("criterion", [nn.CrossEntropyLoss(), nn.MultiMarginLoss(),
                                       nn.FocalLoss()], ids=lambda c: type(c).__name__)
def test_a_linear_classifier_fits_separable_data(criterion):
    mg.manual_seed(0)
    centres = rng(3).standard_normal((3, 2)) * 4
    labels = np.repeat(np.arange(3), 20)
    points = mg.tensor((centres[labels] + rng(4).standard_normal((60, 2)) * 0.3)
                       .astype(np.float32))
    model = nn.Linear(2, 3)
    for _ in range(200):
        model.zero_grad()
        loss = criterion(model(points), labels)
        loss.backward()
        with mg.no_grad():
            for param in model.parameters():
                param.data -= 0.2 * param.grad.numpy()
    accuracy = (model(points).numpy().argmax(1) == labels).mean()
    assert accuracy > 0.95
