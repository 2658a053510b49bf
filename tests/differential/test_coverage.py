"""Every op in OP_REGISTRY and every public name of minigrad.nn.functional has a
differential case, or a reason here why it cannot have one. A new op without
either makes this test fail."""

import importlib
import pathlib

import pytest

import minigrad.nn.functional as F
from minigrad.autograd import OP_REGISTRY
from tests.differential.torch_or_stub import requires_torch
from tests.test_op_coverage import _import_every_package_module

pytestmark = [pytest.mark.parity, requires_torch]

FAMILIES = sorted(path.stem for path in pathlib.Path(__file__).parent.glob("test_*.py")
                  if path.stem != "test_coverage")

# name -> why no differential case compares it with PyTorch
EXEMPT = {
    "AllReduceSum": "distributed all-reduce across processes (sync batch norm); PyTorch's "
                    "counterpart needs a process group: tests/distributed covers it",
    "Checkpoint": "recomputation, not arithmetic: its value and gradients are those of the "
                  "wrapped function, which tests/utils/test_checkpoint.py checks",
}


def _covered():
    names = set()
    for family in FAMILIES:
        module = importlib.import_module(f"tests.differential.{family}")
        for case in getattr(module, "CASES", ()):
            names.update(case.covers)
        names.update(getattr(module, "COVERED_BY_PLAIN_TESTS", ()))
    return names


def test_every_op_and_functional_name_is_compared_with_torch():
    _import_every_package_module()
    required = set(OP_REGISTRY) | set(F.__all__)
    covered = _covered()
    missing = sorted(required - covered - set(EXEMPT))
    assert not missing, (f"no differential case (tests/differential) and no exemption "
                         f"(EXEMPT in {__name__}) for: {missing}")


def test_exemptions_are_current():
    _import_every_package_module()
    required = set(OP_REGISTRY) | set(F.__all__)
    stale = sorted(set(EXEMPT) - required)
    assert not stale, f"exempt names that no longer exist: {stale}"
    both = sorted(set(EXEMPT) & _covered())
    assert not both, f"exempt names that now have a case (drop the exemption): {both}"
