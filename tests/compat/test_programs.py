"""PyTorch teaching programs, with only their imports changed, give PyTorch's numbers.

Each program in programs/ names the public program it stands for. The check: run it
on minigrad, run the same source on PyTorch with the same random draws (see
harness.py), and compare everything it returns within float32 rounding, amplified a
little by the training steps in between. Without PyTorch, the minigrad run must
still finish and train (its losses are finite and fall).
"""

import numpy as np
import pytest

from tests.compat import harness

# program -> (relative tolerance, absolute tolerance) on float32 results
PROGRAMS = {
    "blitz_cifar_classifier": (1e-3, 1e-4),
    "cs231n_pytorch": (1e-3, 1e-4),
    "d2l_linear_regression": (1e-4, 1e-5),
    "d2l_softmax_regression": (1e-4, 1e-5),
    "examples_mnist": (1e-3, 1e-4),
    "examples_regression": (1e-3, 1e-4),  # 200 SGD steps: one CPU's BLAS rounds apart by 4e-4
    "makemore_batchnorm": (1e-3, 1e-4),
    "makemore_mlp": (2e-4, 2e-5),
    "micrograd_engine": (1e-12, 1e-12),
    "polynomial_fit": (2e-4, 1e-4),
}


def _compare(name, ours, theirs, rtol, atol):
    assert ours.keys() == theirs.keys()
    for key in ours:
        a, b = np.asarray(ours[key]), np.asarray(theirs[key])
        if a.dtype.kind in "USO" or b.dtype.kind in "USO":
            assert a.tolist() == b.tolist(), f"{name}: {key}"
        else:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{name}: {key}")


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_gives_pytorchs_numbers(name):
    pytest.importorskip("torch")
    ours, tape = harness.run_on_minigrad(name)
    theirs = harness.run_on_pytorch(name, tape)
    _compare(name, ours, theirs, *PROGRAMS[name])


def _more_ops_in_floats(a, b):
    """micrograd's test_more_ops as plain Python arithmetic: the value of g(a, b)."""
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + max(b + a, 0.0)
    d = d + 3 * d + max(b - a, 0.0)
    e = c - d
    f = e**2
    return f / 2.0 + 10.0 / f


def test_micrograd_engine_against_central_differences():
    results, _ = harness.run_on_minigrad("micrograd_engine")
    g, a_grad, b_grad = results["more_ops"]
    h = 1e-6
    assert g == pytest.approx(_more_ops_in_floats(-4.0, 2.0), rel=1e-12)
    numeric_a = (_more_ops_in_floats(-4.0 + h, 2.0) - _more_ops_in_floats(-4.0 - h, 2.0)) / (2 * h)
    numeric_b = (_more_ops_in_floats(-4.0, 2.0 + h) - _more_ops_in_floats(-4.0, 2.0 - h)) / (2 * h)
    assert a_grad == pytest.approx(numeric_a, rel=1e-6)
    assert b_grad == pytest.approx(numeric_b, rel=1e-6)


@pytest.mark.parametrize("name", sorted(name for name in PROGRAMS if name != "micrograd_engine"))
def test_program_trains_on_minigrad_alone(name):
    results, _ = harness.run_on_minigrad(name)
    losses = np.asarray(results["losses"], dtype=np.float64)
    assert np.all(np.isfinite(losses))
    third = max(1, len(losses) // 3)
    assert losses[-third:].mean() < losses[:third].mean(), f"{name} did not learn: {losses}"


def test_the_torch_source_differs_only_in_its_imports():
    for name in PROGRAMS:
        ours = harness.source_for(name, "minigrad").splitlines()
        theirs = harness.source_for(name, "torch").splitlines()
        changed = [(a, b) for a, b in zip(ours, theirs) if a != b]
        assert changed and all(a.lstrip().startswith(("import ", "from ")) for a, _ in changed)


def test_the_tape_refuses_a_draw_the_minigrad_run_did_not_make():
    tape = harness.Tape()
    tape.entries.append(("randn", (2, 3), np.zeros((2, 3), np.float32)))
    with pytest.raises(AssertionError, match=r"drew randint\(2, 3\) where the minigrad run "
                                             r"drew randn\(2, 3\)"):
        tape.take("randint", (2, 3))
    with pytest.raises(AssertionError, match="drew nothing more"):
        tape.take("randn", (2, 3))
