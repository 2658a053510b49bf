"""L1 / L2 / elastic-net penalties: values by explicit sums, gradients in closed form."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from tests.helpers import rng


def leaves():
    return [mg.tensor(rng(0).standard_normal((3, 4)), requires_grad=True),
            mg.tensor(rng(1).standard_normal(5), requires_grad=True)]


def test_penalty_values():
    params = leaves()
    values = [v for p in params for v in p.numpy().ravel()]
    assert nn.l1_penalty(params, 0.3).item() == pytest.approx(0.3 * sum(abs(v) for v in values))
    assert nn.l2_penalty(params, 0.3).item() == pytest.approx(0.15 * sum(v * v for v in values))
    assert nn.elastic_net_penalty(params, 0.2, 0.4).item() == pytest.approx(
        0.2 * sum(abs(v) for v in values) + 0.2 * sum(v * v for v in values))


def test_penalty_gradients_are_sign_and_weight_decay():
    params = leaves()
    nn.elastic_net_penalty(params, 0.2, 0.4).backward()
    for p in params:
        np.testing.assert_allclose(p.grad.numpy(), 0.2 * np.sign(p.numpy()) + 0.4 * p.numpy())
    assert mg.gradcheck(lambda a, b: nn.elastic_net_penalty([a, b], 0.2, 0.4), tuple(params))


def test_penalty_of_a_model_and_empty_list():
    model = nn.Linear(3, 2)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    assert nn.l2_penalty(weights).item() == pytest.approx(
        0.5 * float((model.weight.numpy().astype(np.float64) ** 2).sum()), rel=1e-5)
    with pytest.raises(ValueError, match="empty list of parameters"):
        nn.l1_penalty([])
