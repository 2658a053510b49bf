"""Shape ops: gradchecks, and the fact that a linear op's gradient is its adjoint."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.ops import shape as shape_ops
from minigrad.testing.coverage import gradchecks
from minigrad.testing.strategies import arrays, broadcastable_shapes, shapes
from tests.helpers import GRADCHECK, QUICK, naive_unbroadcast, rng


def _check_adjoint(fn, x, reference_forward):
    """For a linear map L: forward equals the reference, and <L x, g> == <x, L^T g>,
    where L^T g is what backward returns."""
    t = mg.tensor(x, requires_grad=True)
    y = fn(t)
    np.testing.assert_array_equal(y.numpy(), reference_forward(x))
    g = rng(5).standard_normal(y.shape)
    y.backward(g)
    np.testing.assert_allclose(np.sum(y.numpy() * g), np.sum(x * t.grad.numpy()), rtol=1e-10,
                               atol=1e-12)


@st.composite
def reshape_case(draw):
    shape = draw(shapes())
    size = int(np.prod(shape, dtype=int))
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    first = draw(st.sampled_from(divisors))
    return draw(arrays(shape)), (first, -1)


@gradchecks(shape_ops.Reshape)
@GRADCHECK
@given(case=reshape_case())
def test_reshape(case):
    x, new_shape = case
    _check_adjoint(lambda t: t.reshape(new_shape), x, lambda a: a.reshape(new_shape))
    t = mg.tensor(x, requires_grad=True)
    assert mg.gradgradcheck(lambda v: v.reshape(*new_shape) * v.reshape(new_shape), (t,))


@gradchecks(shape_ops.Permute)
@GRADCHECK
@given(x=arrays(shapes(min_dims=1)), data=st.data())
def test_permute_and_transpose(x, data):
    axes = tuple(data.draw(st.permutations(range(x.ndim))))
    _check_adjoint(lambda t: t.permute(axes), x, lambda a: np.transpose(a, axes))
    _check_adjoint(lambda t: t.T, x, lambda a: a.T)
    t = mg.tensor(x, requires_grad=True)
    assert mg.gradcheck(lambda v: mg.permute(v, axes) ** 2, (t,))
    assert mg.gradgradcheck(lambda v: mg.permute(v, *axes) ** 2, (t,))
    if x.ndim >= 2:
        _check_adjoint(lambda v: v.transpose(0, -1), x, lambda a: np.swapaxes(a, 0, -1))


@gradchecks(shape_ops.BroadcastTo, shape_ops.SumTo)
@GRADCHECK
@given(pair=broadcastable_shapes(), data=st.data())
def test_broadcast_to_and_sum_to(pair, data):
    shape, other = pair
    target = np.broadcast_shapes(shape, other)
    x = data.draw(arrays(shape))
    _check_adjoint(lambda t: t.broadcast_to(target), x, lambda a: np.broadcast_to(a, target))
    t = mg.tensor(x, requires_grad=True)
    t.broadcast_to(target).backward(np.ones(target))
    np.testing.assert_allclose(t.grad.numpy(), naive_unbroadcast(np.ones(target), shape))
    assert mg.gradgradcheck(lambda v: mg.broadcast_to(v, target) ** 2, (t,))
    big = mg.tensor(data.draw(arrays(target)), requires_grad=True)
    summed = mg.ops.sum_to(big, shape)
    np.testing.assert_allclose(summed.numpy(), naive_unbroadcast(big.numpy(), shape), atol=1e-12)
    assert mg.gradcheck(lambda v: mg.ops.sum_to(v, shape) ** 2, (big,))


def test_expand_keeps_minus_one_axes():
    t = mg.tensor(np.arange(3.0).reshape(3, 1), requires_grad=True)
    y = t.expand(2, -1, 4)
    assert y.shape == (2, 3, 4)
    y.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.full((3, 1), 8.0))


@QUICK
@given(x=arrays(shapes(max_dims=4)))
def test_squeeze_unsqueeze_flatten(x):
    t = mg.tensor(x, requires_grad=True)
    assert t.squeeze().shape == np.squeeze(x).shape
    assert t.unsqueeze(0).shape == (1,) + x.shape
    assert t.unsqueeze(dim=-1).shape == x.shape + (1,)
    assert t.flatten().shape == (x.size,)
    if x.ndim >= 2:
        assert mg.flatten(t, 1).shape == (x.shape[0], int(np.prod(x.shape[1:])))
    _check_adjoint(lambda v: v.unsqueeze(0).squeeze(0).flatten(), x, lambda a: a.ravel())


@gradchecks(shape_ops.Concatenate)
@GRADCHECK
@given(x=arrays(shapes(min_dims=1)), data=st.data())
def test_concatenate_and_stack(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    other_shape = list(x.shape)
    other_shape[axis] = data.draw(st.integers(1, 3))
    y = data.draw(arrays(tuple(other_shape)))
    a, b = mg.tensor(x, requires_grad=True), mg.tensor(y, requires_grad=True)
    np.testing.assert_array_equal(mg.cat([a, b], dim=axis).numpy(),
                                  np.concatenate([x, y], axis=axis))
    assert mg.gradcheck(lambda p, q: mg.concatenate([p, q, p], axis=axis), (a, b))
    assert mg.gradgradcheck(lambda p, q: mg.concatenate([p * p, q], axis=axis), (a, b))
    c = mg.tensor(x * 2, requires_grad=True)
    np.testing.assert_array_equal(mg.stack([a, c], axis=axis).numpy(),
                                  np.stack([x, x * 2], axis=axis))
    assert mg.gradcheck(lambda p, q: mg.stack([p, q], dim=axis), (a, c))


@gradchecks(shape_ops.Pad)
@GRADCHECK
@given(x=arrays(shapes(min_dims=1, max_dims=3)), data=st.data())
def test_pad_both_conventions(x, data):
    widths = [(data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))) for _ in x.shape]
    torch_style = tuple(v for pair in reversed(widths) for v in pair)
    reference = np.pad(x, widths, constant_values=0.5)
    t = mg.tensor(x, requires_grad=True)
    np.testing.assert_array_equal(mg.pad(t, widths, value=0.5).numpy(), reference)
    np.testing.assert_array_equal(t.pad(torch_style, value=0.5).numpy(), reference)
    _check_adjoint(lambda v: mg.pad(v, widths), x, lambda a: np.pad(a, widths))
    assert mg.gradgradcheck(lambda v: mg.pad(v, torch_style) ** 2, (t,))


def test_pad_torch_style_pads_last_axes_first():
    t = mg.zeros(1, 2, 3)
    assert mg.pad(t, (1, 2)).shape == (1, 2, 6)
    assert mg.pad(t, (1, 1, 2, 2)).shape == (1, 6, 5)


def test_shape_errors_name_the_op():
    t = mg.zeros(2, 3)
    with pytest.raises(mg.ShapeError, match=r"reshape: cannot reshape a tensor of shape "
                                            r"\(2, 3\) \(6 elements\) into shape \(4, 2\)"):
        t.reshape(4, 2)
    with pytest.raises(mg.ShapeError, match=r"concatenate: tensor 1 has shape \(3, 3\)"):
        mg.cat([t, mg.zeros(3, 3)], axis=1)
    with pytest.raises(mg.ShapeError, match=r"broadcast_to: cannot broadcast shape \(2, 3\)"):
        t.broadcast_to((3, 3))
    with pytest.raises(mg.ShapeError, match=r"permute: axes \(0,\) are not a permutation"):
        t.permute(0)
    with pytest.raises(mg.ShapeError, match=r"stack: tensor 1 has shape"):
        mg.stack([t, mg.zeros(3, 2)])
    with pytest.raises(mg.AxisError, match=r"unsqueeze: axis 4"):
        t.unsqueeze(4)


# ----------------------------------------------------------------- misuse is named
@pytest.mark.parametrize("call, error, message", [
    (lambda t: t.permute(3, 0), mg.AxisError,
     r"permute: axis 3 is out of range for a tensor with 2 dimensions"),
    (lambda t: t.permute(1, 1), mg.AxisError, r"permute: repeated axis in \(1, 1\)"),
    (lambda t: t.permute(-1, 1), mg.AxisError, r"permute: repeated axis in \(-1, 1\)"),
    (lambda t: t.permute(1.0, 0), TypeError, r"permute: axis must be an int, got 1.0"),
    (lambda t: t.expand(-1, 2, 3), mg.ShapeError,
     r"expand: size -1 at position 0 of \(-1, 2, 3\) is not allowed in a new leading "
     r"dimension"),
    (lambda t: t.expand(2, -2), mg.ShapeError, r"expand: size -2 at position 1"),
    (lambda t: t.reshape(3, 2.5), TypeError, r"reshape: size must be an int, got 2.5"),
    (lambda t: t.pad((1.5, 1)), TypeError, r"pad: padding must be an int, got 1.5"),
    (lambda t: t.unsqueeze(True), TypeError, r"unsqueeze: axis must be an int, got True"),
])
def test_shape_misuse_names_the_op_and_the_value(call, error, message):
    """permute(3, 0) on a matrix used to wrap to (1, 0); expand(-1, ...) in a new
    leading axis used to take the size of the last axis; reshape(3, 2.5) truncated."""
    with pytest.raises(error, match=message):
        call(mg.zeros(2, 3))


def test_permute_accepts_negative_axes_and_expand_minus_one_keeps_a_size():
    x = rng(3).standard_normal((2, 3, 4))
    np.testing.assert_array_equal(mg.tensor(x).permute(-1, 0, -2).numpy(),
                                  np.transpose(x, (2, 0, 1)))
    np.testing.assert_array_equal(mg.tensor(x[:1]).expand(5, -1, 3, -1).numpy(),
                                  np.broadcast_to(x[:1], (5, 1, 3, 4)))


@pytest.mark.parity
def test_shape_misuse_is_refused_by_torch_too():
    torch = pytest.importorskip("torch")
    t = torch.zeros(2, 3)
    for call in (lambda v: v.permute(3, 0), lambda v: v.permute(1, 1),
                 lambda v: v.expand(-1, 2, 3), lambda v: v.reshape(3, 2.5)):
        with pytest.raises((RuntimeError, IndexError, TypeError)):
            call(t)
        with pytest.raises((mg.MinigradError, TypeError)):
            call(mg.zeros(2, 3))
