"""norm, masked_fill, tril/triu and bmm: values and gradients against closed forms
written here, gradchecks in float64, and PyTorch where it is installed."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.testing.strategies import arrays, shapes
from tests.helpers import GRADCHECK, QUICK, rng


@pytest.mark.parametrize("p", ["fro", 1, 3, math.inf])
@GRADCHECK
@given(data=st.data())
def test_norm_gradchecks(p, data):
    x = data.draw(arrays(shapes(min_dims=1), avoid_zero=True))
    if p == math.inf:  # ties in |x| make the max not differentiable
        x = x + np.arange(x.size).reshape(x.shape) * 1e-3
    t = mg.tensor(x, requires_grad=True)
    assert mg.gradcheck(lambda v: v.norm(p), (t,))


@QUICK
@given(x=arrays(shapes(min_dims=1)))
def test_norm_values_match_the_definition(x):
    flat = x.ravel()
    assert mg.tensor(x).norm().item() == pytest.approx(math.sqrt(sum(v * v for v in flat)))
    assert mg.tensor(x).norm(1).item() == pytest.approx(sum(abs(v) for v in flat))
    assert mg.tensor(x).norm(math.inf).item() == pytest.approx(max(abs(v) for v in flat))
    if x.ndim >= 2:
        by_row = np.sqrt((x * x).sum(axis=1))
        np.testing.assert_allclose(mg.norm(mg.tensor(x), dim=1).numpy(), by_row, rtol=1e-12)


def test_norm_at_zero_has_a_zero_gradient_as_in_pytorch():
    x = mg.zeros(3, dtype=mg.float64, requires_grad=True)
    x.norm().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    assert mg.tensor([3.0, 4.0]).data.norm().item() == pytest.approx(5.0)


def test_masked_fill_and_triangles():
    x = mg.tensor(rng(0).standard_normal((3, 3)), requires_grad=True)
    mask = mg.tensor([[True, False, False]] * 3)
    y = x.masked_fill(mask, -np.inf)
    assert np.all(np.isneginf(y.numpy()[:, 0])) and np.all(y.numpy()[:, 1:] == x.numpy()[:, 1:])
    y[:, 1:].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 1]] * 3)
    lower = mg.tril(mg.ones(3, 4))
    np.testing.assert_array_equal(lower.numpy(), [[1 if j <= i else 0 for j in range(4)]
                                                  for i in range(3)])
    np.testing.assert_array_equal(mg.triu(mg.ones(3, 3), 1).numpy(),
                                  [[1 if j >= i + 1 else 0 for j in range(3)] for i in range(3)])
    with pytest.raises(mg.ShapeError, match="masked_fill: the mask must be a bool"):
        x.masked_fill(mg.tensor([1, 0, 0]), 0.0)


def test_bmm_is_a_loop_of_matrix_products():
    a, b = rng(1).standard_normal((2, 3, 4)), rng(2).standard_normal((2, 4, 5))
    expected = np.stack([a[k] @ b[k] for k in range(2)])
    np.testing.assert_allclose(mg.bmm(mg.tensor(a), mg.tensor(b)).numpy(), expected, rtol=1e-12)
    with pytest.raises(mg.ShapeError, match="bmm: expected two 3-D tensors"):
        mg.tensor(a).bmm(mg.tensor(b[0]))


def test_new_tensors_take_this_tensors_dtype():
    x = mg.zeros(2, dtype=mg.float64)
    assert x.new_zeros(3, 2).dtype == np.float64 and x.new_zeros((3, 2)).shape == (3, 2)
    assert x.new_ones(2).tolist() == [1.0, 1.0] and x.new_full((2,), 7).tolist() == [7.0, 7.0]
    assert x.new_tensor([1, 2]).dtype == np.float64
    array = np.arange(3.0)
    shared = mg.from_numpy(array)
    array[0] = 9
    assert shared.tolist() == [9.0, 1.0, 2.0] and mg.as_tensor(shared) is shared


@pytest.mark.parity
def test_against_pytorch():
    torch = pytest.importorskip("torch")
    x = rng(3).standard_normal((4, 5))
    for args in [("fro",), (1,), (3,), (math.inf,), (2, 1, True)]:
        ours = mg.tensor(x, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        ours.norm(*args).sum().backward()
        theirs.norm(*args).sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10)
    np.testing.assert_array_equal(mg.tril(mg.tensor(x), -1).numpy(),
                                  torch.tril(torch.tensor(x), -1).numpy())
    np.testing.assert_array_equal(mg.triu(mg.tensor(x), 2).numpy(),
                                  torch.triu(torch.tensor(x), 2).numpy())
    mask = x > 0
    np.testing.assert_array_equal(
        mg.tensor(x).masked_fill(mg.tensor(mask), 0.5).numpy(),
        torch.tensor(x).masked_fill(torch.tensor(mask), 0.5).numpy())
