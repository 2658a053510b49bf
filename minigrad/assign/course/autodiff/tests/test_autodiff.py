"""Tests of assignment 1. Run them with `python -m minigrad grade .`"""

import autodiff
import numpy as np

import minigrad as mg
from minigrad.assign.checks import assert_close, assert_raises, gradcheck, task


def tensor64(shape, seed):
    values = np.random.default_rng(seed).standard_normal(shape)
    return mg.tensor(values, requires_grad=True)


# ----------------------------------------------------------------- 1.1
@task("1.1")
def test_topological_order_puts_parents_first():
    a, b = autodiff.leaf(2.0), autodiff.leaf(3.0)
    c = autodiff.mul(a, b)
    d = autodiff.add(c, a)
    order = autodiff.topological_order(d)
    assert len(order) == 4, f"topological_order: {len(order)} nodes, expected 4 (a, b, c, d)"
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)], (
                f"topological_order: {parent} comes after its child {node}")
    assert order[-1] is d, "topological_order: the root must come last"


@task("1.1")
def test_backward_accumulates_a_value_used_twice():
    x = autodiff.leaf(3.0)
    y = autodiff.add(autodiff.mul(x, x), x)           # y = x^2 + x, dy/dx = 2x + 1 = 7
    autodiff.backward(y)
    assert_close(x.grad, 7.0, "d(x*x + x)/dx at x = 3")


### BEGIN HIDDEN TESTS
@task("1.1")
def test_backward_diamond_and_tanh():
    x = autodiff.leaf(0.5)
    h = autodiff.tanh(x)
    y = autodiff.mul(h, autodiff.add(h, x))           # y = t^2 + t x, t = tanh x
    autodiff.backward(y)
    t = np.tanh(0.5)
    expected = 2 * t * (1 - t * t) + (1 - t * t) * 0.5 + t
    assert_close(x.grad, expected, "d(t*(t + x))/dx, t = tanh(x), x = 0.5")


@task("1.1")
def test_backward_deep_chain_is_not_recursive():
    x = autodiff.leaf(1.0)
    node = x
    for _ in range(5000):
        node = autodiff.mul(node, autodiff.leaf(1.0))
    autodiff.backward(node)
    assert_close(x.grad, 1.0, "gradient through a chain of 5000 multiplications by 1")


@task("1.1")
def test_backward_frees_the_graph():
    a, b = autodiff.leaf(2.0), autodiff.leaf(5.0)
    c = autodiff.mul(a, b)
    autodiff.backward(c)
    assert c.vjp is None, "backward without retain_graph must set used vjps to None"
    assert_raises(RuntimeError, autodiff.backward, c, what="a second backward of a freed graph")
    d = autodiff.mul(a, b)
    autodiff.backward(d, retain_graph=True)
    autodiff.backward(d, retain_graph=True)
    assert_close(a.grad, 5.0, "d(ab)/da after a retained second backward")
### END HIDDEN TESTS


# ----------------------------------------------------------------- 1.2
@task("1.2")
def test_sum_to_leading_and_kept_axes():
    grad = np.arange(24.0).reshape(4, 2, 3)
    assert_close(autodiff.sum_to(grad, (2, 1)), grad.sum(axis=(0, 2))[:, None],
                 "sum_to of a (4, 2, 3) gradient to shape (2, 1)")


@task("1.2")
def test_mul_gradcheck_with_broadcasting():
    gradcheck(autodiff.Mul.apply, (tensor64((3, 4), 0), tensor64((4,), 1)),
              "Mul of (3, 4) by (4,)")


### BEGIN HIDDEN TESTS
@task("1.2")
def test_sum_to_only_leading_axes():
    grad = np.ones((5, 3, 2))
    assert_close(autodiff.sum_to(grad, (3, 2)), np.full((3, 2), 5.0),
                 "sum_to of ones (5, 3, 2) to shape (3, 2)")


@task("1.2")
def test_mul_gradcheck_scalar_and_column():
    gradcheck(autodiff.Mul.apply, (tensor64((2, 1, 3), 2), tensor64((4, 1), 3)),
              "Mul of (2, 1, 3) by (4, 1)")
    gradcheck(autodiff.Mul.apply, (tensor64((), 4), tensor64((2, 3), 5)), "Mul of () by (2, 3)")
### END HIDDEN TESTS


# ----------------------------------------------------------------- 1.3
@task("1.3")
def test_matmul_forward_and_gradcheck():
    a, b = tensor64((3, 4), 6), tensor64((4, 2), 7)
    assert_close(autodiff.MatMul.apply(a, b), a.numpy() @ b.numpy(), "MatMul forward")
    gradcheck(autodiff.MatMul.apply, (a, b), "MatMul (3, 4) @ (4, 2)")


@task("1.3")
def test_sum_axis_gradcheck():
    x = tensor64((3, 4), 8)
    assert_close(autodiff.SumAxis.apply(x, 1), x.numpy().sum(axis=1), "SumAxis forward")
    gradcheck(lambda t: autodiff.SumAxis.apply(t, 1), (x,), "SumAxis over axis 1")


### BEGIN HIDDEN TESTS
@task("1.3")
def test_matmul_gradient_values():
    a, b = tensor64((2, 5), 9), tensor64((5, 3), 10)
    upstream = np.random.default_rng(11).standard_normal((2, 3))
    grad_a, grad_b = mg.grad((autodiff.MatMul.apply(a, b) * mg.tensor(upstream)).sum(), [a, b])
    assert_close(grad_a, upstream @ b.numpy().T, "MatMul dA = G B^T")
    assert_close(grad_b, a.numpy().T @ upstream, "MatMul dB = A^T G")


@task("1.3")
def test_sum_axis_negative_and_first_axis():
    x = tensor64((2, 3, 4), 12)
    gradcheck(lambda t: autodiff.SumAxis.apply(t, -1), (x,), "SumAxis over axis -1")
    gradcheck(lambda t: autodiff.SumAxis.apply(t, 0), (x,), "SumAxis over axis 0")
### END HIDDEN TESTS


# ----------------------------------------------------------------- 1.4
def log_softmax_loops(x):
    out = np.empty_like(x)
    for row in np.ndindex(x.shape[:-1]):
        m = max(x[row])
        out[row] = x[row] - (m + np.log(sum(np.exp(v - m) for v in x[row])))
    return out


@task("1.4")
def test_log_softmax_matches_loops_and_gradcheck():
    x = tensor64((3, 5), 13)
    assert_close(autodiff.LogSoftmax.apply(x), log_softmax_loops(x.numpy()), "LogSoftmax")
    gradcheck(autodiff.LogSoftmax.apply, (x,), "LogSoftmax of (3, 5)")


@task("1.4")
def test_softmax_rows_sum_to_one():
    x = np.random.default_rng(14).standard_normal((4, 6))
    assert_close(autodiff.softmax(x), np.exp(log_softmax_loops(x)), "softmax")


### BEGIN HIDDEN TESTS
@task("1.4")
def test_log_softmax_large_logits_do_not_overflow():
    x = mg.tensor(np.array([[1000.0, 1001.0, 999.0], [-1000.0, 0.0, 1000.0]]),
                  requires_grad=True)
    y = autodiff.LogSoftmax.apply(x)
    assert np.all(np.isfinite(y.numpy())), "LogSoftmax of logits near 1000 is not finite"
    assert_close(y, log_softmax_loops(x.numpy()), "LogSoftmax of logits near 1000")
    assert_close(autodiff.softmax(np.array([800.0, 800.0])), [0.5, 0.5], "softmax of [800, 800]")


@task("1.4")
def test_log_softmax_gradcheck_3d():
    gradcheck(autodiff.LogSoftmax.apply, (tensor64((2, 3, 4), 15),), "LogSoftmax of (2, 3, 4)")
### END HIDDEN TESTS


# ----------------------------------------------------------------- 1.5
@task("1.5")
def test_numerical_gradient_of_a_cubic():
    x = np.array([0.5, -1.0, 2.0])
    grad = autodiff.numerical_gradient(lambda v: float(np.sum(v ** 3)), x, eps=1e-4)
    assert_close(grad, 3 * x ** 2, "numerical gradient of sum(x^3)", rtol=1e-6)
    assert_close(x, [0.5, -1.0, 2.0], "x after numerical_gradient (it must be restored)")


@task("1.5")
def test_check_gradient_accepts_a_correct_op():
    error = autodiff.check_gradient(lambda a, b: a * b, [tensor64((2, 3), 16),
                                                        tensor64((2, 3), 17)])
    assert error < 1e-6, f"check_gradient of minigrad's own a * b: relative error {error:.3g}"


### BEGIN HIDDEN TESTS
class _WrongSquare(mg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x          # missing the factor 2


@task("1.5")
def test_check_gradient_catches_a_wrong_backward():
    error = autodiff.check_gradient(_WrongSquare.apply, [tensor64((4,), 18)])
    assert error > 0.1, f"check_gradient of x^2 with backward g*x (not 2gx): {error:.3g}"


@task("1.5")
def test_numerical_gradient_is_centred():
    x = np.array([1.0])
    grad = autodiff.numerical_gradient(lambda v: float(np.exp(v[0])), x, eps=1e-3)
    assert abs(grad[0] - np.e) < 1e-5, (
        f"numerical gradient of exp at 1 with eps 1e-3: {grad[0]:.8f}, expected e = "
        f"{np.e:.8f} within 1e-5 (a centred difference is that accurate; a one-sided is not)")
### END HIDDEN TESTS
