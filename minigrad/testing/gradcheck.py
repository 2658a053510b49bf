"""Gradient checking: compare backward() with centred finite differences.

    df/dx_i  ~=  (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)        error O(eps^2)

`gradcheck` builds both Jacobians, column by column, in float64 and names the
first entry that disagrees. `gradgradcheck` applies the same test to the
gradient itself, which checks double backward (create_graph=True).
"""

import numpy as np

from minigrad import autograd
from minigrad.errors import GradcheckError
from minigrad.tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "numerical_gradient", "rel_error"]


def rel_error(a, b):
    """max |a - b| / max(1e-8, |a| + |b|): the number cs231n assignments print."""
    a = np.asarray(a._data if isinstance(a, Tensor) else a, dtype=np.float64)
    b = np.asarray(b._data if isinstance(b, Tensor) else b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(f, x, df=None, eps=1e-6):
    """Centred-difference gradient of f at x, changing x in place and restoring it.

    f: called as f(x); returns a scalar, or an array when `df` (the upstream
       gradient, same shape as f(x)) is given, in which case the result is
       sum(df * df(x)/dx), the vector-Jacobian product.
    x: np.ndarray or Tensor (its ._data is perturbed, so closures over x see it).
    Returns an array shaped like x.
    """
    values = x._data if isinstance(x, Tensor) else x
    grad_values = np.zeros(values.shape, dtype=np.float64)
    for index in np.ndindex(values.shape):
        original = values[index]
        values[index] = original + eps
        plus = _as_numpy(f(x))
        values[index] = original - eps
        minus = _as_numpy(f(x))
        values[index] = original
        difference = plus - minus
        if df is not None:
            difference = difference * _as_numpy(df)
        grad_values[index] = np.sum(difference) / (2 * eps)
    return grad_values


def _as_numpy(value):
    return np.asarray(value._data if isinstance(value, Tensor) else value, dtype=np.float64)


# ----------------------------------------------------------------- gradcheck
def _as_tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _float64_copies(inputs):
    """Fresh float64 leaves, so the check never touches the caller's tensors."""
    copies = []
    for value in inputs:
        if isinstance(value, Tensor) and value.dtype.kind == "f":
            copies.append(Tensor(value._data.astype(np.float64, copy=True),
                                 requires_grad=value.requires_grad))
        else:
            copies.append(value)
    return tuple(copies)


def _flat_outputs(fn, inputs):
    outputs = _as_tuple(fn(*inputs))  # not under no_grad: fn may itself call grad()
    return np.concatenate([np.asarray(o._data if isinstance(o, Tensor) else o,
                                      dtype=np.float64).ravel() for o in outputs])


def _numerical_jacobian(fn, inputs, index, eps):
    values = inputs[index]._data
    columns = []
    for position in np.ndindex(values.shape):
        original = values[position]
        values[position] = original + eps
        plus = _flat_outputs(fn, inputs)
        values[position] = original - eps
        minus = _flat_outputs(fn, inputs)
        values[position] = original
        columns.append((plus - minus) / (2 * eps))
    return np.stack(columns, axis=1) if columns else np.zeros((0, 0))


def _analytic_jacobians(outputs, checked):
    """One row per output element: the vector-Jacobian product with a one-hot vector."""
    total = sum(o.numel() for o in outputs)
    jacobians = [np.zeros((total, t.numel())) for t in checked]
    row = 0
    for output in outputs:
        for position in np.ndindex(output.shape):
            if output.requires_grad:
                one_hot = np.zeros(output.shape, dtype=output.dtype)
                one_hot[position] = 1
                grads = autograd.grad([output], checked, [one_hot], retain_graph=True,
                                      allow_unused=True)
                for jacobian, g in zip(jacobians, grads):
                    if g is not None:
                        jacobian[row] = np.asarray(g._data, dtype=np.float64).ravel()
            row += 1
    return jacobians


def _locate(outputs, row):
    for number, output in enumerate(outputs):
        if row < output.numel():
            return number, np.unravel_index(row, output.shape) if output.shape else ()
        row -= output.numel()
    raise IndexError(row)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check fn's backward against centred finite differences, in float64.

    fn: takes the inputs, returns a Tensor or a tuple of Tensors.
    inputs: a Tensor or a tuple; those with requires_grad=True are checked
            (float32 ones are checked on float64 copies).
    Passes when |analytic - numeric| <= atol + rtol * |numeric| everywhere.
    Returns True, or on failure raises GradcheckError naming the input, the
    element, both values and the relative error (returns False when
    raise_exception=False).
    """
    inputs = _float64_copies(_as_tuple(inputs))
    checked_positions = [i for i, v in enumerate(inputs)
                         if isinstance(v, Tensor) and v.requires_grad]
    if not checked_positions:
        raise ValueError("gradcheck: no input has requires_grad=True, nothing to check")
    checked = [inputs[i] for i in checked_positions]
    outputs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
    analytic = _analytic_jacobians(outputs, checked)
    for position, tensor, jacobian in zip(checked_positions, checked, analytic):
        numeric = _numerical_jacobian(fn, inputs, position, eps)
        error = np.abs(jacobian - numeric)
        bad = error > atol + rtol * np.abs(numeric)
        if bad.any():
            row, column = np.argwhere(bad)[0]
            message = _failure_message(outputs, position, tensor, row, column,
                                       jacobian[row, column], numeric[row, column])
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def _failure_message(outputs, position, tensor, row, column, analytic, numeric):
    output_number, output_index = _locate(outputs, row)
    element = tuple(int(i) for i in np.unravel_index(column, tensor.shape))
    relative = abs(analytic - numeric) / max(1e-12, abs(analytic) + abs(numeric))
    return (
        f"gradcheck failed for input {position} (shape {tensor.shape}) at element "
        f"{element}, output {output_number} element "
        f"{tuple(int(i) for i in output_index)}: analytic {analytic:.8g} vs numeric "
        f"{numeric:.8g} (abs error {abs(analytic - numeric):.3g}, relative error "
        f"{relative:.3g})"
    )


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, seed=0):
    """gradcheck of the map (inputs, v) -> v^T J(inputs): checks second derivatives.

    grad_outputs: the vectors v (one per output); random normal when omitted.
    """
    inputs = _float64_copies(_as_tuple(inputs))
    outputs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = [Tensor(rng.standard_normal(o.shape), requires_grad=True)
                        for o in outputs]
    else:
        grad_outputs = list(_float64_copies(_as_tuple(grad_outputs)))
    count = len(inputs)

    def first_derivatives(*values):
        ins, vectors = values[:count], values[count:]
        outs = [o for o in _as_tuple(fn(*ins)) if isinstance(o, Tensor)]
        checked = [v for v in ins if isinstance(v, Tensor) and v.requires_grad]
        grads = autograd.grad(outs, checked, list(vectors), create_graph=True,
                              allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + tuple(grad_outputs), eps, atol, rtol,
                     raise_exception)
