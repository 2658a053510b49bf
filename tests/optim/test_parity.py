"""Every optimiser against torch.optim: several parameters (one of which sometimes
gets no gradient), many steps, float64 and float32, weight decay, maximize, and
two param groups with their own options. Same argument names, same defaults."""

import inspect

import numpy as np
import pytest

import minigrad.optim as optim
from tests.optim.common import (
    assert_group_trajectories_close,
    multi_param_problem,
    run_minigrad_groups,
    run_torch_groups,
)

CASES = {
    "SGD": [dict(lr=0.05), dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
            dict(lr=0.02, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)],
    "Adam": [dict(), dict(lr=0.01, weight_decay=0.1, amsgrad=True),
             dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)],
    "AdamW": [dict(lr=0.01), dict(lr=0.01, betas=(0.5, 0.9), amsgrad=True, maximize=True)],
    "RMSprop": [dict(), dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01),
                dict(lr=0.001, alpha=0.9, eps=1e-4, maximize=True)],
    "Adagrad": [dict(lr=0.1), dict(lr=0.1, lr_decay=0.01, weight_decay=0.01,
                                   initial_accumulator_value=0.1, maximize=True)],
    "Adadelta": [dict(), dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.01),
                 dict(maximize=True, weight_decay=0.1)],
    "Adamax": [dict(), dict(lr=0.01, betas=(0.5, 0.99), eps=1e-4, weight_decay=0.01),
               dict(lr=0.05, maximize=True)],
    "NAdam": [dict(), dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.01, momentum_decay=0.01),
              dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True, maximize=True)],
    "RAdam": [dict(), dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.01),
              dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True, maximize=True)],
}
# parameter 0 alone, with its own lr and weight decay; parameters 1 and 2 on the defaults
TWO_GROUPS = [([0], {"lr": 0.003, "weight_decay": 0.02}), ([1, 2], {})]
TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-6)}


@pytest.mark.parity
@pytest.mark.parametrize("groups", [None, TWO_GROUPS], ids=["one_group", "two_groups"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name, config", [(name, config) for name, configs in CASES.items()
                                          for config in configs])
def test_trajectories_match_torch(name, config, dtype, groups):
    torch = pytest.importorskip("torch")
    inits, grads = multi_param_problem(steps=40, dtype=dtype)
    ours = run_minigrad_groups(lambda p: getattr(optim, name)(p, **config), inits, grads,
                               groups)
    theirs = run_torch_groups(lambda p: getattr(torch.optim, name)(p, **config), inits, grads,
                              groups)
    assert_group_trajectories_close(ours, theirs, **TOLERANCES[dtype])


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(CASES))
def test_signature_is_pytorchs(name):
    """Same names, defaults, order, and the same keyword-only arguments."""
    torch = pytest.importorskip("torch")

    def described(cls):
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
        return [(p.name, p.kind, p.default) for p in parameters]

    ours, theirs = described(getattr(optim, name)), described(getattr(torch.optim, name))
    assert ours == theirs


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(CASES))
def test_param_group_keys_are_pytorchs(name):
    torch = pytest.importorskip("torch")
    ours = getattr(optim, name)([_mg_param()])
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    assert set(ours.param_groups[0]) == set(theirs.param_groups[0])
    for key, value in theirs.param_groups[0].items():
        if key != "params":
            assert ours.param_groups[0][key] == value, key


def _mg_param():
    import minigrad as mg
    return mg.tensor(np.zeros(2, dtype=np.float32), requires_grad=True)


BAD_ARGUMENTS = [
    ("SGD", dict(lr=-0.1)), ("SGD", dict(lr=0.1, momentum=-0.5)),
    ("SGD", dict(lr=0.1, weight_decay=-1e-4)), ("SGD", dict(lr=0.1, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-1e-3)), ("Adam", dict(eps=-1e-8)), ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-0.1)),
    ("AdamW", dict(betas=(-0.5, 0.999))), ("AdamW", dict(weight_decay=-0.01)),
    ("RMSprop", dict(lr=-0.01)), ("RMSprop", dict(alpha=-0.5)), ("RMSprop", dict(eps=-1.0)),
    ("RMSprop", dict(momentum=-0.9)), ("RMSprop", dict(weight_decay=-1.0)),
    ("Adagrad", dict(lr=-0.1)), ("Adagrad", dict(lr_decay=-0.1)),
    ("Adagrad", dict(initial_accumulator_value=-1.0)), ("Adagrad", dict(eps=-1.0)),
    ("Adadelta", dict(lr=-1.0)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(rho=-0.1)),
    ("Adadelta", dict(eps=-1e-6)), ("Adamax", dict(betas=(0.9, 1.0))),
    ("Adamax", dict(eps=-1.0)), ("NAdam", dict(momentum_decay=-4e-3)),
    ("NAdam", dict(betas=(1.5, 0.999))), ("RAdam", dict(betas=(0.9, 1.0))),
    ("RAdam", dict(weight_decay=-1.0)),
]


@pytest.mark.parity
@pytest.mark.parametrize("name, bad", BAD_ARGUMENTS)
def test_invalid_arguments_raise_pytorchs_message_and_more(name, bad):
    """Both raise ValueError; ours carries PyTorch's message, prefixed with the
    optimiser's name and followed by the range that was expected."""
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **bad)
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([_mg_param()], **bad)
    assert str(ours.value).startswith(f"{name}: {theirs.value}")
