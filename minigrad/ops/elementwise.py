"""Elementwise ops with NumPy broadcasting.

A binary op's gradient has the broadcast shape; `sum_to` folds it back onto each
input's own shape (summing over the axes that broadcasting stretched).
"""

import inspect

import numpy as np

from minigrad.autograd import Function
from minigrad.errors import DTypeError
from minigrad.kernels.special import relu as _relu_kernel
from minigrad.kernels.special import relu_backward as _relu_backward_kernel
from minigrad.ops._args import broadcast_shapes, check_integer
from minigrad.ops._promote import as_float, category, promoted, refuse_bool, scalar_operand
from minigrad.ops.shape import sum_to
from minigrad.tensor import Tensor


def _broadcasting(op, compute, a, b):
    try:
        return compute(a, b)
    except ValueError:
        broadcast_shapes(op, np.shape(a), np.shape(b))  # raises a ShapeError naming op
        raise


def _constant(array):
    """A Tensor that carries no gradient (masks, signs, ...)."""
    return Tensor._make(np.asarray(array), False, None)


# ----------------------------------------------------------------- arithmetic
# Each binary op keeps the input shapes, promotes the operands to one dtype
# (_promote.py: PyTorch's rule), and saves only the inputs that the gradients it
# will be asked for use (ctx.needs_input_grad): a value that no gradient reads may
# then be modified in place afterwards, as in PyTorch (`d += d * 2`).
class Add(Function):
    """z = a + b.   dz/da = 1, dz/db = 1 (then summed back to each shape)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return _broadcasting("add", np.add, *promoted("add", a, b))

    @staticmethod
    def backward(ctx, grad):
        shape_a, shape_b = ctx.shapes
        needs_a, needs_b = ctx.needs_input_grad
        return (sum_to(grad, shape_a) if needs_a else None,
                sum_to(grad, shape_b) if needs_b else None)


class Sub(Function):
    """z = a - b.   dz/da = 1, dz/db = -1."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        refuse_bool("sub", a, b, any_operand=True)
        return _broadcasting("sub", np.subtract, *promoted("sub", a, b))

    @staticmethod
    def backward(ctx, grad):
        shape_a, shape_b = ctx.shapes
        needs_a, needs_b = ctx.needs_input_grad
        return (sum_to(grad, shape_a) if needs_a else None,
                sum_to(-grad, shape_b) if needs_b else None)


class Mul(Function):
    """z = a * b.   dz/da = b, dz/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        needs_a, needs_b = ctx.needs_input_grad
        ctx.save_for_backward(a if needs_b else None, b if needs_a else None)
        ctx.shapes = (a.shape, b.shape)
        return _broadcasting("mul", np.multiply, *promoted("mul", a, b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        shape_a, shape_b = ctx.shapes
        grad_a = sum_to(grad * b, shape_a) if ctx.needs_input_grad[0] else None
        grad_b = sum_to(grad * a, shape_b) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    """z = a / b (true division: integers give float32).
    dz/da = 1/b,  dz/db = -(a/b)/b, in that order: -a/(b*b) under- or overflows in
    b*b when b is tiny or huge although the quotient is representable."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        ctx.shapes = (a.shape, b.shape)
        a, b = promoted("div", a, b)
        if a.dtype.kind != "f":  # true division: integers give float32
            a, b = as_float("div", a), as_float("div", b)
        return _broadcasting("div", np.true_divide, a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        shape_a, shape_b = ctx.shapes
        grad_a = sum_to(grad / b, shape_a) if ctx.needs_input_grad[0] else None
        grad_b = sum_to(-grad * (a / b) / b, shape_b) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Pow(Function):
    """z = a ** b.   dz/da = b a^(b-1),  dz/db = a^b log(a).

    As in PyTorch, dz/da = 0 where b = 0 (d(x^0)/dx = 0 even at x = 0, where
    0 * 0^-1 would be nan), and dz/db = 0 where a = 0 and b >= 0 (the limit of
    a^b log a as a -> 0+), not 0 * -inf.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        ctx.shapes = (a.shape, b.shape)
        refuse_bool("pow", a, b)
        a, b = promoted("pow", a, b)
        if b.dtype.kind in "iu" and np.any(b < 0):
            raise DTypeError(f"pow: an integer base to the negative integer exponent "
                             f"{int(np.min(b))} has no integer result; convert the base "
                             "with .float() first")
        with np.errstate(divide="ignore"):  # 0 ** -1 is inf, as in IEEE and PyTorch
            return _broadcasting("pow", np.power, a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        shape_a, shape_b = ctx.shapes
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            exponent_zero = _constant(b._data == 0)
            safe_exponent = where(exponent_zero, np.ones((), dtype=b.dtype), b)
            slope = where(exponent_zero, _zero(grad), b * a ** (safe_exponent - 1))
            grad_a = sum_to(grad * slope, shape_a)
        if ctx.needs_input_grad[1]:
            limit_zero = _constant((a._data == 0) & (b._data >= 0))
            safe_base = where(limit_zero, np.ones((), dtype=a.dtype), a)
            slope = where(limit_zero, _zero(grad), safe_base ** b * log(safe_base))
            grad_b = sum_to(grad * slope, shape_b)
        return grad_a, grad_b


def _zero(like):
    return np.zeros((), dtype=like.dtype)


class Neg(Function):
    """y = -x.   dy/dx = -1."""

    @staticmethod
    def forward(ctx, x):
        refuse_bool("neg", x)
        return np.negative(x)

    @staticmethod
    def backward(ctx, grad):
        return -grad


class _Select(Function):
    """z = the chosen one of a and b, elementwise (Maximum: the larger, Minimum: the
    smaller).  The gradient goes to the chosen input; on a tie it is split evenly
    between both (so the total is still `grad`)."""

    @staticmethod
    def forward(ctx, a, b):
        name = type(ctx).__name__.lower()
        ctx.shapes = (a.shape, b.shape)
        a, b = promoted(name, a, b)
        ctx.share_a = _broadcasting(name, lambda a, b: ctx.a_wins(a, b) + 0.5 * (a == b), a, b)
        return ctx.select(a, b)

    @staticmethod
    def backward(ctx, grad):
        share_a = _constant(ctx.share_a.astype(grad.dtype))
        shape_a, shape_b = ctx.shapes
        return sum_to(grad * share_a, shape_a), sum_to(grad * (1 - share_a), shape_b)


class Maximum(_Select):
    """z = max(a, b) elementwise; ties split the gradient evenly (see _Select)."""

    select, a_wins = staticmethod(np.maximum), staticmethod(np.greater)


class Minimum(_Select):
    """z = min(a, b) elementwise; ties split the gradient evenly (see _Select)."""

    select, a_wins = staticmethod(np.minimum), staticmethod(np.less)


class Where(Function):
    """z = cond ? a : b.   The gradient flows to whichever input was chosen."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = np.asarray(cond, dtype=bool)
        ctx.shapes = (a.shape, b.shape)
        broadcast_shapes("where", ctx.cond.shape, *ctx.shapes)
        return np.where(ctx.cond, *promoted("where", a, b))

    @staticmethod
    def backward(ctx, grad):
        zero = _constant(np.zeros((), dtype=grad.dtype))
        cond = _constant(ctx.cond)
        shape_a, shape_b = ctx.shapes
        return (None, sum_to(where(cond, grad, zero), shape_a),
                sum_to(where(cond, zero, grad), shape_b))


class Cast(Function):
    """y = x converted to another dtype (always a copy).  dy/dx = 1, cast back."""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.input_dtype = x.dtype
        return x.astype(dtype, order="C", copy=True)  # a contiguous copy of its own

    @staticmethod
    def backward(ctx, grad):
        return astype(grad, ctx.input_dtype)


# ----------------------------------------------------------------- unary maths
class Exp(Function):
    """y = e^x.   dy/dx = y."""

    @staticmethod
    def forward(ctx, x):
        y = np.exp(as_float("exp", x))
        ctx.save_for_backward(y)  # save y, not x: exp' is y itself
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class Log(Function):
    """y = ln x.   dy/dx = 1/x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore"):  # log 0 = -inf, as in IEEE and PyTorch
            return np.log(as_float("log", x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Sqrt(Function):
    """y = sqrt(x).   dy/dx = 1 / (2 y)."""

    @staticmethod
    def forward(ctx, x):
        y = np.sqrt(as_float("sqrt", x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad / (2 * y)


class Tanh(Function):
    """y = tanh(x).   dy/dx = 1 - y^2."""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(as_float("tanh", x))
        ctx.save_for_backward(y)  # tanh' is cheaper from y
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return TanhGrad.apply(grad, y)


class TanhGrad(Function):
    """z = g (1 - y^2): tanh's backward as one op (three ops as Tensor arithmetic,
    each paying an op's bookkeeping, on every backward).
    dz/dg = 1 - y^2,  dz/dy = -2 g y.   Shapes: g, y (same) -> z (same)."""

    @staticmethod
    def forward(ctx, grad, y):
        ctx.save_for_backward(grad, y)
        return grad * (1 - y * y)

    @staticmethod
    def backward(ctx, grad_z):
        grad, y = ctx.saved_tensors
        needs_grad, needs_y = ctx.needs_input_grad
        return (TanhGrad.apply(grad_z, y) if needs_grad else None,
                grad_z * grad * y * -2 if needs_y else None)


class Sigmoid(Function):
    """y = 1 / (1 + e^-x).   dy/dx = y (1 - y).

    Computed as e^min(x,0) / (1 + e^-|x|), which never overflows: the exponent
    is always <= 0, so the value is finite for any x (even +-1e4).
    """

    @staticmethod
    def forward(ctx, x):
        x = as_float("sigmoid", x)
        e = np.exp(-np.abs(x))
        y = np.where(x >= 0, 1, e) / (1 + e)
        y = y.astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return SigmoidGrad.apply(grad, y)


class SigmoidGrad(Function):
    """z = g y (1 - y): the sigmoid's backward as one op (as TanhGrad).
    dz/dg = y (1 - y),  dz/dy = g (1 - 2y).   Shapes: g, y (same) -> z (same)."""

    @staticmethod
    def forward(ctx, grad, y):
        ctx.save_for_backward(grad, y)
        return grad * y * (1 - y)

    @staticmethod
    def backward(ctx, grad_z):
        grad, y = ctx.saved_tensors
        needs_grad, needs_y = ctx.needs_input_grad
        return (SigmoidGrad.apply(grad_z, y) if needs_grad else None,
                grad_z * grad * (1 - 2 * y) if needs_y else None)


class ReLU(Function):
    """y = max(x, 0).   dy/dx = 1 where x > 0, else 0 (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        refuse_bool("relu", x)
        y = _relu_kernel(x)
        ctx.save_for_backward(y)  # y > 0 exactly where x > 0: no mask to keep
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return ReLUGrad.apply(grad, y)


class ReLUGrad(Function):
    """z = g where y > 0, else 0: ReLU's backward as an op, so that it has a
    derivative too.  dz/dg = the same mask;  dz/dy = 0 (the mask is piecewise
    constant, as in PyTorch's threshold_backward).

    Shapes: g, y (same) -> z (same).
    """

    @staticmethod
    def forward(ctx, grad, y):
        ctx.save_for_backward(y)
        return _relu_backward_kernel(grad, y)

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return ReLUGrad.apply(grad, y), None


class Abs(Function):
    """y = |x|.   dy/dx = sign(x) (0 at x = 0)."""

    @staticmethod
    def forward(ctx, x):
        refuse_bool("abs", x)
        ctx.sign = np.sign(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * _constant(ctx.sign.astype(grad.dtype))


class Clip(Function):
    """y = min(max(x, lo), hi).   dy/dx = 1 inside [lo, hi], 0 where clipped."""

    @staticmethod
    def forward(ctx, x, low, high):
        bounds = [scalar_operand("clamp", v, x.dtype) if isinstance(v, (int, float))
                  else np.asarray(v) for v in (low, high) if v is not None]
        x = promoted("clamp", x, *bounds)[0]
        ctx.inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            ctx.inside &= x >= low
        if high is not None:
            ctx.inside &= x <= high
        return np.clip(x, low, high).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return grad * _constant(ctx.inside.astype(grad.dtype)), None, None


# ----------------------------------------------------------------- functions
def as_operand(value, like=None):
    """Tensors and arrays as they are; a Python number as a 0-d array whose dtype
    follows PyTorch's promotion next to a tensor of dtype `like` (_promote.py):
    float32 stays float32 next to 2.5, int32 stays int32 next to 5, int64 next to
    2.5 becomes float32. Complex values are refused (DTypeError)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, int, float, complex)):
        return scalar_operand("operand", value, like)
    value = np.asarray(value)
    category("operand", value.dtype)  # complex or object arrays: DTypeError
    return value


def _dtype_of(*values):
    for value in values:
        if isinstance(value, (Tensor, np.ndarray)):
            return value.dtype
    return None


def _binary_function(op, name):
    """The function form `name(a, b)` of the binary op `op`: Python numbers become
    operands of the other argument's dtype (as_operand), then op.apply(a, b)."""
    def binary(a, b):
        like = _dtype_of(a, b)
        return op.apply(as_operand(a, like), as_operand(b, like))

    binary.__name__ = binary.__qualname__ = name
    binary.__doc__ = f"{name}(a, b), a number taking the other operand's dtype.\n\n" \
        + inspect.cleandoc(op.__doc__)
    return binary


add = _binary_function(Add, "add")
sub = _binary_function(Sub, "sub")
mul = _binary_function(Mul, "mul")
div = _binary_function(Div, "div")
pow = _binary_function(Pow, "pow")  # noqa: A001  (the op's name)
maximum = _binary_function(Maximum, "maximum")
minimum = _binary_function(Minimum, "minimum")


def neg(x):
    return Neg.apply(x)


def where(condition, a, b):
    """Elementwise choice: a where condition is true, else b (differentiable in a, b)."""
    condition = condition._data if isinstance(condition, Tensor) else condition
    like = _dtype_of(a, b)
    return Where.apply(condition, as_operand(a, like), as_operand(b, like))


def astype(x, dtype):
    return Cast.apply(x, np.dtype(dtype))


def exp(x):
    return Exp.apply(x)


def log(x):
    return Log.apply(x)


def sqrt(x):
    return Sqrt.apply(x)


def tanh(x):
    return Tanh.apply(x)


def sigmoid(x):
    return Sigmoid.apply(x)


def relu(x):
    return ReLU.apply(x)


def abs(x):  # noqa: A001  (the op's name)
    return Abs.apply(x)


def clip(x, min=None, max=None):  # noqa: A002  (NumPy/PyTorch argument names)
    """Clamp x to [min, max]; either bound may be None."""
    return Clip.apply(x, min, max)


clamp = clip


# ----------------------------------------------------------------- rounding
class _Rounding(Function):
    """y = a piecewise-constant function of x (sign, floor, ceil, round, trunc).

    dy/dx = 0 everywhere, also at the jumps where it is undefined (PyTorch's
    choice), so the gradient is zeros even where the upstream one is NaN.
    Integer inputs are already whole: they come back as they are (sign excepted),
    in their own dtype; bools only sign takes, as in PyTorch.

    Shapes: x (any) -> y (same).
    """

    takes_bool = False

    @staticmethod
    def forward(ctx, x, decimals):
        if not ctx.takes_bool:
            refuse_bool(type(ctx).__name__.lower(), x)
        if x.dtype.kind in "biu":
            return ctx.on_integers(x)
        return ctx.rounding(x, decimals).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return _constant(np.zeros(grad.shape, dtype=grad.dtype)), None


def _sign(x, decimals):
    return np.where(np.isnan(x), 0, np.sign(x))  # PyTorch: sign(NaN) = 0


class Sign(_Rounding):
    """y = -1, 0 or 1 as x < 0, x = 0 (or NaN) or x > 0.   dy/dx = 0."""

    rounding = staticmethod(_sign)
    takes_bool = True
    on_integers = staticmethod(lambda x: x.copy() if x.dtype.kind == "b" else np.sign(x))


class Floor(_Rounding):
    """y = the largest integer <= x.   dy/dx = 0."""

    rounding = staticmethod(lambda x, decimals: np.floor(x))
    on_integers = staticmethod(np.copy)


class Ceil(_Rounding):
    """y = the smallest integer >= x.   dy/dx = 0."""

    rounding = staticmethod(lambda x, decimals: np.ceil(x))
    on_integers = staticmethod(np.copy)


class Trunc(_Rounding):
    """y = x with its fractional part dropped (towards 0).   dy/dx = 0."""

    rounding = staticmethod(lambda x, decimals: np.trunc(x))
    on_integers = staticmethod(np.copy)


class Round(_Rounding):
    """y = x rounded to `decimals` places, halves to the even neighbour (2.5 -> 2,
    3.5 -> 4), computed as rint(x * 10^d) / 10^d like PyTorch.   dy/dx = 0."""

    rounding = staticmethod(lambda x, decimals: np.round(x, decimals))
    on_integers = staticmethod(np.copy)


def sign(x):
    return Sign.apply(x, 0)


def floor(x):
    return Floor.apply(x, 0)


def ceil(x):
    return Ceil.apply(x, 0)


def trunc(x):
    return Trunc.apply(x, 0)


def round(x, *, decimals=0):  # noqa: A001  (the op's name)
    """Round half to even, to `decimals` places (negative: tens, hundreds, ...)."""
    decimals = check_integer("round", "decimals", decimals)
    if decimals and x.dtype.kind in "biu":
        raise DTypeError(f"round: decimals={decimals} needs a floating-point tensor, got "
                         f"dtype {x.dtype} (as in PyTorch); convert it with .float() first")
    return Round.apply(x, decimals)
