"""nn.RNN, nn.LSTM, nn.GRU against cells written here in NumPy, gradchecked through
time, and against PyTorch when installed (values, states and gradients)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def numpy_cell(kind, x, state, w_ih, w_hh, b_ih, b_hh):
    """One step of the textbook cell, in NumPy: x (N, I), state tuple of (N, H)."""
    pre_x, pre_h = x @ w_ih.T + b_ih, state[0] @ w_hh.T + b_hh
    size = state[0].shape[1]
    if kind == "RNN":
        return (np.tanh(pre_x + pre_h),)
    if kind == "LSTM":
        i, f, g, o = np.split(pre_x + pre_h, 4, axis=1)
        c = _sigmoid(f) * state[1] + _sigmoid(i) * np.tanh(g)
        return _sigmoid(o) * np.tanh(c), c
    r = _sigmoid(pre_x[:, :size] + pre_h[:, :size])
    z = _sigmoid(pre_x[:, size:2 * size] + pre_h[:, size:2 * size])
    n = np.tanh(pre_x[:, 2 * size:] + r * pre_h[:, 2 * size:])
    return ((1 - z) * n + z * state[0],)


def numpy_recurrent(kind, module, x):
    """The whole stacked (bi)directional layer, step by step: x (L, N, I), zero
    initial states -> output (L, N, dirs*H), final h (layers*dirs, N, H)."""
    states = 2 if kind == "LSTM" else 1
    finals = []
    for layer in range(module.num_layers):
        outputs = []
        for direction, suffix in enumerate(["", "_reverse"][:module.directions]):
            weights = [getattr(module, f"{name}_l{layer}{suffix}").numpy()
                       for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            state = tuple(np.zeros((x.shape[1], module.hidden_size)) for _ in range(states))
            steps = [None] * x.shape[0]
            for t in (reversed(range(x.shape[0])) if direction else range(x.shape[0])):
                state = numpy_cell(kind, x[t], state, *weights)
                steps[t] = state[0]
            outputs.append(np.stack(steps))
            finals.append(state[0])
        x = np.concatenate(outputs, axis=-1)
    return x, np.stack(finals)


CLASSES = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(CLASSES)), st.integers(1, 4), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.booleans(),
       st.integers(0, 2**16))
def test_matches_the_numpy_cells_step_by_step(kind, steps, batch, inputs, hidden, layers,
                                              bidirectional, seed):
    mg.manual_seed(seed)
    module = CLASSES[kind](inputs, hidden, num_layers=layers, bidirectional=bidirectional,
                           dtype=np.float64)
    x = np.random.default_rng(seed).standard_normal((steps, batch, inputs))
    output, state = module(mg.tensor(x))
    h_n = state[0] if kind == "LSTM" else state
    expected_output, expected_h = numpy_recurrent(kind, module, x)
    np.testing.assert_allclose(output.numpy(), expected_output, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h_n.numpy(), expected_h, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_gradcheck_through_time_of_input_and_initial_state(kind):
    mg.manual_seed(0)
    module = CLASSES[kind](2, 3, num_layers=2, bidirectional=True, dtype=np.float64)
    r = np.random.default_rng(1)
    x = mg.tensor(r.standard_normal((4, 2, 2)), requires_grad=True)
    h0 = mg.tensor(r.standard_normal((4, 2, 3)), requires_grad=True)
    c0 = mg.tensor(r.standard_normal((4, 2, 3)), requires_grad=True)
    if kind == "LSTM":
        assert mg.gradcheck(lambda x, h, c: module(x, (h, c))[0], (x, h0, c0))
        assert mg.gradcheck(lambda x, h, c: module(x, (h, c))[1][1], (x, h0, c0))
    else:
        assert mg.gradcheck(lambda x, h: module(x, h)[0], (x, h0))
        assert mg.gradcheck(lambda x, h: module(x, h)[1], (x, h0))


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_weight_gradients_match_central_differences(kind):
    mg.manual_seed(2)
    module = CLASSES[kind](2, 3, dtype=np.float64)
    x = mg.tensor(np.random.default_rng(3).standard_normal((5, 2, 2)))

    def loss():
        output = module(x)[0]
        return (output * output).sum()

    loss().backward()
    for parameter in (module.weight_ih_l0, module.weight_hh_l0, module.bias_hh_l0):
        values = parameter.numpy()
        for index in [(0,) * values.ndim, tuple(s - 1 for s in values.shape)]:
            saved = values[index]
            values[index] = saved + 1e-6
            up = float(loss())
            values[index] = saved - 1e-6
            down = float(loss())
            values[index] = saved
            assert parameter.grad.numpy()[index] == pytest.approx((up - down) / 2e-6,
                                                                  rel=1e-5, abs=1e-9)


def test_layouts_agree_and_dropout_acts_only_between_layers_in_training():
    mg.manual_seed(4)
    first = nn.LSTM(3, 2, num_layers=2, dropout=1.0, dtype=np.float64)
    x = np.random.default_rng(5).standard_normal((4, 2, 3))
    out_seq, (h, c) = first.eval()(mg.tensor(x))
    first.batch_first = True
    out_batch, _ = first(mg.tensor(x.transpose(1, 0, 2)))
    np.testing.assert_allclose(out_batch.numpy().transpose(1, 0, 2), out_seq.numpy())
    out_one, (h_one, _) = first(mg.tensor(x[:, 0]))  # unbatched: (L, I)
    np.testing.assert_allclose(out_one.numpy(), out_seq.numpy()[:, 0], rtol=1e-12)
    assert h_one.shape == (2, 2)
    first.train()
    dropped, _ = first(mg.tensor(x.transpose(1, 0, 2)))
    # p = 1 zeroes the second layer's input: its output no longer depends on x
    other, _ = first(mg.tensor(np.ones((2, 4, 3))))
    np.testing.assert_allclose(dropped.numpy(), other.numpy())
    first.eval()  # no dropout: the output follows the input again
    assert not np.allclose(first(mg.tensor(x.transpose(1, 0, 2)))[0].numpy(),
                           first(mg.tensor(np.ones((2, 4, 3))))[0].numpy())


def test_bad_input_and_state_are_refused_with_the_expected_shape():
    lstm = nn.LSTM(3, 2)
    with pytest.raises(ValueError, match=r"expected input \(L, N, 3\)"):
        lstm(mg.ones(4, 2, 5))
    with pytest.raises(ValueError, match=r"initial state of shape \(1, 2, 2\), got \(1, 3, 2\)"):
        lstm(mg.ones(4, 2, 3), (mg.zeros(1, 3, 2), mg.zeros(1, 3, 2)))
    with pytest.raises(ValueError, match=r"hx = \(h_0, c_0\)"):
        lstm(mg.ones(4, 2, 3), (mg.zeros(1, 2, 2),))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 2, nonlinearity="sigmoid")
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(3, 2, proj_size=1)


# --------------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("kind", sorted(CLASSES))
@pytest.mark.parametrize("options", [{}, {"num_layers": 2, "bidirectional": True},
                                     {"batch_first": True, "bias": False}])
def test_matches_pytorch_values_states_gradients_and_state_dict_names(kind, options):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = getattr(torch.nn, kind)(3, 4, **options).double()
    ours = CLASSES[kind](3, 4, dtype=np.float64, **options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    r = np.random.default_rng(6)
    x = r.standard_normal((2, 5, 3) if options.get("batch_first") else (5, 2, 3))
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    h0 = r.standard_normal((layers, 2, 4))
    results = []
    for lib, model in ((mg, ours), (torch, theirs)):
        inputs = lib.tensor(x, requires_grad=True)
        start = lib.tensor(h0, requires_grad=True)
        hx = (start, start * 0.5) if kind == "LSTM" else start
        output, state = model(inputs, hx)
        h_n = state[0] if kind == "LSTM" else state
        (output.sum() + (h_n * h_n).sum()).backward()
        values = [output, h_n, inputs.grad, start.grad, model.weight_hh_l0.grad]
        results.append([v.detach().numpy() if lib is torch else v.numpy() for v in values])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
