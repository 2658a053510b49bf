"""Tensor construction, dtype rules, NumPy interop and constructors."""

import numpy as np
import pytest

import minigrad as mg


def test_python_floats_and_lists_become_float32():
    assert mg.tensor([1.0, 2.0]).dtype == np.float32
    assert mg.tensor(3.5).dtype == np.float32
    assert mg.tensor([[1, 2]]).dtype == np.float32
    assert mg.tensor([1, 2], dtype=np.int64).dtype == np.int64
    assert mg.tensor([1.0], dtype=mg.float64).dtype == np.float64


def test_numpy_arrays_keep_their_dtype_and_memory():
    for dtype in (np.float32, np.float64, np.int64, np.bool_):
        array = np.zeros(3, dtype=dtype)
        assert mg.tensor(array).dtype == dtype
    array = np.zeros(3)
    assert mg.Tensor(array).data is array


def test_numpy_interop():
    t = mg.tensor([1.0, 2.0])
    assert np.asarray(t).dtype == np.float32
    assert t.numpy() is t.data
    result = np.ones(2, dtype=np.float32) + t  # defers to Tensor.__radd__
    assert isinstance(result, mg.Tensor)
    np.testing.assert_array_equal(result.data, [2.0, 3.0])


def test_attributes():
    t = mg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert (t.shape, t.ndim, t.size) == ((2, 3), 2, 6)
    assert t.T.shape == (3, 2) and t.is_leaf and not (t * 2).is_leaf
    assert mg.tensor([4.0]).item() == 4.0 and len(t) == 2
    assert [row.shape for row in t] == [(3,), (3,)]
    assert "requires_grad=True" in repr(t) and "grad_fn=<MulBackward>" in repr(t * 2)


def test_comparisons_return_boolean_tensors_without_grad():
    t = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = t > 1.5
    assert mask.dtype == np.bool_ and not mask.requires_grad
    assert mask.tolist() == [False, True, True]
    assert (t == t).tolist() == [True, True, True]
    assert {t: 1}[t] == 1  # tensors stay hashable by identity


def test_constructors():
    assert mg.zeros(2, 3).shape == (2, 3) and mg.zeros((2, 3)).dtype == np.float32
    assert mg.ones(2, dtype=np.float64).dtype == np.float64
    assert mg.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert mg.eye(3).data.trace() == 3
    assert mg.arange(4).dtype == np.int64 and mg.arange(0, 1, 0.5).dtype == np.float32
    assert mg.zeros_like(mg.ones(2, dtype=np.float64)).dtype == np.float64
    assert mg.ones_like(np.zeros((2, 2))).shape == (2, 2)
    assert mg.randn(2, 3, requires_grad=True).requires_grad
    assert mg.rand(100).data.min() >= 0 and mg.rand(100).data.max() < 1


def test_manual_seed_makes_draws_repeatable():
    mg.manual_seed(7)
    first = mg.randn(5).data
    state = mg.get_rng_state()
    after = mg.rand(3).data
    mg.manual_seed(7)
    np.testing.assert_array_equal(mg.randn(5).data, first)
    mg.set_rng_state(state)
    np.testing.assert_array_equal(mg.rand(3).data, after)


def test_float32_dtype_flows_through_a_small_network():
    mg.manual_seed(0)
    x = mg.randn(4, 3)
    w = mg.randn(3, 2, requires_grad=True)
    b = mg.zeros(2, requires_grad=True)
    loss = ((x @ w + b).relu().log_softmax(dim=1) * -1).mean()
    loss.backward()
    assert loss.dtype == np.float32
    assert w.grad.dtype == np.float32 and b.grad.dtype == np.float32


def test_clone_and_casts_are_differentiable():
    t = mg.tensor([1.0, 2.0], requires_grad=True)
    c = t.clone()
    assert c.data is not t.data and c.requires_grad
    (c.double() * 2).sum().backward()
    assert t.grad.dtype == np.float32
    np.testing.assert_array_equal(t.grad.data, [2.0, 2.0])


def test_zero_fill_copy_in_place():
    t = mg.ones(3)
    t.fill_(2.0)
    t.copy_(np.array([1.0, 2.0, 3.0]))
    assert t.tolist() == [1.0, 2.0, 3.0]
    t.zero_()
    assert t.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(mg.ShapeError, match=r"fill_|copy_"):
        t.copy_(np.zeros(4))
