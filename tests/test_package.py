"""The package surface: lazy subpackages and the names API.md promises."""

import subprocess
import sys

import minigrad as mg

API_NAMES = [
    "tensor", "Tensor", "grad", "backward", "no_grad", "enable_grad", "gradcheck",
    "gradgradcheck", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "clip", "maximum",
    "minimum", "where", "matmul", "sum", "mean", "max", "min", "var", "std", "logsumexp",
    "softmax", "log_softmax", "reshape", "view", "transpose", "permute", "expand",
    "broadcast_to", "squeeze", "unsqueeze", "flatten", "concatenate", "cat", "stack", "pad",
    "zeros", "ones", "full", "arange", "eye", "randn", "rand", "zeros_like", "ones_like",
    "manual_seed", "Function",
]


def test_api_names_exist():
    missing = [n for n in API_NAMES if not hasattr(mg, n)]
    assert not missing
    assert mg.autograd.Function is mg.Function


def test_subpackages_load_on_first_use_only():
    code = ("import sys, minigrad as mg; assert 'minigrad.nn' not in sys.modules; "
            "mg.nn.Linear(2, 2); mg.optim.SGD; assert 'minigrad.nn' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_unknown_attribute_raises_attribute_error():
    try:
        mg.not_a_thing  # noqa: B018
    except AttributeError as error:
        assert "not_a_thing" in str(error)
    else:
        raise AssertionError("expected AttributeError")
