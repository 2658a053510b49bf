"""The backward walk: accumulation, graph freeing, hooks, grad mode, in-place detection,
higher-order gradients and custom Functions."""

import weakref

import numpy as np
import pytest

import minigrad as mg
from tests.helpers import rng


def leaf(values, dtype=np.float64):
    return mg.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_grads_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 7.0])


def test_shared_subexpression_gets_both_paths():
    x = leaf([3.0])
    y = x * x
    z = y * x + y  # x^3 + x^2
    z.backward(np.ones(1))
    np.testing.assert_allclose(x.grad.numpy(), [3 * 9 + 2 * 3])


def test_grads_of_distinct_leaves_do_not_alias():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.data *= 10  # what an in-place gradient clipper does
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_a_20000_op_chain_has_no_recursion_error():
    x = leaf([1.0])
    y = x
    for _ in range(20000):
        y = y * 1.0001
    y.backward(np.ones(1))
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**20000], rtol=1e-9)


def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    loss = (x.exp() * x).sum()
    loss.backward()
    with pytest.raises(mg.GraphError, match="backward through the graph a second time.*"
                                            "retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_non_scalar_backward_needs_a_gradient():
    x = leaf(np.ones((2, 3)))
    with pytest.raises(mg.GraphError, match=r"only for scalar outputs.*shape \(2, 3\)"):
        (x * 2).backward()
    with pytest.raises(mg.GraphError, match=r"gradient has shape \(3,\) but the output has "
                                            r"shape \(2, 3\)"):
        (x * 2).backward(np.ones(3))


def test_backward_on_a_tensor_without_graph_raises():
    with pytest.raises(mg.GraphError, match="does not require grad"):
        mg.tensor([1.0]).sum().backward()


def test_requires_grad_on_integers_is_rejected():
    with pytest.raises(mg.DTypeError, match=r"floating-point.*int64.*shape \(3,\)"):
        mg.tensor(np.arange(3), requires_grad=True)
    with pytest.raises(TypeError, match="int"):
        mg.Tensor(np.array([1, 2], dtype=np.int32)).requires_grad_()


def test_no_grad_builds_no_graph_and_works_as_decorator():
    x = leaf([1.0])
    with mg.no_grad():
        y = x * 2
        with mg.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    @mg.no_grad()
    def evaluate(value):
        return value * 3

    @mg.no_grad
    def evaluate_bare(value):
        return value * 3

    @mg.enable_grad()
    def train_step(value):
        return value * 3

    assert not evaluate(x).requires_grad and not evaluate_bare(x).requires_grad
    with mg.no_grad():
        assert train_step(x).requires_grad
    assert mg.is_grad_enabled()


def test_detach_cuts_the_graph():
    x = leaf([2.0])
    y = (x * x).detach() * x
    y.backward(np.ones(1))
    np.testing.assert_allclose(x.grad.numpy(), [4.0])


def test_hooks_see_and_replace_gradients():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    h = x * 3
    h.register_hook(lambda g: g * 0.5)
    (h * h).sum().backward()
    np.testing.assert_allclose(seen[0], 0.5 * 2 * 3 * np.array([3.0, 6.0]) * 1)
    np.testing.assert_allclose(x.grad.numpy(), seen[0])


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.numpy())
    assert (x * 2).grad is None


def test_in_place_change_of_a_saved_tensor_is_detected():
    x = leaf([1.0, 2.0])
    y = x * 2
    z = (y * y).sum()  # Mul saved y
    y += 1
    with pytest.raises(mg.GraphError, match=r"MulBackward: a tensor it saved for backward.*"
                                            r"shape \(2,\).*modified in place"):
        z.backward()


def test_assigning_data_counts_as_in_place():
    w = leaf([1.0, 2.0])
    loss = (w * w).sum()
    w.data = w.numpy() - 0.1  # an optimiser step between forward and backward
    with pytest.raises(mg.GraphError, match="modified in place"):
        loss.backward()


def test_saved_output_modified_in_place_is_detected():
    x = leaf([0.5])
    y = x.tanh()  # Tanh saves its output
    with mg.no_grad():
        y *= 2
    with pytest.raises(mg.GraphError, match="TanhBackward"):
        y.backward(np.ones(1))


def test_differentiable_in_place_on_non_leaf():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 1.0
    y[0] = x[2] * 10
    y *= x
    y.sum().backward()
    # y0 = 10 x2 x0, y1 = x1^2, y2 = x2^2
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 4.0, 6.0 + 10.0])


def test_in_place_on_leaf_or_view_in_graph_is_rejected():
    x = leaf([1.0, 2.0])
    with pytest.raises(mg.GraphError, match="leaf tensor that requires grad"):
        x += 1
    with mg.no_grad():
        x += 1  # fine: an optimiser update
    np.testing.assert_array_equal(x.numpy(), [2.0, 3.0])
    view = (x * 1.0).reshape(2, 1)
    with pytest.raises(mg.GraphError, match="view"):
        view[0] = x[1]


def test_view_shares_the_version_counter_of_its_base():
    x = leaf([1.0, 2.0])
    base = x * 1.0
    loss = (base * base).sum()
    with mg.no_grad():
        base.reshape(2, 1)[0] = 5.0  # writes through the view into base's memory
    assert base.numpy()[0] == 5.0
    with pytest.raises(mg.GraphError, match="modified in place"):
        loss.backward()


def test_hessian_vector_product_with_double_backward():
    a = rng().standard_normal((3, 3))
    a = a + a.T
    w = leaf(rng(1).standard_normal(3))
    v = rng(2).standard_normal(3)
    A = mg.tensor(a)
    loss = (w @ A @ w) * 0.5 + (w * w * w).sum()
    (g,) = mg.grad(loss, w, create_graph=True)
    (hv,) = mg.grad((g * mg.tensor(v)).sum(), w)
    hessian = a + np.diag(6 * w.numpy())
    np.testing.assert_allclose(hv.numpy(), hessian @ v, rtol=1e-10)
    assert w.grad is None  # mg.grad does not accumulate


def test_backward_with_create_graph_gives_differentiable_grad():
    x = leaf([2.0])
    (x**3).sum().backward(create_graph=True)
    grad = x.grad
    assert grad.requires_grad
    x.grad = None
    grad.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6 * 2.0])


def test_grad_allow_unused_and_non_leaf_inputs():
    x, unused = leaf([1.0]), leaf([5.0])
    h = x * 2
    y = (h * h).sum()
    with pytest.raises(mg.GraphError, match="input 1 .* was not used"):
        mg.grad(y, [h, unused], retain_graph=True)
    gh, gu = mg.grad(y, [h, unused], allow_unused=True)
    np.testing.assert_allclose(gh.numpy(), [4.0])
    assert gu is None


class Cube(mg.Function):
    """A student's custom op in PyTorch's static form."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


class WrongCube(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x * x  # the classic slip


def test_custom_function_static_form():
    x = leaf(rng().standard_normal(4))
    y = Cube.apply(x)
    assert y.grad_fn is not None and not Cube.apply(mg.tensor([1.0])).requires_grad
    assert mg.gradcheck(Cube.apply, (x,))
    assert mg.gradgradcheck(Cube.apply, (x,))  # backward uses Tensor ops: differentiable


class OldStyleCube(mg.Function):
    """The plain-method form of earlier minigrad versions, still accepted for user code."""

    def forward(self, x):
        self.save_for_backward(x)
        self.power = 3
        return x**self.power

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * self.power * x ** (self.power - 1)


def test_custom_function_plain_method_form_still_works():
    values = rng().standard_normal(4)
    x = leaf(values)
    OldStyleCube.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * values**2)
    assert mg.gradgradcheck(OldStyleCube.apply, (leaf(values),))


def test_gradcheck_catches_a_wrong_backward():
    x = leaf([0.5, -1.5])
    with pytest.raises(mg.GradcheckError, match=r"input 0 \(shape \(2,\)\) at element \(0,\)"
                                                r".*analytic 0.5 vs numeric 0.75"):
        mg.gradcheck(WrongCube.apply, (x,))
    assert mg.gradcheck(WrongCube.apply, (x,), raise_exception=False) is False


def test_needs_input_grad_is_reported():
    seen = {}

    class Probe(mg.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    Probe.apply(leaf([1.0]), mg.tensor([1.0]))
    assert seen["needs"] == (True, False)


# ----------------------------------------------------------------- micrograd's checks
def _micrograd_more_ops(lib, scalar):
    """The expression of micrograd's test_more_ops (test/test_engine.py), written out
    again here: in-place updates of non-leaf tensors that PyTorch accepts."""
    a, b = scalar(-4.0), scalar(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g, a, b


def _micrograd_sanity_check(lib, scalar):
    """The expression of micrograd's test_sanity_check."""
    x = scalar(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return y, x


def _mg_scalar(value):
    return mg.tensor(np.array(value, dtype=np.float64), requires_grad=True)


def test_micrograd_more_ops_closed_form():
    """g = f/2 + 10/f with f = (c - d)^2, by hand: c = 3a + 4b + 3 and
    d = 12(ab + b^3) + 4 relu(a + b) + relu(b - a); at a = -4, b = 2 only the last
    relu is active. micrograd's own expected figures: g 24.7041, a' 138.834, b' 645.577."""
    g, a, b = _micrograd_more_ops(mg, _mg_scalar)
    av, bv = -4.0, 2.0
    c = 3 * av + 4 * bv + 3
    d = 12 * (av * bv + bv**3) + (bv - av)
    f = (c - d) ** 2
    np.testing.assert_allclose(g.item(), f / 2 + 10 / f, rtol=1e-12)
    dg_de = (0.5 - 10 / f**2) * 2 * (c - d)
    de_da = 3 - (12 * bv - 1)
    de_db = 4 - (12 * (av + 3 * bv**2) + 1)
    np.testing.assert_allclose(a.grad.item(), dg_de * de_da, rtol=1e-10)
    np.testing.assert_allclose(b.grad.item(), dg_de * de_db, rtol=1e-10)
    np.testing.assert_allclose([g.item(), a.grad.item(), b.grad.item()],
                               [24.70408163265306, 138.83381924198252, 645.5772594752186],
                               rtol=1e-12)


@pytest.mark.parity
def test_micrograd_more_ops_and_sanity_check_match_torch():
    torch = pytest.importorskip("torch")

    def torch_scalar(value):
        return torch.tensor(value, dtype=torch.float64, requires_grad=True)

    for expression in (_micrograd_more_ops, _micrograd_sanity_check):
        ours = expression(mg, _mg_scalar)
        theirs = expression(torch, torch_scalar)
        np.testing.assert_allclose(ours[0].item(), theirs[0].item(), rtol=1e-12)
        for mine, reference in zip(ours[1:], theirs[1:]):
            np.testing.assert_allclose(mine.grad.item(), reference.grad.item(), rtol=1e-12)


def test_mul_saves_only_what_the_needed_gradients_use():
    """d * 2 needs only the constant 2 for d's gradient: modifying d afterwards in
    place is legal; a * b with both needing grads still guards both."""
    x = _mg_scalar(3.0)
    d = x * 1.0
    y = d * 2
    d += 1
    y.backward()
    assert x.grad.item() == 2.0
    a, b = _mg_scalar(3.0), _mg_scalar(5.0)
    a2 = a * 1.0
    z = a2 * b
    a2 += 1
    with pytest.raises(mg.errors.GraphError, match="MulBackward"):
        z.backward()


# ----------------------------------------------------------------- leaf grads own their memory
def test_create_graph_gives_each_leaf_its_own_gradient():
    """Add passes one gradient to both inputs; each leaf's .grad must still be its
    own tensor, so a later in-place change (clip_grad_norm_) touches only that one."""
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    ((a + b) * 1.0).sum().backward(create_graph=True)
    assert a.grad is not b.grad
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    mg.nn.utils.clip_grad_norm_([a], max_norm=0.1)
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(np.linalg.norm(a.grad.numpy()), 0.1, rtol=1e-6)


def test_create_graph_leaf_gradient_is_contiguous_writable_and_differentiable():
    """x.sum()'s gradient is a broadcast (read-only, stride-0) view of the scalar 1;
    the leaf's .grad must be a writable copy that still carries the graph:
    d/dx sum(x * x) = 2x, whose gradient sum is 2 per element."""
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    x.sum().backward(create_graph=True)
    array = x.grad.numpy()
    assert array.flags.writeable and array.flags.c_contiguous
    x.grad.numpy()[0, 0] = 5.0
    np.testing.assert_array_equal(x.grad.numpy(), [[5.0, 1.0], [1.0, 1.0]])
    y = leaf([1.0, -2.0])
    (y * y).sum().backward(create_graph=True)
    assert y.grad.requires_grad
    (second,) = mg.grad(y.grad.sum(), [y])
    np.testing.assert_array_equal(second.numpy(), [2.0, 2.0])
    y.grad.numpy()[:] *= 0.5  # an in-place update of a graph-carrying grad
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, -2.0])


class _FreshGradient(mg.autograd.Function):
    """Identity whose backward hands out a brand-new array it keeps only a weak
    reference to, so the test can see whether the leaf took that very array."""

    made = []

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        array = np.array(grad.numpy(), copy=True)
        _FreshGradient.made.append(weakref.ref(array))
        return mg.Tensor._make(array, False, None)


@pytest.mark.skipif(not mg.autograd._COUNTS_ARE_EXACT,
                    reason="the shortcut needs CPython's exact reference counts (up to 3.13)")
def test_a_gradient_nothing_else_holds_becomes_the_leaf_grad_without_a_copy():
    """AccumulateGrad's shortcut: copying every weight's fresh gradient each step
    is a wasted pass over the parameters, so the leaf takes it as it is."""
    _FreshGradient.made.clear()
    x = leaf([1.0, 2.0, 3.0])
    _FreshGradient.apply(x).sum().backward()
    assert x.grad.numpy() is _FreshGradient.made[0]()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])


def test_a_gradient_a_hook_kept_is_copied_into_the_leaf():
    kept = []
    x = leaf([1.0, 2.0])
    x.register_hook(lambda grad: kept.append(grad))
    _FreshGradient.apply(x).sum().backward()
    mg.nn.utils.clip_grad_norm_([x], max_norm=0.1)  # scales x.grad in place
    np.testing.assert_array_equal(kept[0].numpy(), [1.0, 1.0])
    assert not np.shares_memory(kept[0].numpy(), x.grad.numpy())


def test_a_gradient_a_hook_returned_and_kept_is_copied_into_the_leaf():
    kept = []

    def replace(grad):
        kept.append(grad * 2)
        return kept[-1]

    x = leaf([1.0, 2.0])
    x.register_hook(replace)
    (x * 1.0).sum().backward()
    x.grad.numpy()[:] = 0.0
    np.testing.assert_array_equal(kept[0].numpy(), [2.0, 2.0])


def test_the_gradient_a_caller_passes_is_never_the_leaf_grad():
    x = leaf([1.0, 2.0])
    seed = mg.tensor([3.0, 4.0], dtype=mg.float64)
    x.backward(seed)
    x.grad.numpy()[:] = 0.0
    np.testing.assert_array_equal(seed.numpy(), [3.0, 4.0])


def test_one_gradient_handed_to_two_leaves_is_shared_by_neither():
    """Add gives both inputs the same gradient tensor: the first leaf to finish
    must copy it (the other still holds it), whatever the order."""
    for first, second in ((0, 1), (1, 0)):
        pair = [leaf([1.0, 2.0]), leaf([3.0, 4.0])]
        (_FreshGradient.apply(pair[first]) * 1.0 + pair[second]).sum().backward()
        a, b = pair
        assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
        a.grad.numpy()[:] = 7.0
        np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_retained_non_leaf_gradient_and_leaf_gradient_do_not_alias():
    x = leaf([1.0, 2.0])
    y = x * 1.0
    y.retain_grad()
    (y * 3.0).sum().backward()
    x.grad.numpy()[:] = 0.0
    np.testing.assert_array_equal(y.grad.numpy(), [3.0, 3.0])


IN_PLACE_AFTER = {  # op(d, c) and d(sum of it)/dd by hand: d's value is not needed
    "mul": (lambda lib, d, c: d * c, lambda c: c),
    "div": (lambda lib, d, c: d / c, lambda c: 1 / c),
    "matmul": (lambda lib, d, c: d @ c, lambda c: np.broadcast_to(c.sum(axis=1), (3, 3))),
    "linear": (lambda lib, d, c: lib.nn.functional.linear(d, c, c[0]),
               lambda c: np.broadcast_to(c.sum(axis=0), (3, 3))),
    "conv2d": (lambda lib, d, c: lib.nn.functional.conv2d(d.reshape(1, 1, 3, 3),
                                                          c.reshape(1, 1, 3, 3)),
               lambda c: c),
}


@pytest.mark.parametrize("name", sorted(IN_PLACE_AFTER))
def test_modifying_an_operand_no_gradient_reads_is_allowed(name):
    """d may change in place after op(d, c) when c needs no gradient: the op kept
    only c. The gradient is the one at the value d had when the op ran."""
    op, gradient = IN_PLACE_AFTER[name]
    values = rng(40).uniform(0.5, 2.0, (3, 3))
    constant = rng(41).uniform(0.5, 2.0, (3, 3))
    x = leaf(values)
    d = x * 1.0
    y = op(mg, d, mg.tensor(constant))
    d += 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), gradient(constant), rtol=1e-12)


@pytest.mark.parity
@pytest.mark.parametrize("name", ["mul", "div", "matmul", "linear"])
def test_modifying_an_operand_no_gradient_reads_matches_torch(name):
    """PyTorch accepts these too (its conv2d keeps its input whatever is needed, so
    conv2d is compared with the closed form only)."""
    torch = pytest.importorskip("torch")
    op, _ = IN_PLACE_AFTER[name]
    values = rng(42).uniform(0.5, 2.0, (3, 3))
    constant = rng(43).uniform(0.5, 2.0, (3, 3))
    grads = []
    for lib, make in ((mg, lambda v, g: mg.tensor(v, requires_grad=g)),
                      (torch, lambda v, g: torch.tensor(v, requires_grad=g))):
        x = make(values, True)
        d = x * 1.0
        y = op(lib, d, make(constant, False))
        d += 1.0
        y.sum().backward()
        grads.append(np.asarray(x.grad.numpy()))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
