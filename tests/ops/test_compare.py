"""argmax/argmin, comparisons and truth tests: values against NumPy loops written
here, and against PyTorch (including ties and NaN) where it is installed."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.testing.strategies import arrays, shapes
from tests.helpers import QUICK


def first_index_of_max_along(x, axis):
    """The first maximum's index along axis, by an explicit loop over the other axes."""
    moved = np.moveaxis(x, axis, -1)
    out = np.empty(moved.shape[:-1], dtype=np.int64)
    for index in np.ndindex(out.shape):
        row = moved[index]
        best = 0
        for k in range(1, len(row)):
            if row[k] > row[best]:
                best = k
        out[index] = best
    return out


@QUICK
@given(data=st.data())
def test_argmax_along_a_dim_is_the_first_maximum(data):
    x = np.round(data.draw(arrays(shapes(min_dims=1, max_dims=3))), 0)  # many ties
    dim = data.draw(st.integers(0, x.ndim - 1))
    got = mg.tensor(x).argmax(dim=dim)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.numpy(), first_index_of_max_along(x, dim))
    kept = mg.tensor(x).argmax(dim, keepdim=True)
    assert kept.shape == tuple(1 if k == dim else n for k, n in enumerate(x.shape))


def test_argmax_without_dim_is_an_index_into_the_flat_tensor():
    x = mg.tensor([[1.0, 7.0], [7.0, 2.0]])
    assert x.argmax().item() == 1
    assert x.argmin().item() == 0
    assert mg.tensor([3, 1, 2]).argmin(axis=0).item() == 1


def test_max_along_dim_returns_values_and_indices():
    x = mg.tensor([[1.0, 5.0, 5.0], [4.0, 2.0, 6.0]], requires_grad=True)
    result = x.max(dim=1)
    values, indices = result
    assert values is result.values and indices is result.indices
    np.testing.assert_array_equal(values.numpy(), [5.0, 6.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 2])
    values.sum().backward()
    # the first maximum takes the whole gradient (PyTorch), not a share of a tie
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(mg.min(x, 0).indices.numpy(), [0, 1, 0])
    assert x.max().item() == 6.0 and x.max(axis=1).shape == (2,)


def test_max_with_a_tensor_is_the_elementwise_maximum():
    a, b = mg.tensor([1.0, 4.0]), mg.tensor([3.0, 2.0])
    np.testing.assert_array_equal(mg.max(a, b).numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(a.min(b).numpy(), [1.0, 2.0])


def test_comparisons_and_truth_tests():
    a, b = mg.tensor([1, 2, 3]), mg.tensor([3, 2, 1])
    assert a.eq(b).tolist() == [False, True, False]
    assert a.ne(b).tolist() == [True, False, True]
    assert a.lt(b).tolist() == [True, False, False] and a.ge(b).tolist() == [False, True, True]
    assert a.gt(2).tolist() == [False, False, True] and a.le(2).tolist() == [True, True, False]
    assert (a == b).any().item() and not (a == b).all().item()
    assert mg.tensor([[1, 0], [1, 1]]).all(dim=1).tolist() == [False, True]
    assert a.allclose(mg.tensor([1.0, 2.0, 3.0 + 1e-9])) is True
    assert mg.allclose(a, b) is False
    assert mg.tensor([1.0, np.nan]).isnan().tolist() == [False, True]


def test_empty_argmax_is_a_clear_error():
    with pytest.raises(ValueError, match="argmax: the tensor of shape"):
        mg.zeros(0).argmax()
    with pytest.raises(ValueError, match="max: dim 1 of the tensor of shape"):
        mg.zeros(2, 0).max(1)


@pytest.mark.parity
def test_against_pytorch_with_ties_and_nan():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 3.0, 3.0, np.nan], [2.0, 2.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    for dim in (0, 1):
        ours, theirs = mg.tensor(x).max(dim), torch.tensor(x).max(dim)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        ours, theirs = mg.tensor(x).min(dim), torch.tensor(x).min(dim)
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        np.testing.assert_array_equal(mg.tensor(x).argmax(dim).numpy(),
                                      torch.tensor(x).argmax(dim).numpy())
    finite = np.nan_to_num(x)
    ours = mg.tensor(finite, requires_grad=True)
    theirs = torch.tensor(finite, requires_grad=True)
    ours.max(1).values.sum().backward()
    theirs.max(1).values.sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
