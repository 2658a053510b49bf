"""Tensor construction, dtype rules, NumPy interop and constructors."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.errors import AxisError, DTypeError, ShapeError


def test_python_floats_become_float32_and_ints_int64():
    assert mg.tensor([1.0, 2.0]).dtype == np.float32
    assert mg.tensor(3.5).dtype == np.float32
    assert mg.tensor([[1, 2]]).dtype == np.int64
    assert mg.tensor([1, 2], dtype=np.int64).dtype == np.int64
    assert mg.tensor([1.0], dtype=mg.float64).dtype == np.float64


def test_numpy_arrays_keep_their_dtype_and_memory():
    for dtype in (np.float32, np.float64, np.int64, np.bool_):
        array = np.zeros(3, dtype=dtype)
        assert mg.tensor(array).dtype == dtype
    array = np.zeros(3)
    assert mg.Tensor(array).numpy() is array


def test_numpy_interop():
    t = mg.tensor([1.0, 2.0])
    assert np.asarray(t).dtype == np.float32
    assert t.numpy() is t.data.numpy()
    result = np.ones(2, dtype=np.float32) + t  # defers to Tensor.__radd__
    assert isinstance(result, mg.Tensor)
    np.testing.assert_array_equal(result.numpy(), [2.0, 3.0])


def test_attributes():
    t = mg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert (t.shape, t.ndim, t.numel()) == ((2, 3), 2, 6)
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
    assert mg.eye(3).numpy().trace() == 3
    assert mg.arange(4).dtype == np.int64 and mg.arange(0, 1, 0.5).dtype == np.float32
    assert mg.zeros_like(mg.ones(2, dtype=np.float64)).dtype == np.float64
    assert mg.ones_like(np.zeros((2, 2))).shape == (2, 2)
    assert mg.randn(2, 3, requires_grad=True).requires_grad
    assert mg.rand(100).numpy().min() >= 0 and mg.rand(100).numpy().max() < 1


def test_manual_seed_makes_draws_repeatable():
    mg.manual_seed(7)
    first = mg.randn(5).numpy()
    state = mg.get_rng_state()
    after = mg.rand(3).numpy()
    mg.manual_seed(7)
    np.testing.assert_array_equal(mg.randn(5).numpy(), first)
    mg.set_rng_state(state)
    np.testing.assert_array_equal(mg.rand(3).numpy(), after)


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
    assert c.numpy() is not t.numpy() and c.requires_grad
    (c.double() * 2).sum().backward()
    assert t.grad.dtype == np.float32
    np.testing.assert_array_equal(t.grad.numpy(), [2.0, 2.0])


def test_zero_fill_copy_in_place():
    t = mg.ones(3)
    t.fill_(2.0)
    t.copy_(np.array([1.0, 2.0, 3.0]))
    assert t.tolist() == [1.0, 2.0, 3.0]
    t.zero_()
    assert t.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(mg.ShapeError, match=r"fill_|copy_"):
        t.copy_(np.zeros(4))


# ----------------------------------------------------------------- PyTorch's surface
def test_data_is_a_detached_tensor_sharing_memory():
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    data = p.data
    assert isinstance(data, mg.Tensor) and not data.requires_grad and data.grad_fn is None
    p.grad = mg.tensor([10.0, 20.0])
    p.data += -0.1 * p.grad
    np.testing.assert_allclose(p.numpy(), [0.0, 0.0], atol=1e-7)
    p.data.add_(mg.tensor([1.0, 1.0]), alpha=3)
    np.testing.assert_allclose(p.numpy(), [3.0, 3.0], atol=1e-6)
    p.data.fill_(0)
    assert p.tolist() == [0.0, 0.0]
    p.data[1] = 5
    assert p.tolist() == [0.0, 5.0]
    assert np.shares_memory(np.asarray(p), p.data.numpy())


def test_data_setter_replaces_the_values():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    w.data = mg.tensor([3.0, 4.0])
    assert w.tolist() == [3.0, 4.0] and w.requires_grad


def test_normal_and_uniform_fill_in_place_from_the_seeded_generator():
    mg.manual_seed(0)
    w = mg.zeros(20000)
    w.data.normal_(0, 0.01)
    assert abs(float(w.numpy().std()) - 0.01) < 5e-4
    assert abs(float(w.numpy().mean())) < 5e-4
    w.uniform_(-1, 3)
    assert w.numpy().min() >= -1 and w.numpy().max() < 3
    mg.manual_seed(0)
    again = mg.zeros(20000).normal_(0, 0.01)
    mg.manual_seed(0)
    np.testing.assert_array_equal(mg.zeros(20000).normal_(0, 0.01).numpy(), again.numpy())


def test_size_is_the_shape_and_numel_the_count():
    t = mg.zeros(2, 3, 4)
    assert t.size() == (2, 3, 4) and isinstance(t.size(), mg.Size)
    assert t.size(1) == 3 and t.size(-1) == 4
    assert t.numel() == t.nelement() == 24 == t.size().numel() == mg.numel(t)
    assert t.dim() == 3
    with pytest.raises(AxisError):
        t.size(3)


def test_python_data_is_inferred_as_pytorch_infers_it():
    assert mg.tensor([1, 2]).dtype == np.int64
    assert mg.tensor(3).dtype == np.int64
    assert mg.tensor([1.0, 2]).dtype == np.float32
    assert mg.tensor(2.5).dtype == np.float32
    assert mg.tensor([True, False]).dtype == np.bool_
    assert mg.tensor(np.arange(3, dtype=np.int32)).dtype == np.int32
    assert mg.tensor(np.float64(1.5)).dtype == np.float64
    with pytest.raises(DTypeError, match="complex"):
        mg.tensor([1 + 2j])
    with pytest.raises(DTypeError, match="ragged"):
        mg.tensor([[1, 2], [3]])


def test_integer_tensors_index_as_in_makemore():
    C = mg.randn(27, 2)
    X = mg.tensor([[1, 2, 3], [4, 5, 6]])
    assert C[X].shape == (2, 3, 2)
    logits = mg.randn(2, 5)
    picked = logits[mg.arange(2), mg.tensor([4, 0])]
    np.testing.assert_array_equal(picked.numpy(), logits.numpy()[[0, 1], [4, 0]])


def test_var_and_std_default_to_the_unbiased_estimate():
    x = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 9.0]])
    t = mg.tensor(x)
    np.testing.assert_allclose(t.var().item(), x.var(ddof=1))
    np.testing.assert_allclose(t.std(dim=1).numpy(), x.std(axis=1, ddof=1))
    np.testing.assert_allclose(t.var(1, False).numpy(), x.var(axis=1))  # positional unbiased
    np.testing.assert_allclose(t.var(unbiased=False).item(), x.var())
    np.testing.assert_allclose(t.var(correction=0).item(), x.var())
    np.testing.assert_allclose(t.std(ddof=0, axis=0).numpy(), x.std(axis=0))
    assert np.isnan(mg.tensor([2.0]).var().item())  # no degrees of freedom, as PyTorch
    with pytest.raises(TypeError, match="at most one of"):
        t.var(ddof=0, unbiased=True)


def test_format_prints_one_element_tensors_like_numbers():
    loss = mg.tensor(0.123456)
    assert f"{loss:.4f}" == "0.1235"
    assert f"{mg.tensor([2.5]):.1f}" == "2.5"
    assert "tensor(" in f"{mg.tensor([1.0, 2.0])}"


def test_dtype_conversions_and_to():
    x = mg.tensor([1.7, -2.2], requires_grad=True)
    assert x.long().dtype == np.int64 and x.int().dtype == np.int32
    assert x.double().dtype == np.float64 and x.bool().dtype == np.bool_
    assert x.type() == "minigrad.FloatTensor" and x.long().type() == "minigrad.LongTensor"
    y = x.to("cpu", mg.float64)
    assert y.dtype == np.float64 and y.grad_fn is not None  # a cast stays in the graph
    assert x.to(device="cpu", dtype=mg.float64).dtype == np.float64
    assert x.to(mg.zeros(1, dtype=np.float64)).dtype == np.float64
    assert x.to("cpu") is x and x.to("cpu", copy=True) is not x
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 1.0]


def test_methods_pytorch_code_uses():
    a = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    np.testing.assert_allclose(a.pow(2).numpy(), a.numpy() ** 2)
    np.testing.assert_allclose(a.mm(a).numpy(), a.numpy() @ a.numpy())
    assert a.view_as(mg.zeros(4)).shape == (4,) and a.reshape_as(mg.zeros(1, 4)).shape == (1, 4)
    assert a.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ShapeError, match="mm: both operands must be 2-D"):
        a.mm(mg.zeros(2))


def test_in_place_arithmetic_methods():
    t = mg.tensor([1.0, 2.0, 3.0])
    t.add_(1).mul_(2).sub_(mg.tensor([1.0, 1.0, 1.0]), alpha=2).div_(2)
    assert t.tolist() == [1.0, 2.0, 3.0]
    t.clamp_(1.5, 2.5)
    assert t.tolist() == [1.5, 2.0, 2.5]
    t.zero_()
    assert t.tolist() == [0.0, 0.0, 0.0]


def test_in_place_on_a_non_leaf_whose_saved_operand_is_not_needed():
    """micrograd's test_sanity_check writes `d += d * 2 + (b + a).relu()`."""
    a = mg.tensor(-4.0, requires_grad=True)
    b = mg.tensor(2.0, requires_grad=True)
    c = a + b
    d = a * b + b ** 3
    d = d + d * 2 + (b + a).relu()
    (d * c).backward()
    assert np.isfinite(a.grad.item()) and np.isfinite(b.grad.item())


def test_next_functions_are_node_index_pairs():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([3.0, 4.0])
    y = a * b
    (first, index), (second, _) = y.grad_fn.next_functions
    assert index == 0 and second is None
    assert first.name() == "AccumulateGrad" and first.variable is a
    z = (y + a).sum()
    add_node = z.grad_fn.next_functions[0][0]
    assert add_node.next_functions[0][0] is y.grad_fn


def test_one_element_integer_tensors_index_python_sequences():
    classes = ("plane", "car", "bird")
    assert classes[mg.tensor(2)] == "bird"
    assert [10, 20, 30][mg.tensor([1])] == 20
    with pytest.raises(TypeError, match="one-element integer"):
        classes[mg.tensor(1.0)]


def test_an_in_place_result_that_does_not_fit_the_dtype_is_named():
    t = mg.tensor([1, 2])
    with pytest.raises(DTypeError, match=r"__iadd__: the result has dtype float32, which "
                                         r"cannot be stored in place in a tensor of dtype int64"):
        t += 0.5
    t += 1
    assert t.tolist() == [2, 3]
