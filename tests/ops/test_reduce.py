"""Reductions and the softmax family: gradchecks and closed-form references."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.ops import reduce
from minigrad.testing.coverage import gradchecks
from minigrad.testing.strategies import arrays, axes_for, shapes
from tests.helpers import GRADCHECK, QUICK, rng


def _distinct(shape, seed=0):
    """Values with no ties (max/min are differentiable there)."""
    size = int(np.prod(shape, dtype=int))
    return (rng(seed).permutation(size) * 0.37 - size * 0.15).reshape(shape)


@st.composite
def array_and_axis(draw, min_dims=0):
    shape = draw(shapes(min_dims=min_dims))
    return draw(arrays(shape)), draw(axes_for(shape)), draw(st.booleans())


REDUCTIONS = {
    "sum": (mg.sum, np.sum),
    "mean": (mg.mean, np.mean),
    "max": (mg.max, np.max),
    "min": (mg.min, np.min),
    "logsumexp": (mg.logsumexp,
                  lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis,
                                                          keepdims=keepdims))),
}


@gradchecks(reduce.Sum, reduce.Max, reduce.Min)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@GRADCHECK
@given(case=array_and_axis())
def test_reduction_gradchecks(name, case):
    x, axis, keepdims = case
    if name in ("max", "min"):
        x = _distinct(x.shape)
    fn, _ = REDUCTIONS[name]
    t = mg.tensor(x, requires_grad=True)
    assert mg.gradcheck(lambda v: fn(v, axis=axis, keepdims=keepdims), (t,))
    assert mg.gradgradcheck(lambda v: fn(v, axis=axis, keepdims=keepdims), (t,))


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@QUICK
@given(case=array_and_axis())
def test_reduction_values_match_numpy(name, case):
    x, axis, keepdims = case
    fn, reference = REDUCTIONS[name]
    result = fn(mg.tensor(x), axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(result.numpy(), reference(x, axis=axis, keepdims=keepdims),
                               rtol=1e-12, atol=1e-12)


@QUICK
@given(case=array_and_axis(min_dims=1))
def test_gradient_formulas(case):
    x, axis, _ = case
    size = x.size if axis is None else int(np.prod([x.shape[a] for a in np.atleast_1d(axis)]))
    t = mg.tensor(x, requires_grad=True)
    mg.mean(t, axis=axis).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), np.full(x.shape, 1 / size))
    t.grad = None
    mg.logsumexp(t, axis=axis).sum().backward()  # d logsumexp = softmax
    e = np.exp(x - x.max())
    softmax = e / e.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(t.grad.numpy(), softmax, rtol=1e-10)


def test_max_gradient_goes_to_argmax_and_ties_split():
    x = mg.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 2.0]], dtype=np.float64, requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5], [1, 0, 0]])


@pytest.mark.parametrize("ddof", [0, 1])
@GRADCHECK
@given(case=array_and_axis(min_dims=1))
def test_var_std(ddof, case):
    x, axis, keepdims = case
    count = x.size if axis is None else int(np.prod([x.shape[a] for a in np.atleast_1d(axis)]))
    if count <= 1:  # one element: zero spread, std has no derivative
        return
    x = x + _distinct(x.shape) * 0.1  # std is not differentiable at zero spread
    t = mg.tensor(x, requires_grad=True)
    np.testing.assert_allclose(mg.var(t, axis=axis, ddof=ddof, keepdims=keepdims).numpy(),
                               np.var(x, axis=axis, ddof=ddof, keepdims=keepdims), atol=1e-12)
    np.testing.assert_allclose(t.std(axis=axis, ddof=ddof).numpy(),
                               np.std(x, axis=axis, ddof=ddof), atol=1e-12)
    assert mg.gradcheck(lambda v: mg.var(v, axis=axis, ddof=ddof), (t,))
    assert mg.gradgradcheck(lambda v: mg.std(v, axis=axis, ddof=ddof), (t,))
    mg.var(t, axis=axis, ddof=ddof, keepdims=True).sum().backward()
    mean = x.mean(axis=axis, keepdims=True)
    np.testing.assert_allclose(t.grad.numpy(), 2 * (x - mean) / (count - ddof), atol=1e-10)


def test_torch_spellings_dim_keepdim_unbiased():
    x = rng().standard_normal((3, 4))
    t = mg.tensor(x)
    np.testing.assert_allclose(t.sum(dim=1, keepdim=True).numpy(), x.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(t.var(dim=0, unbiased=True).numpy(), x.var(axis=0, ddof=1))
    np.testing.assert_allclose(t.std(unbiased=False).numpy(), x.std())
    np.testing.assert_allclose(mg.softmax(t, dim=0).numpy().sum(axis=0), np.ones(4))


@GRADCHECK
@given(x=arrays(shapes(min_dims=1)), data=st.data())
def test_softmax_family(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    t = mg.tensor(x, requires_grad=True)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    reference = e / e.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(mg.softmax(t, axis=axis).numpy(), reference, rtol=1e-12)
    np.testing.assert_allclose(mg.log_softmax(t, axis).numpy(), np.log(reference), atol=1e-12)
    assert mg.gradcheck(lambda v: mg.softmax(v, axis=axis), (t,))
    assert mg.gradgradcheck(lambda v: mg.log_softmax(v, axis=axis), (t,))
    upstream = rng(4).standard_normal(x.shape)
    mg.softmax(t, axis=axis).backward(upstream)
    expected = reference * (upstream - (upstream * reference).sum(axis=axis, keepdims=True))
    np.testing.assert_allclose(t.grad.numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_family_is_stable_at_huge_logits(dtype):
    x = mg.tensor(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype),
                  requires_grad=True)
    for fn in (mg.softmax, mg.log_softmax, lambda v, axis: mg.logsumexp(v, axis=axis)):
        y = fn(x, axis=1)
        assert y.dtype == dtype and np.all(np.isfinite(y.numpy()))
        x.grad = None
        (y * mg.tensor(np.ones(y.shape, dtype=dtype))).sum().backward()
        assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(mg.logsumexp(x, axis=1).numpy(), [1e4, -1e4 + np.log(3)])


def test_axis_errors_name_op_and_shape():
    t = mg.zeros(2, 3)
    with pytest.raises(mg.AxisError, match=r"sum: axis 2 is out of range for a tensor of "
                                           r"shape \(2, 3\)"):
        t.sum(axis=2)
    with pytest.raises(IndexError, match=r"softmax|log_softmax"):
        t.softmax(dim=-3)
    with pytest.raises(ValueError, match=r"mean: repeated axis"):
        t.mean(axis=(0, 0))


# ----------------------------------------------------------------- precision at large logits
@pytest.mark.parametrize("dtype,big", [(np.float64, 1e30), (np.float32, 1e4), (np.float32, 1e30)])
def test_softmax_of_equal_huge_logits_is_uniform(dtype, big):
    """softmax([b, b]) = [1/2, 1/2] whatever b: x - (m + log 2) rounds to 0 when
    b >> log 2 and gave [1, 1] (float32 1e4: 0.49989); (x - m) - log 2 does not."""
    x = mg.tensor(np.array([[big, big], [big, -big]], dtype=dtype))
    np.testing.assert_allclose(mg.softmax(x, axis=1).numpy(), [[0.5, 0.5], [1.0, 0.0]],
                               rtol=1e-6)
    np.testing.assert_allclose(mg.log_softmax(x, axis=1).numpy()[0], [-np.log(2)] * 2,
                               rtol=1e-6)
    np.testing.assert_allclose(mg.logsumexp(x, axis=1).numpy(),
                               [big + np.log(2), big], rtol=1e-6)


@pytest.mark.parity
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_family_at_large_logits_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    x = np.array([[1e6, 1e6, 0.0], [3e4, 3e4 + 1, -2e4], [1.5, -0.5, 2.0]], dtype=dtype)
    for ours, theirs in ((mg.softmax, torch.softmax), (mg.log_softmax, torch.log_softmax),
                         (lambda v, axis: mg.logsumexp(v, axis=axis), torch.logsumexp)):
        np.testing.assert_allclose(ours(mg.tensor(x), axis=1).numpy(),
                                   theirs(torch.from_numpy(x), 1).numpy(), rtol=1e-6)


# ----------------------------------------------------------------- std at zero spread
def test_std_of_a_constant_slice_has_zero_gradient_as_torch():
    """PyTorch masks std's gradient to 0 where std = 0 (sqrt' would be 1/0 there and
    0/0 after the chain rule); the other slices keep (x - mean) / ((n - ddof) std)."""
    x = mg.tensor(np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]), requires_grad=True)
    s = x.std(axis=1, ddof=1)
    np.testing.assert_allclose(s.numpy(), [0.0, np.std([1, 2, 4], ddof=1)])
    s.sum().backward()
    row = np.array([1.0, 2.0, 4.0])
    expected = (row - row.mean()) / (2 * np.std(row, ddof=1))
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.0, 0.0], expected], rtol=1e-12)
    (second,) = mg.grad(mg.std(x, ddof=0, axis=1).sum(), [x], create_graph=True)
    assert np.all(np.isfinite(second.numpy()))


@pytest.mark.parity
def test_std_gradient_at_zero_spread_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[5.0, 5.0], [1.0, 3.0]])
    ours = mg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    ours.std(axis=1, ddof=1).sum().backward()
    theirs.std(dim=1).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


# ----------------------------------------------------------------- misuse and empty tensors
@pytest.mark.parametrize("call, message", [
    (lambda t: t.sum(axis=1.5), r"sum: axis must be an int, got 1.5"),
    (lambda t: t.mean(axis=(0, 1.0)), r"mean: axis must be an int, got 1.0"),
    (lambda t: t.max(axis=True), r"max: axis must be an int, got True"),
    (lambda t: t.softmax(dim=0.5), r"log_softmax: axis must be an int, got 0.5"),
])
def test_non_integer_axes_are_a_type_error_naming_the_op(call, message):
    with pytest.raises(TypeError, match=message):
        call(mg.zeros(2, 3))


def test_empty_tensors_reduce_as_in_pytorch():
    """sum over an empty axis is 0, mean nan (no warning), logsumexp -inf; max over an
    empty axis is an error naming it, but over a non-empty axis of an empty tensor
    the result is simply empty."""
    empty = mg.tensor(np.zeros((0, 3), dtype=np.float32))
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(empty.sum(axis=0).numpy(), [0.0, 0.0, 0.0])
        assert np.isnan(empty.mean().item())
        assert np.isnan(empty.mean(axis=0).numpy()).all()
        np.testing.assert_array_equal(empty.logsumexp(axis=0).numpy(), [-np.inf] * 3)
        assert empty.max(axis=1).shape == (0,)
    for call in (lambda: empty.max(), lambda: empty.min(axis=0)):
        with pytest.raises(mg.ShapeError, match=r"(max|min): axis 0 of the tensor of shape "
                                                r"\(0, 3\) is empty"):
            call()


def test_a_0d_tensor_reduces_over_axis_0_or_minus_1():
    """PyTorch: x.sum(0) of a scalar is the scalar (and so are mean, max, softmax 1)."""
    x = mg.tensor(np.array(3.0), requires_grad=True)
    for fn in (lambda v: v.sum(0), lambda v: v.mean(-1), lambda v: v.max(0).values,
               lambda v: mg.logsumexp(v, axis=0)):
        assert fn(x).shape == () and fn(x).item() == 3.0
    assert x.softmax(0).item() == 1.0 and x.log_softmax(-1).item() == 0.0
    x.sum(0).backward()
    assert x.grad.item() == 1.0
    with pytest.raises(mg.AxisError, match=r"sum: axis 1 is out of range for a tensor of "
                                           r"shape \(\)"):
        x.sum(1)


@pytest.mark.parity
def test_empty_and_0d_reductions_match_torch():
    torch = pytest.importorskip("torch")
    empty = np.zeros((0, 3))
    scalar = np.array(3.0)
    cases = [
        (empty, lambda v: v.sum(0), lambda v: v.sum(0)),
        (empty, lambda v: v.mean(), lambda v: v.mean()),
        (empty, lambda v: v.mean(0), lambda v: v.mean(0)),
        (empty, lambda v: mg.logsumexp(v, axis=0), lambda v: v.logsumexp(0)),
        (empty, lambda v: v.max(axis=1), lambda v: v.amax(1)),
        (empty, lambda v: v.softmax(1), lambda v: v.softmax(1)),
        (scalar, lambda v: v.sum(0), lambda v: v.sum(0)),
        (scalar, lambda v: v.max(-1).values, lambda v: v.max(-1).values),
        (scalar, lambda v: v.amax(-1), lambda v: v.amax(-1)),
        (scalar, lambda v: v.log_softmax(0), lambda v: v.log_softmax(0)),
    ]
    for array, ours, theirs in cases:
        expected = theirs(torch.from_numpy(array)).numpy()
        result = ours(mg.tensor(array)).numpy()
        assert result.shape == expected.shape
        np.testing.assert_array_equal(result, expected)
    with pytest.raises(IndexError):
        torch.zeros(0, 3).amax(0)
