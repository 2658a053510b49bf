"""Recurrent layers as PyTorch spells them: nn.RNN, nn.LSTM, nn.GRU.

Each is a loop over time of one cell, written in existing differentiable ops
(linear, sigmoid, tanh), so backpropagation through time is the ordinary backward
of the unrolled graph, and gradients of any order come free. For input x_t and
state h_{t-1} (c_{t-1} for the LSTM), with W_i* = weight_ih, W_h* = weight_hh:

    RNN   h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)            (or relu)
    LSTM  i, f, g, o = split4(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
          c_t = sigmoid(f) c_{t-1} + sigmoid(i) tanh(g),  h_t = sigmoid(o) tanh(c_t)
          (Hochreiter & Schmidhuber 1997; the forget gate of Gers et al. 2000)
    GRU   r, z = sigmoid(split2(W_ih[:2H] x_t + b_ih[:2H] + W_hh[:2H] h_{t-1} + b_hh[:2H]))
          n = tanh(W_in x_t + b_in + r (W_hn h_{t-1} + b_hn)),  h_t = (1 - z) n + z h_{t-1}
          (Cho et al. 2014, arXiv:1406.1078)

Parameters have PyTorch's names, shapes, gate order and initialisation
(U(-1/sqrt(H), 1/sqrt(H)) for every one), so state_dicts move between the two:
weight_ih_l{k} (G*H, I or H*dirs), weight_hh_l{k} (G*H, H), bias_ih_l{k},
bias_hh_l{k} (G*H,), with G = 1, 4, 3 and the suffix _reverse for the backward
direction of a bidirectional layer.
Shapes: input (L, N, I) ((N, L, I) with batch_first, or unbatched (L, I)), h_0 (and
c_0) (layers*dirs, N, H) -> output (L, N, dirs*H), h_n (and c_n) (layers*dirs, N, H).
"""

import math

import numpy as np

from minigrad.nn import init
from minigrad.nn.functional import dropout, linear
from minigrad.nn.module import Module, Parameter
from minigrad.ops.elementwise import relu, sigmoid, tanh
from minigrad.ops.shape import concatenate, stack
from minigrad.tensor import Tensor

__all__ = ["RNN", "LSTM", "GRU"]


def _rnn_cell(activation, x, state, w_ih, w_hh, b_ih, b_hh):
    return (activation(linear(x, w_ih, b_ih) + linear(state[0], w_hh, b_hh)),)


def _lstm_cell(x, state, w_ih, w_hh, b_ih, b_hh):
    h, c = state
    gates = linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh)
    size = h.shape[-1]
    i, f, g, o = (gates[..., k * size:(k + 1) * size] for k in range(4))
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    return sigmoid(o) * tanh(c), c


def _gru_cell(x, state, w_ih, w_hh, b_ih, b_hh):
    (h,) = state
    size = h.shape[-1]
    from_x, from_h = linear(x, w_ih, b_ih), linear(h, w_hh, b_hh)
    r = sigmoid(from_x[..., :size] + from_h[..., :size])
    z = sigmoid(from_x[..., size:2 * size] + from_h[..., size:2 * size])
    n = tanh(from_x[..., 2 * size:] + r * from_h[..., 2 * size:])
    return ((1 - z) * n + z * h,)


class _RecurrentBase(Module):
    """The loop shared by RNN, LSTM and GRU: layers, directions, batch layouts."""

    gates = 1
    states = 1  # h, or (h, c) for the LSTM

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if hidden_size < 1 or num_layers < 1:
            raise ValueError(f"{name}: hidden_size and num_layers must be positive, got "
                             f"{hidden_size} and {num_layers}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout must be in [0, 1], got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, dropout
        self.bidirectional = bidirectional
        self.directions = 2 if bidirectional else 1
        dtype = np.float32 if dtype is None else dtype
        bound = 1.0 / math.sqrt(hidden_size)
        for layer in range(num_layers):
            fan_in = input_size if layer == 0 else hidden_size * self.directions
            for suffix in self._suffixes(layer):
                shapes = {"weight_ih": (self.gates * hidden_size, fan_in),
                          "weight_hh": (self.gates * hidden_size, hidden_size)}
                if bias:
                    shapes.update(bias_ih=(self.gates * hidden_size,),
                                  bias_hh=(self.gates * hidden_size,))
                for kind, shape in shapes.items():
                    parameter = Parameter(np.empty(shape, dtype=dtype))
                    init.uniform_(parameter, -bound, bound)
                    setattr(self, kind + suffix, parameter)

    def _suffixes(self, layer):
        return [f"_l{layer}"] + ([f"_l{layer}_reverse"] if self.bidirectional else [])

    def _weights(self, suffix):
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return [getattr(self, name + suffix, None) for name in names]

    def forward(self, input, hx=None):  # noqa: A002  (PyTorch's name)
        name = type(self).__name__
        unbatched = input.ndim == 2
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input (L, N, {self.input_size}) or "
                             f"(L, {self.input_size}), got {tuple(input.shape)}")
        x = input.unsqueeze(1) if unbatched else input.transpose(0, 1) if self.batch_first \
            else input
        states = self._initial_states(hx, x.shape[1], x.dtype, unbatched)
        finals = [[] for _ in range(self.states)]
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(self._suffixes(layer)):
                index = layer * self.directions + direction
                state = tuple(s[index] for s in states)
                steps, state = self._run_direction(x, state, suffix, reverse=direction == 1)
                outputs.append(steps)
                for store, value in zip(finals, state):
                    store.append(value)
            x = outputs[0] if len(outputs) == 1 else concatenate(outputs, dim=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = dropout(x, p=self.dropout, training=True)
        output = x.squeeze(1) if unbatched else x.transpose(0, 1) if self.batch_first else x
        final = tuple(stack(store, dim=0) for store in finals)
        if unbatched:
            final = tuple(f.squeeze(1) for f in final)
        return output, (final if self.states == 2 else final[0])

    def _run_direction(self, x, state, suffix, reverse):
        """x (L, N, in) -> outputs (L, N, H) of one direction, and its final state."""
        weights = self._weights(suffix)
        times = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
        outputs = [None] * x.shape[0]
        for t in times:
            state = self.cell(x[t], state, *weights)
            outputs[t] = state[0]
        return stack(outputs, dim=0), state

    def _initial_states(self, hx, batch, dtype, unbatched):
        """The initial states as a tuple of (layers*dirs, N, H) tensors (zeros if None)."""
        name = type(self).__name__
        expected = (self.num_layers * self.directions, batch, self.hidden_size)
        if hx is None:
            return tuple(Tensor(np.zeros(expected, dtype=dtype)) for _ in range(self.states))
        given = (hx,) if self.states == 1 else tuple(hx)
        if len(given) != self.states:
            raise ValueError(f"{name}: expected hx = (h_0, c_0), got {len(given)} tensors")
        given = tuple(g.unsqueeze(1) if unbatched else g for g in given)
        for g in given:
            if tuple(g.shape) != expected:
                raise ValueError(f"{name}: expected an initial state of shape "
                                 f"{expected[:1] + expected[2:] if unbatched else expected}, "
                                 f"got {tuple(g.shape)}")
        return given

    def extra_repr(self):
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
                f"batch_first={self.batch_first}, bidirectional={self.bidirectional}")


class RNN(_RecurrentBase):
    """Elman's recurrent layer: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
    (nonlinearity="relu" for relu). See the module docstring for shapes."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh",
                 bias=True, batch_first=False, dropout=0.0, bidirectional=False,
                 device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)
        self.nonlinearity = nonlinearity

    def cell(self, *args):
        return _rnn_cell(tanh if self.nonlinearity == "tanh" else relu, *args)


class LSTM(_RecurrentBase):
    """Long short-term memory; hx and the returned state are (h, c). Gates in PyTorch's
    order i, f, g, o. See the module docstring for the cell and the shapes."""

    gates, states = 4, 2

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        if proj_size:
            raise NotImplementedError("LSTM: proj_size > 0 is not supported")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)

    def cell(self, *args):
        return _lstm_cell(*args)


class GRU(_RecurrentBase):
    """Gated recurrent unit; gates in PyTorch's order r, z, n. See the module
    docstring for the cell and the shapes."""

    gates = 3

    def cell(self, *args):
        return _gru_cell(*args)
