"""Graph drawing and anomaly mode."""

import os
import shutil

import numpy as np
import pytest

import minigrad as mg
from minigrad.diagnostics import draw_graph, graph_dot


def small_graph():
    w = mg.tensor(np.ones((3, 2)), requires_grad=True)
    x = mg.tensor(np.full((4, 3), 0.5))
    h = (x @ w).tanh()
    return w, (h * h).mean()


def test_text_tree_names_ops_shapes_and_grad_norms():
    w, loss = small_graph()
    loss.backward()  # the tree stays drawable after backward
    text = draw_graph(loss, names={"w": w})
    assert text.splitlines()[0] == "MulBackward -> () float64"
    assert "MatMulBackward -> (4, 2) float64" in text
    assert f"w (3, 2) float64  |grad|={np.linalg.norm(w.grad.numpy()):.4g}" in text
    assert "(shared, see above)" in text  # h is used twice


def test_dot_source_and_file_output(tmp_path):
    _, loss = small_graph()
    dot = graph_dot(loss)
    assert dot.startswith("digraph") and dot.count("->") >= 5 and "shape=box" in dot
    written = draw_graph(loss, tmp_path / "graph.svg")
    with open(written, encoding="utf-8") as handle:
        content = handle.read()
    if shutil.which("dot"):
        assert content.lstrip().startswith(("<?xml", "<svg"))
    else:
        assert written.endswith(".txt") and "TanhBackward" in content


def test_anomaly_mode_names_the_forward_op_and_creation_site():
    x = mg.tensor([1.0, -1.0], requires_grad=True)
    expected = r"(?s)Log: its forward output contains nan \(shape \(2,\)\).*test_graph_and_anomaly"
    with mg.detect_anomaly(), np.errstate(all="ignore"), pytest.raises(mg.AnomalyError,
                                                                       match=expected):
        (x * 2).log()


def test_anomaly_mode_names_the_backward_op():
    z = mg.tensor([0.0, 1.0], requires_grad=True)
    with mg.detect_anomaly(), np.errstate(all="ignore"):
        y = z.sqrt().sum()  # finite forward, infinite derivative at 0
        with pytest.raises(mg.AnomalyError, match=r"(?s)SqrtBackward.*inf.*Sqrt was created at"):
            y.backward()
    assert not mg.autograd.is_anomaly_enabled()


def test_anomaly_mode_is_off_by_default_and_silent_when_finite():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.detect_anomaly():
        (x.exp() * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]) * np.array([2.0, 3.0]))


class MakesNaN(mg.Function):
    @staticmethod
    def forward(ctx, x):
        return x * np.nan

    @staticmethod
    def backward(ctx, grad):
        return grad


def test_anomaly_mode_shows_the_line_that_applied_a_custom_op():
    x = mg.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError) as raised:
        MakesNaN.apply(x)  # the line the report must show
    report = str(raised.value)
    assert report.startswith("MakesNaN: its forward output contains nan (shape (3,))")
    assert "MakesNaN.apply(x)  # the line the report must show" in report
    assert f"{os.sep}minigrad{os.sep}autograd.py" not in report  # minigrad's frames left out


def test_anomaly_mode_is_one_switch_under_all_its_import_paths():
    from minigrad.autograd import detect_anomaly as from_autograd
    from minigrad.diagnostics.anomaly import detect_anomaly, is_anomaly_enabled

    assert mg.detect_anomaly is from_autograd is detect_anomaly is mg.diagnostics.detect_anomaly
    with from_autograd():
        assert is_anomaly_enabled() and mg.autograd.is_anomaly_enabled()
        with mg.detect_anomaly(check_nan=False):
            assert not is_anomaly_enabled()
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()
