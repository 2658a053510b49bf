import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.optim import SGD
from minigrad.train.transfer import (
    freeze,
    param_groups,
    replace_head,
    trainable_parameters,
    unfreeze,
)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8))
        self.fc = nn.Linear(8, 3)
        self.fc2 = nn.Linear(3, 3)

    def forward(self, x):
        return self.fc2(self.fc(self.features(x)))


def test_freeze_by_prefix_stops_learning_there_only():
    net = Net()
    names = freeze(net, "fc")
    assert names == ["fc.weight", "fc.bias"]  # 'fc' does not swallow 'fc2'
    opt = SGD(trainable_parameters(net), lr=0.1)
    before = {k: v.copy() for k, v in net.state_dict().items()}
    net(mg.tensor(np.ones((2, 4), np.float32))).sum().backward()
    opt.step()
    after = net.state_dict()
    assert np.array_equal(before["fc.weight"], after["fc.weight"])
    assert not np.array_equal(before["fc2.weight"], after["fc2.weight"])
    unfreeze(net)
    assert all(p.requires_grad for p in net.parameters())
    with pytest.raises(KeyError, match="no parameter name starts with \\['head'\\]"):
        freeze(net, "head")


def test_replace_head_by_attribute_and_sequential_index():
    net = Net()
    old = replace_head(net, "fc2", nn.Linear(3, 5))
    assert old.weight.shape == (3, 3)
    assert net(mg.tensor(np.ones((2, 4), np.float32))).shape == (2, 5)
    replace_head(net, "features.2", nn.Linear(8, 8, bias=False))
    assert "features.2.bias" not in net.state_dict()


def test_param_groups_take_the_longest_prefix():
    net = Net()
    freeze(net, "features.0")
    groups = param_groups(net, {"features": 1e-4, "fc2": 1e-2}, default_lr=1e-1)
    by_lr = {g["lr"]: g["params"] for g in groups}
    assert [p.shape for p in by_lr[1e-4]] == [(8, 8), (8,)]  # features.2, frozen .0 left out
    assert len(by_lr[1e-2]) == 2 and len(by_lr[1e-1]) == 2
    opt = SGD(groups, lr=1.0)
    assert sorted(g["lr"] for g in opt.param_groups) == [1e-4, 1e-2, 1e-1]


def test_replace_head_keeps_sequential_order_and_names_missing_paths():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4))
    replace_head(seq, "0", nn.Linear(2, 3, bias=False))
    assert list(seq.state_dict()) == ["0.weight", "2.weight", "2.bias"]
    with pytest.raises(KeyError, match=r"no submodule 'head' \(at 'head', children are"):
        replace_head(seq, "head", nn.Linear(4, 2))
