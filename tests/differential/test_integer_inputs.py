"""Integer and boolean tensors: ops that keep integers integral against PyTorch
(forward only: integers carry no gradient), and the ops that must promote an
integer input to a float (to float32, the default dtype, as torch does)."""

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import minigrad.nn.functional as F
from tests.differential.harness import Case, Example, TorchDiffers, example_ids, run_case, seeds
from tests.differential.torch_or_stub import requires_torch, torch

pytestmark = [pytest.mark.parity, requires_torch]
TF = torch.nn.functional


@st.composite
def integer_arrays(draw, count=1, dtypes=(np.int64, np.int32)):
    dtype = draw(st.sampled_from(dtypes))
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=count, max_dims=3,
                                                    min_side=0, max_side=3)).input_shapes
    elements = st.integers(-50, 50)
    arrays = tuple(draw(hnp.arrays(dtype, s, elements=elements)) for s in shapes)
    return Example(arrays, {}, draw(seeds()))


@st.composite
def class_indices(draw):
    """int64 class indices (any shape, size-0 axes too) and num_classes: -1 (inferred
    from the largest index, so not for an empty tensor), or at least that large."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
    indices = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, 4)))
    smallest = int(indices.max()) + 1 if indices.size else 0
    choices = st.integers(smallest, smallest + 2)
    num_classes = draw(choices | st.just(-1) if indices.size else choices)
    return Example((indices,), {"num_classes": num_classes}, draw(seeds()))


ZERO_CLASSES_OF_NOTHING = TorchDiffers(
    "one_hot of an empty tensor with num_classes=0: torch reads 0 as 'infer' and raises "
    "'Can not infer total number of classes'; minigrad returns the (..., 0) result asked for",
    lambda e: e.inputs[0].size == 0 and e.params["num_classes"] == 0)


def forward_only(name, minigrad, torch_fn, count=1, dtypes=(np.int64, np.int32)):
    return Case(name, minigrad, torch_fn, integer_arrays(count, dtypes), grad=False)


# ops under which integers stay integers, in both libraries
CASES = [
    forward_only("int add", lambda a, b: a + b, lambda a, b: a + b, 2),
    forward_only("int sub", lambda a, b: a - b, lambda a, b: a - b, 2),
    forward_only("int mul", lambda a, b: a * b, lambda a, b: a * b, 2),
    forward_only("int maximum", mg.maximum, torch.maximum, 2),
    forward_only("int minimum", mg.minimum, torch.minimum, 2),
    forward_only("int relu", mg.relu, torch.relu),
    forward_only("int abs", mg.abs, torch.abs),
    forward_only("int neg", lambda x: -x, lambda x: -x),
    forward_only("int sum", mg.sum, torch.sum),
    Case("one_hot", F.one_hot, TF.one_hot, class_indices(), covers=("one_hot",),
         grad=False, torch_differs=(ZERO_CLASSES_OF_NOTHING,)),
]


@pytest.mark.parametrize("case", CASES, ids=example_ids(CASES))
def test_matches_torch(case, profile):
    run_case(case, profile)


# ----------------------------------------------------------------- integers promoted to float32
INTEGERS = np.array([-3, 0, 2], dtype=np.int64)

# minigrad function, its torch twin applied to the float32 copy of the integers
TRUNCATED = {
    "sigmoid": (mg.sigmoid, torch.sigmoid),
    "softplus": (F.softplus, TF.softplus),
    "silu": (F.silu, TF.silu),
    "clamp": (lambda x: mg.clip(x, -1.5, 1.5), lambda x: torch.clamp(x, -1.5, 1.5)),
    "binary_cross_entropy_with_logits": (
        lambda x: F.binary_cross_entropy_with_logits(x, np.full(3, 0.5), reduction="none"),
        lambda x: TF.binary_cross_entropy_with_logits(x, torch.full((3,), 0.5),
                                                      reduction="none")),
}


@pytest.mark.parametrize("name", sorted(TRUNCATED))
def test_integer_input_gives_float_values(name):
    minigrad_fn, torch_fn = TRUNCATED[name]
    with np.errstate(all="ignore"):
        actual = np.asarray(minigrad_fn(mg.Tensor(INTEGERS)), dtype=np.float64)
    expected = torch_fn(torch.tensor(INTEGERS, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-7)


PROMOTED = {
    "exp": (mg.exp, torch.exp),
    "tanh": (mg.tanh, torch.tanh),
    "log": (mg.log, torch.log),
    "sqrt": (mg.sqrt, torch.sqrt),
    "erf": (F.erf, torch.erf),
    "true division": (lambda x: x / 2, lambda x: x / 2),
    "mean": (mg.mean, lambda x: torch.mean(x, dtype=torch.float32)),
    "softmax": (lambda x: F.softmax(x, dim=0), lambda x: torch.softmax(x, 0, torch.float32)),
}


@pytest.mark.parametrize("name", sorted(PROMOTED))
def test_integer_input_promotes_to_the_default_float(name):
    minigrad_fn, torch_fn = PROMOTED[name]
    with np.errstate(all="ignore"):
        actual = minigrad_fn(mg.Tensor(INTEGERS))
    expected = torch_fn(torch.tensor(INTEGERS))
    assert actual.dtype == expected.numpy().dtype
