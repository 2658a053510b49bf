"""The checking tools themselves, against hand-computed derivatives."""

import numpy as np
import pytest

import minigrad as mg


def test_numerical_gradient_of_a_scalar_function():
    x = np.array([1.0, -2.0, 0.5])
    grad = mg.numerical_gradient(lambda v: np.sum(v**3), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, -2.0, 0.5])  # restored


def test_numerical_gradient_with_upstream_gradient_and_tensors():
    w = mg.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    upstream = np.array([1.0, -1.0])
    grad = mg.numerical_gradient(lambda t: t.numpy() @ np.array([1.0, 1.0]), w, df=upstream)
    np.testing.assert_allclose(grad, [[1.0, 1.0], [-1.0, -1.0]], atol=1e-8)


def test_rel_error():
    assert mg.rel_error(np.array([1.0]), np.array([1.0])) == 0
    assert mg.rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    assert mg.rel_error(mg.tensor([0.0]), np.array([0.0])) == 0


def test_gradcheck_upcasts_float32_inputs_without_touching_them():
    x = mg.tensor([0.3, 0.7], requires_grad=True)
    assert mg.gradcheck(lambda v: v.tanh() * v, (x,))
    assert x.dtype == np.float32 and x.grad is None


def test_gradcheck_needs_an_input_with_requires_grad():
    with pytest.raises(ValueError, match="no input has requires_grad"):
        mg.gradcheck(lambda v: v * 2, (mg.tensor([1.0]),))


def test_gradcheck_reports_a_graph_cut_inside_backward():
    class DetachedSquare(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * mg.tensor(2 * x.numpy())  # numpy inside: not differentiable again

    x = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert mg.gradcheck(DetachedSquare.apply, (x,))
    with pytest.raises(mg.GradcheckError, match="input 0"):
        mg.gradgradcheck(DetachedSquare.apply, (x,))
