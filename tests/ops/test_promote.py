"""Type promotion: every op and every nn.functional function on int64, int32, bool,
float32 and float64 inputs, against a hand-written table of result dtypes and, when
it is installed, against PyTorch (dtype and values).

Where PyTorch refuses a real-valued function of integers (softplus, mean, mse_loss,
... "not implemented for 'Long'"), minigrad computes it in float32, the dtype
PyTorch gives exp or sigmoid of integers; the parity check then compares with
PyTorch on the float32-converted input. Where PyTorch refuses an op that has no
meaning for the dtype (-x of bool, int ** -1), minigrad raises DTypeError.
"""

import importlib

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.autograd import OP_REGISTRY
from minigrad.ops import _promote

DTYPES = ("int64", "int32", "bool", "float32", "float64")
SIGNED = np.array([[1, -2, 3], [0, 2, -1]])
POSITIVE = np.array([[1, 2, 3], [4, 2, 1]])
PROBABILITY = np.array([[1, 0, 1], [0, 1, 1]])


def sample(dtype, values=SIGNED):
    return values != 0 if dtype == "bool" else values.astype(dtype)


def floating(dtype):
    """The hand rule for real-valued functions: float stays, the rest is float32."""
    return dtype if dtype.startswith("float") else "float32"


def integral(dtype):
    """The hand rule for sum: integer and bool sums are int64."""
    return dtype if dtype.startswith("float") else "int64"


def same(dtype):
    return dtype


def refuses_bool(dtype):
    return None if dtype == "bool" else dtype


# name -> (minigrad fn, torch fn (tensor -> tensor), expected dtype rule, input values)
UNARY = {
    "exp": (mg.exp, lambda t: t.exp(), floating, SIGNED),
    "log": (mg.log, lambda t: t.log(), floating, POSITIVE),
    "sqrt": (mg.sqrt, lambda t: t.sqrt(), floating, POSITIVE),
    "tanh": (mg.tanh, lambda t: t.tanh(), floating, SIGNED),
    "sin": (mg.sin, lambda t: t.sin(), floating, SIGNED),
    "cos": (mg.cos, lambda t: t.cos(), floating, SIGNED),
    "sigmoid": (mg.sigmoid, lambda t: t.sigmoid(), floating, SIGNED),
    "erf": (F.erf, lambda t: t.erf(), floating, SIGNED),
    "softplus": (F.softplus, lambda t: tf().softplus(t), floating, SIGNED),
    "silu": (F.silu, lambda t: tf().silu(t), floating, SIGNED),
    "gelu": (F.gelu, lambda t: tf().gelu(t), floating, SIGNED),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda t: tf().gelu(t, approximate="tanh"), floating, SIGNED),
    "elu": (F.elu, lambda t: tf().elu(t), floating, SIGNED),
    "selu": (F.selu, lambda t: tf().selu(t), floating, SIGNED),
    "leaky_relu": (F.leaky_relu, lambda t: tf().leaky_relu(t), floating, SIGNED),
    "relu": (mg.relu, lambda t: t.relu(), refuses_bool, SIGNED),
    "abs": (mg.abs, lambda t: t.abs(), refuses_bool, SIGNED),
    "neg": (lambda x: -x, lambda t: -t, refuses_bool, SIGNED),
    "clamp_float": (lambda x: x.clamp(0.5), lambda t: t.clamp(0.5), floating, SIGNED),
    "clamp_int": (lambda x: x.clamp(0, 2), lambda t: t.clamp(0, 2), lambda d: "int64"
                  if d == "bool" else d, SIGNED),
    "sum": (lambda x: x.sum(axis=1), lambda t: t.sum(1), integral, SIGNED),
    "mean": (lambda x: x.mean(axis=0), lambda t: t.mean(0), floating, SIGNED),
    "var": (lambda x: x.var(axis=1, ddof=1), lambda t: t.var(1), floating, SIGNED),
    "std": (lambda x: x.std(ddof=0), lambda t: t.std(correction=0), floating, SIGNED),
    "max": (lambda x: x.max(axis=1), lambda t: t.amax(1), same, SIGNED),
    "min": (lambda x: x.min(), lambda t: t.min(), same, SIGNED),
    "logsumexp": (lambda x: x.logsumexp(axis=1), lambda t: t.logsumexp(1), floating, SIGNED),
    "softmax": (lambda x: x.softmax(dim=1), lambda t: t.softmax(1), floating, SIGNED),
    "log_softmax": (lambda x: x.log_softmax(dim=0), lambda t: t.log_softmax(0), floating,
                    SIGNED),
    "reshape": (lambda x: x.reshape(3, 2), lambda t: t.reshape(3, 2), same, SIGNED),
    "permute": (lambda x: x.permute(1, 0), lambda t: t.permute(1, 0), same, SIGNED),
    "expand": (lambda x: x.expand(2, 2, 3), lambda t: t.expand(2, 2, 3), same, SIGNED),
    "flatten": (lambda x: x.flatten(), lambda t: t.flatten(), same, SIGNED),
    "getitem": (lambda x: x[[1, 0], 1:], lambda t: t[[1, 0], 1:], same, SIGNED),
    "pad": (lambda x: x.pad((1, 1)), lambda t: tf().pad(t, (1, 1)), same, SIGNED),
    "cast": (lambda x: x.astype(np.float64), lambda t: t.double(), lambda d: "float64",
             SIGNED),
    "maxout": (lambda x: F.maxout(x.reshape(3, 2), 2),
               lambda t: t.reshape(3, 1, 2).amax(2), same, SIGNED),
    "layer_norm": (lambda x: F.layer_norm(x, (3,)), lambda t: tf().layer_norm(t, (3,)),
                   floating, SIGNED),
    "batch_norm": (lambda x: F.batch_norm(x, None, None, training=True),
                   lambda t: tf().batch_norm(t, None, None, training=True), floating, SIGNED),
    "group_norm": (lambda x: F.group_norm(x.reshape(1, 2, 3), 2),
                   lambda t: tf().group_norm(t.reshape(1, 2, 3), 2), floating, SIGNED),
    "prelu": (lambda x: F.prelu(x, _prelu_weight(mg.tensor, str(x.dtype))),
              lambda t: tf().prelu(t, _prelu_weight(tt().tensor, str(t.dtype)[6:])), floating,
              SIGNED),
    "setitem": (lambda x: mg.ops.index_put(x, 0, 1), lambda t: _torch_setitem(t), same, SIGNED),
    "dropout_eval": (lambda x: F.dropout(x, 0.5, training=False),
                     lambda t: tf().dropout(t, 0.5, training=False), same, SIGNED),
    "sign": (mg.sign, lambda t: t.sign(), same, SIGNED),
    "floor": (mg.floor, lambda t: t.floor(), refuses_bool, SIGNED),
    "ceil": (mg.ceil, lambda t: t.ceil(), refuses_bool, SIGNED),
    "trunc": (mg.trunc, lambda t: t.trunc(), refuses_bool, SIGNED),
    "round": (mg.round, lambda t: t.round(), refuses_bool, SIGNED),
    "cumsum": (lambda x: x.cumsum(1), lambda t: t.cumsum(1), integral, SIGNED),
}

# name -> (minigrad fn, torch fn, input values): (a, b) -> result, every dtype pair
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, SIGNED),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, SIGNED),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, SIGNED),
    "div": (lambda a, b: a / b, lambda a, b: a / b, POSITIVE),
    "pow": (lambda a, b: a ** b, lambda a, b: a ** b, POSITIVE),
    "maximum": (mg.maximum, lambda a, b: a.maximum(b) if a.dtype == b.dtype else
                a.to(_torch_result(a, b)).maximum(b.to(_torch_result(a, b))), SIGNED),
    "minimum": (mg.minimum, lambda a, b: a.minimum(b) if a.dtype == b.dtype else
                a.to(_torch_result(a, b)).minimum(b.to(_torch_result(a, b))), SIGNED),
    "where": (lambda a, b: mg.where(SIGNED > 0, a, b),
              lambda a, b: tt().where(tt().from_numpy(SIGNED > 0), a, b), SIGNED),
    "cat": (lambda a, b: mg.cat([a, b]), lambda a, b: tt().cat([a, b]), SIGNED),
}

# functions of two same-dtype operands: losses, products
SAME_DTYPE = {
    "matmul": (lambda a, b: a @ b.T, lambda a, b: a @ b.T, refuses_bool, SIGNED),
    "linear": (lambda a, b: F.linear(a, b, a[0, :2]), lambda a, b: tf().linear(a, b, a[0, :2]),
               refuses_bool, SIGNED),
    "mse_loss": (F.mse_loss, lambda a, b: tf().mse_loss(a, b), floating, SIGNED),
    "l1_loss": (F.l1_loss, lambda a, b: tf().l1_loss(a, b), floating, SIGNED),
    "smooth_l1_loss": (F.smooth_l1_loss, lambda a, b: tf().smooth_l1_loss(a, b), floating,
                       SIGNED),
    "huber_loss": (F.huber_loss, lambda a, b: tf().huber_loss(a, b), floating, SIGNED),
    "bce_with_logits": (F.binary_cross_entropy_with_logits,
                        lambda a, b: tf().binary_cross_entropy_with_logits(a, b), floating,
                        PROBABILITY),
    "binary_cross_entropy": (F.binary_cross_entropy,
                             lambda a, b: tf().binary_cross_entropy(a, b), floating,
                             PROBABILITY),
    "kl_div": (lambda a, b: F.kl_div(a, b, reduction="sum"),
               lambda a, b: tf().kl_div(a, b, reduction="sum"), floating, POSITIVE),
}

# functions of one prediction and integer class targets
CLASS_TARGETS = np.array([0, 2])
CLASSIFICATION = {
    "cross_entropy": (F.cross_entropy, lambda x, y: tf().cross_entropy(x, y)),
    "cross_entropy_none": (lambda x, y: F.cross_entropy(x, y, reduction="none"),
                           lambda x, y: tf().cross_entropy(x, y, reduction="none")),
    "nll_loss": (F.nll_loss, lambda x, y: tf().nll_loss(x, y)),
    "multi_margin_loss": (F.multi_margin_loss, lambda x, y: tf().multi_margin_loss(x, y)),
}

# spatial ops: minigrad refuses integer input (DTypeError); PyTorch refuses it too for
# convolution and average pooling (max pooling of integers it computes)
IMAGE = np.arange(16).reshape(1, 1, 4, 4) % 5
SPATIAL = {
    "conv2d": (lambda x: F.conv2d(x, x[:, :, :2, :2]),
               lambda t: tf().conv2d(t, t[:, :, :2, :2])),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2), lambda t: tf().avg_pool2d(t, 2)),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), lambda t: tf().max_pool2d(t, 2)),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, 1),
                            lambda t: tf().adaptive_avg_pool2d(t, 1)),
    "conv_transpose2d": (lambda x: F.conv_transpose2d(x, x[:, :, :2, :2]),
                         lambda t: tf().conv_transpose2d(t, t[:, :, :2, :2])),
    "conv1d": (lambda x: F.conv1d(x[0], x[0][:, :, :2]),
               lambda t: tf().conv1d(t[0], t[0][:, :, :2])),
    "interpolate": (lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"),
                    lambda t: tf().interpolate(t, scale_factor=2, mode="bilinear")),
    "scaled_dot_product_attention": (lambda x: F.scaled_dot_product_attention(x, x, x),
                                     lambda t: tf().scaled_dot_product_attention(t, t, t)),
}

# random or minigrad-only functions: result dtype by the hand rule only
OWN = {
    "dropout": lambda x: F.dropout(x, 0.5, training=True),
    "dropout2d": lambda x: F.dropout2d(x.reshape(1, 2, 3, 1), 0.5, training=True),
    "focal_loss": lambda x: F.focal_loss(x, CLASS_TARGETS),
    "sigmoid_focal_loss": lambda x: F.sigmoid_focal_loss(x, x, reduction="sum"),
}

# the registered ops each table exercises; the rest run only on gradients, which are
# floating point by construction (their forward is another op's backward)
COVERED = {
    "Exp", "Log", "Sqrt", "Tanh", "Sigmoid", "Erf", "Softplus", "ReLU", "Abs", "Neg", "Clip",
    "Sum", "Max", "Min", "Reshape", "Permute", "BroadcastTo", "GetItem", "Pad", "Cast",
    "BatchNormalize", "Add", "Sub", "Mul", "Div", "Pow", "Maximum", "Minimum", "Where",
    "Concatenate", "MatMul", "FusedLinear", "BinaryCrossEntropy", "SoftmaxCrossEntropy",
    "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "IndexPut", "Sin", "Cos",
    "AdaptiveAvgPool2d", "Sign", "Floor", "Ceil", "Trunc", "Round", "Cumsum",
}
GRADIENT_ONLY = {"ReLUGrad", "TanhGrad", "SigmoidGrad", "SumTo", "IndexAdd",
                 "SoftmaxCrossEntropyGrad", "Conv2dWeightGrad", "MaxPool2dScatter",
                 "MaxPool2dGather", "AvgPool2dAdjoint", "AdaptiveAvgPool2dAdjoint"}
# functions of indices, not of values: one_hot is int64 whatever comes in
# (tests/nn/test_one_hot.py), embedding has its table's dtype (tests/nn/test_sparse.py)
INDEX_FUNCTIONS = {"one_hot", "embedding"}
# outside minigrad.ops: wrappers that pass another computation's values through
WRAPPERS = {"Checkpoint": "minigrad.utils.checkpoint",
            "AllReduceSum": "minigrad.distributed.sync_batchnorm"}

# hand-written PyTorch promotion of two dimensioned tensors (symmetric)
PAIR_RESULT = {
    ("bool", "bool"): "bool", ("bool", "int32"): "int32", ("bool", "int64"): "int64",
    ("bool", "float32"): "float32", ("bool", "float64"): "float64",
    ("int32", "int32"): "int32", ("int32", "int64"): "int64", ("int32", "float32"): "float32",
    ("int32", "float64"): "float64", ("int64", "int64"): "int64",
    ("int64", "float32"): "float32", ("int64", "float64"): "float64",
    ("float32", "float32"): "float32", ("float32", "float64"): "float64",
    ("float64", "float64"): "float64",
}


def pair_result(a, b):
    return PAIR_RESULT.get((a, b)) or PAIR_RESULT[(b, a)]


def binary_expected(name, a, b):
    result = pair_result(a, b)
    if (name == "sub" and "bool" in (a, b)) or (name == "pow" and a == b == "bool"):
        return None  # refused, as by PyTorch
    return floating(result) if name == "div" else result


def tt():
    import torch
    return torch


def tf():
    return tt().nn.functional


def _prelu_weight(make, dtype):
    return make(np.array([0.25], dtype=floating(dtype)))


def _torch_setitem(t):
    t = t.clone()
    t[0] = 1
    return t


def _torch_result(a, b):
    return tt().promote_types(a.dtype, b.dtype)


# ----------------------------------------------------------------- the hand-written table
def _run(fn, *arrays):
    try:
        return fn(*[mg.tensor(a) for a in arrays])
    except mg.DTypeError:
        return None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_result_dtype_follows_the_table(name, dtype):
    fn, _, rule, values = UNARY[name]
    result = _run(fn, sample(dtype, values))
    expected = rule(dtype)
    assert (None if result is None else str(result.dtype)) == expected


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_result_dtype_follows_the_table(name, a, b):
    fn, _, values = BINARY[name]
    result = _run(fn, sample(a, values), sample(b, values))
    expected = binary_expected(name, a, b)
    assert (None if result is None else str(result.dtype)) == expected


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(SAME_DTYPE))
def test_same_dtype_functions_follow_the_table(name, dtype):
    fn, _, rule, values = SAME_DTYPE[name]
    result = _run(fn, sample(dtype, values), sample(dtype, values))
    assert (None if result is None else str(result.dtype)) == rule(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CLASSIFICATION))
def test_classification_losses_are_floating_point(name, dtype):
    result = CLASSIFICATION[name][0](mg.tensor(sample(dtype)), CLASS_TARGETS)
    assert str(result.dtype) == floating(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(SPATIAL))
def test_spatial_ops_refuse_integers_and_keep_floats(name, dtype):
    result = _run(SPATIAL[name][0], sample(dtype, IMAGE))
    assert (None if result is None else str(result.dtype)) == \
        (dtype if dtype.startswith("float") else None)


def test_every_registered_op_is_in_the_promotion_tables():
    for module in WRAPPERS.values():
        importlib.import_module(module)
    assert set(OP_REGISTRY) == COVERED | GRADIENT_ONLY | set(WRAPPERS)


def test_every_nn_functional_function_is_in_the_promotion_tables():
    tables = (set(UNARY) | set(SAME_DTYPE) | set(CLASSIFICATION) | set(SPATIAL) | set(OWN)
              | INDEX_FUNCTIONS)
    aliases = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "multi_margin_loss":
               "multi_margin_loss", "binary_cross_entropy_with_logits": "bce_with_logits"}
    functions = {name for name in F.__all__ if callable(getattr(F, name))}
    assert {aliases.get(name, name) for name in functions} <= tables


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(OWN))
def test_random_and_minigrad_only_functions_are_floating_point(name, dtype):
    mg.manual_seed(0)
    x = sample(dtype)
    result = OWN[name](mg.tensor(x))
    assert str(result.dtype) == floating(dtype)
    if name == "dropout":  # survivors are scaled by 2, not truncated
        kept = result.numpy() != 0
        np.testing.assert_array_equal(result.numpy()[kept], 2 * x.astype(np.float64)[kept])


SCALARS = [  # (tensor dtype, python scalar, op, expected), PyTorch's table
    ("int64", 2.5, "add", "float32"), ("int32", 5, "add", "int32"),
    ("bool", 1, "add", "int64"), ("bool", True, "mul", "bool"),
    ("bool", 1.5, "add", "float32"), ("float32", 2, "mul", "float32"),
    ("float32", 2.5, "add", "float32"), ("float64", 2.5, "add", "float64"),
    ("int64", 0.5, "pow", "float32"), ("int32", 2, "pow", "int32"),
    ("int64", 2, "div", "float32"), ("int32", 2, "rsub", "int32"),
    ("int64", -1.0, "pow", "float32"),
]


@pytest.mark.parametrize("dtype, scalar, op, expected", SCALARS)
def test_python_scalars_count_by_category_only(dtype, scalar, op, expected):
    x = mg.tensor(sample(dtype, POSITIVE))
    result = {"add": lambda: x + scalar, "mul": lambda: x * scalar, "pow": lambda: x ** scalar,
              "div": lambda: x / scalar, "rsub": lambda: scalar - x}[op]()
    assert str(result.dtype) == expected


def test_zero_dim_tensors_count_only_when_of_a_higher_category():
    """float32 (2, 3) + float64 () -> float32; int32 (2, 3) + float64 () -> float64."""
    assert (mg.tensor(sample("float32")) + mg.tensor(np.float64(2.0))).dtype == np.float32
    assert (mg.tensor(sample("int32")) + mg.tensor(np.array(2.0))).dtype == np.float64
    assert (mg.tensor(sample("int32")) + mg.tensor(np.array(2, np.int64))).dtype == np.int32


def test_integer_results_are_exact_and_float_results_not_truncated():
    """sigmoid([1, -2]) was [0, 0] (cast back to int64); 7 // 2 style arithmetic
    stays integer: 3 * 5 - 2 is exactly 13."""
    x = mg.tensor(np.array([1, -2]))
    np.testing.assert_allclose(x.sigmoid().numpy(), 1 / (1 + np.exp([-1.0, 2.0])), rtol=1e-6)
    np.testing.assert_allclose(x.clamp(0.5).numpy(), [1.0, 0.5])
    np.testing.assert_allclose(F.softplus(x).numpy(), np.log1p(np.exp([1.0, -2.0])), rtol=1e-6)
    assert (x * 5 - 2).tolist() == [3, -12] and (x * 5 - 2).dtype == np.int64
    np.testing.assert_allclose((x / mg.tensor(np.array([2, 4]))).numpy(), [0.5, -0.5])


def test_meaningless_dtype_combinations_are_refused():
    flags = mg.tensor(np.array([True, False]))
    for call in (lambda: -flags, lambda: flags - flags, lambda: abs(flags), lambda: 1 - flags,
                 lambda: flags @ flags, lambda: flags ** flags,
                 lambda: mg.tensor(np.array([2, 3])) ** -1):
        with pytest.raises(mg.DTypeError):
            call()


def test_promotion_helpers_refuse_complex():
    with pytest.raises(mg.DTypeError, match="complex"):
        _promote.result_type("add", np.zeros(2), np.zeros(2, dtype=np.complex64))


# ----------------------------------------------------------------- PyTorch parity
def _compare_with_torch(ours_fn, torch_fn, arrays):
    """Same dtype and values as PyTorch; where PyTorch refuses an integer input,
    minigrad must either refuse too or equal PyTorch on float32 copies."""
    torch = pytest.importorskip("torch")
    ours = _run(ours_fn, *arrays)
    try:
        theirs = torch_fn(*[torch.from_numpy(np.array(a)) for a in arrays])
    except (RuntimeError, NotImplementedError, TypeError):
        if ours is None:
            return
        assert ours.dtype == np.float32, "minigrad extends PyTorch only with float32 results"
        converted = [np.asarray(a, dtype=np.float32) if a.dtype.kind in "biu" else a
                     for a in arrays]
        theirs = torch_fn(*[torch.from_numpy(a) for a in converted])
    assert ours is not None, f"minigrad refuses what PyTorch computes ({theirs.dtype})"
    theirs = theirs.detach().numpy()
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours.numpy().astype(np.float64), theirs.astype(np.float64),
                               rtol=2e-6, atol=1e-6)


@pytest.mark.parity
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_torch(name, dtype):
    fn, torch_fn, _, values = UNARY[name]
    _compare_with_torch(fn, torch_fn, [sample(dtype, values)])


@pytest.mark.parity
@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_torch(name, a, b):
    fn, torch_fn, values = BINARY[name]
    _compare_with_torch(fn, torch_fn, [sample(a, values), sample(b, values)])


@pytest.mark.parity
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(SAME_DTYPE))
def test_same_dtype_functions_match_torch(name, dtype):
    fn, torch_fn, _, values = SAME_DTYPE[name]
    _compare_with_torch(fn, torch_fn, [sample(dtype, values), sample(dtype, values)])


@pytest.mark.parity
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CLASSIFICATION))
def test_classification_losses_match_torch(name, dtype):
    fn, torch_fn = CLASSIFICATION[name]
    torch = pytest.importorskip("torch")
    _compare_with_torch(lambda x: fn(x, CLASS_TARGETS),
                        lambda t: torch_fn(t, torch.from_numpy(CLASS_TARGETS)), [sample(dtype)])


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ("int64", "float32", "float64"))
@pytest.mark.parametrize("name", sorted(SPATIAL))
def test_spatial_ops_match_torch_on_floats(name, dtype):
    ours_fn, torch_fn = SPATIAL[name]
    if dtype.startswith("float"):
        _compare_with_torch(ours_fn, torch_fn, [sample(dtype, IMAGE)])
    else:
        assert _run(ours_fn, sample(dtype, IMAGE)) is None


def test_a_cached_python_number_keeps_the_sign_of_zero_and_cannot_be_written():
    """Python numbers next to a float tensor are shared 0-d arrays (made once per
    value and dtype): 0.0 and -0.0 compare equal but must stay two numbers, and no
    op may write into the shared array."""
    x = mg.tensor([1.0, 2.0])
    assert not np.signbit((x * 0.0).numpy()).any()
    assert np.signbit((x * -0.0).numpy()).all()
    assert not np.signbit((x * 0.0).numpy()).any()  # after -0.0 was cached
    np.testing.assert_array_equal((x * 2).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal((x * 2.0).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal((x * True).numpy(), [1.0, 2.0])
    constant = _promote.scalar_operand("mul", 0.5, np.float32)
    assert constant is _promote.scalar_operand("mul", 0.5, np.float32)
    with pytest.raises(ValueError):
        constant[...] = 1.0
