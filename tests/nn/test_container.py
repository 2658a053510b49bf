"""Sequential, ModuleList, ModuleDict: chaining, naming, indexing."""

from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn


def test_sequential_chains_and_names_children():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = mg.randn(5, 3)
    expected = model[2](model[1](model[0](x)))
    np.testing.assert_array_equal(model(x).numpy(), expected.numpy())
    assert len(model) == 3
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                         "2.bias"]
    head = model[1:]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[1] is model[2]


def test_sequential_with_names_and_append():
    model = nn.Sequential(OrderedDict(fc=nn.Linear(2, 2), act=nn.Tanh()))
    model.append(nn.Linear(2, 1))
    assert [n for n, _ in model.named_children()] == ["fc", "act", "2"]
    assert model.fc is model[0]


def test_module_list_and_dict_register_parameters():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(list(layers.parameters())) == 6 and len(layers) == 3
    assert isinstance(layers[:2], nn.ModuleList)
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    heads["c"] = nn.Identity()
    assert "c" in heads and list(heads.keys()) == ["a", "b", "c"]
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight",
                                                        "b.bias"]
    with pytest.raises(NotImplementedError, match="iterate over it"):
        layers(mg.zeros(1, 2))
