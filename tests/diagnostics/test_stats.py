import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.diagnostics import (
    ActivationStats,
    UpdateRatios,
    format_table,
    plot_histograms,
    saturation_fraction,
    tensor_stats,
    update_ratios,
)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.lists(st.floats(-3, 3, allow_nan=False, width=32), min_size=1, max_size=40),
       st.sampled_from(["tanh", "sigmoid", "relu"]))
def test_tensor_stats_against_loops(values, kind):
    array = np.array(values, dtype=np.float32)
    stats = tensor_stats(mg.tensor(array), "x", kind, bins=7)
    as_float = [float(v) for v in array]
    n = len(as_float)
    mean = sum(as_float) / n
    assert stats.mean == pytest.approx(mean, abs=1e-9)
    assert stats.std == pytest.approx((sum((v - mean) ** 2 for v in as_float) / n) ** 0.5,
                                      abs=1e-7)
    assert stats.frac_zero == sum(v == 0.0 for v in as_float) / n
    if kind == "tanh":
        assert stats.frac_saturated == sum(abs(v) > 0.99 for v in as_float) / n
    elif kind == "sigmoid":
        assert stats.frac_saturated == sum(v < 0.01 or v > 0.99 for v in as_float) / n
    else:
        assert stats.frac_saturated is None
    assert stats.counts.sum() == n and len(stats.edges) == 8
    assert stats.shape == (n,)


def test_saturation_bounds_are_strict():
    assert saturation_fraction([0.99, -0.99, 0.995, -1.0], "tanh") == 0.5
    assert saturation_fraction([0.01, 0.99, 0.005, 0.999], "sigmoid") == 0.5
    assert saturation_fraction([5.0], "relu") is None


def make_model():
    mg.manual_seed(3)
    return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 6), nn.ReLU(),
                         nn.Linear(6, 2))


def test_probe_records_each_activation_layer_and_its_gradient():
    model = make_model()
    probe = ActivationStats(model)
    x = mg.randn(9, 5, dtype=np.float64)
    model(x).sum().backward()
    assert list(probe.activations) == ["1", "3"]
    # independent forward in NumPy
    w0, b0 = model[0].weight.numpy(), model[0].bias.numpy()
    w2, b2 = model[2].weight.numpy(), model[2].bias.numpy()
    w4 = model[4].weight.numpy()
    h1 = np.tanh(x.numpy() @ w0.T + b0)
    h3 = np.maximum(h1 @ w2.T + b2, 0)
    assert probe.activations["1"].std == pytest.approx(h1.std(), rel=1e-6)
    assert probe.activations["3"].mean == pytest.approx(h3.mean(), rel=1e-6)
    assert probe.activations["3"].frac_zero == pytest.approx(np.mean(h3 == 0))
    assert probe.activations["1"].kind == "tanh"
    # d sum(h3 W4^T + b4) / d h3 = every row equal to the column sums of W4
    grad_h3 = np.tile(w4.sum(axis=0), (9, 1))
    assert probe.gradients["3"].mean == pytest.approx(grad_h3.mean(), rel=1e-6)
    grad_h1 = ((h1 @ w2.T + b2 > 0) * grad_h3) @ w2
    assert probe.gradients["1"].std == pytest.approx(grad_h1.std(), rel=1e-6)
    table = probe.table()
    assert "activations" in table and "gradients" in table and "tanh" in table


def test_probe_history_and_remove():
    model = make_model()
    probe = ActivationStats(model, gradients=False)
    for _ in range(3):
        with mg.no_grad():
            model(mg.randn(4, 5))
    assert len(probe.history) == 3 and probe.gradients == {}
    probe.remove()
    model(mg.randn(4, 5))
    assert len(probe.history) == 3
    assert not model[1]._forward_hooks


def test_probe_on_chosen_modules_and_error_without_any():
    model = make_model()
    with ActivationStats(model, modules=[("first", model[0])]) as probe:
        model(mg.randn(4, 5))
    assert list(probe.activations) == ["first"] and probe.activations["first"].shape == (4, 7)
    assert not model[0]._forward_hooks
    with pytest.raises(ValueError, match="ActivationStats: no layers to watch in Linear"):
        ActivationStats(nn.Linear(2, 2))


def test_update_ratio_of_plain_sgd_is_lr_grad_over_weight():
    model = make_model()
    model(mg.randn(8, 5)).sum().backward()
    expected = {name: 0.1 * np.linalg.norm(p.grad.numpy()) / np.linalg.norm(p.numpy())
                for name, p in model.named_parameters()}
    ratios = update_ratios(optim.SGD(model.parameters(), lr=0.1), model.named_parameters())
    assert ratios.keys() == expected.keys()
    for name in expected:
        assert ratios[name] == pytest.approx(expected[name], rel=1e-4)


def test_update_ratios_needs_a_snapshot():
    tracker = UpdateRatios(make_model().named_parameters())
    with pytest.raises(RuntimeError, match="call snapshot"):
        tracker.measure()


def test_histogram_rows_and_table_text():
    rows = [[tensor_stats(np.arange(10.0), f"l{i}") for i in range(3)],
            [tensor_stats(np.ones(4), "only")]]
    fig = plot_histograms(rows, row_titles=["a", "b"])
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(visible) == 4
    assert visible[0].get_ylabel() == "a"
    lines = format_table(rows[0], "title").splitlines()
    assert lines[0] == "title" and len(lines) == 5 and lines[2].startswith("l0")
