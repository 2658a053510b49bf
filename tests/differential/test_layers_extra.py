"""conv1d, padding='same', interpolate and scaled_dot_product_attention against PyTorch,
values and first and second derivatives, on hypothesis-drawn shapes and options."""

import numpy as np
import pytest
from hypothesis import strategies as st

import minigrad.nn.functional as F
from minigrad.testing.strategies import float_arrays, float_dtypes, laid_out
from tests.differential.harness import Case, Example, example_ids, run_case, seeds
from tests.differential.torch_or_stub import requires_torch, torch

pytestmark = [pytest.mark.parity, requires_torch]
TF = torch.nn.functional

CONV_TOLERANCE = {np.float32: (1e-4, 1e-5), np.float64: (1e-9, 1e-11)}


@st.composite
def convolutions_1d(draw):
    dtype = draw(float_dtypes())
    groups = draw(st.sampled_from([1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel, dilation = draw(st.integers(1, 4)), draw(st.integers(1, 2))
    padding = draw(st.sampled_from([0, 1, 2, "same", "valid"]))
    stride = 1 if padding == "same" else draw(st.integers(1, 3))
    length = draw(st.integers(dilation * (kernel - 1) + 1, 9))
    shapes = [(draw(st.integers(1, 2)), c_in, length), (c_out, c_in // groups, kernel), (c_out,)]
    arrays = tuple(draw(laid_out(float_arrays(s, dtype))) for s in shapes)
    return Example(arrays, {"stride": stride, "padding": padding, "dilation": dilation,
                            "groups": groups}, draw(seeds()))


@st.composite
def same_convolutions(draw):
    dtype = draw(float_dtypes())
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = draw(st.integers(1, 2))
    shapes = [(1, 2, draw(st.integers(1, 6)), draw(st.integers(1, 6))), (3, 2) + kernel]
    arrays = tuple(draw(laid_out(float_arrays(s, dtype))) for s in shapes)
    return Example(arrays, {"padding": "same", "dilation": dilation}, draw(seeds()))


@st.composite
def resizes(draw):
    dtype = draw(float_dtypes())
    mode = draw(st.sampled_from(["nearest", "linear", "bilinear"]))
    spatial = 1 if mode == "linear" else 2 if mode == "bilinear" else draw(st.integers(1, 2))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + \
        tuple(draw(st.integers(1, 5)) for _ in range(spatial))
    params = {"mode": mode}
    if draw(st.booleans()):
        params["size"] = tuple(draw(st.integers(1, 7)) for _ in range(spatial))
    else:  # 0.5 only where it leaves at least one pixel (both raise on an empty output)
        small = min(shape[2:]) >= 2
        params["scale_factor"] = draw(st.sampled_from([0.5, 1.5, 2.0, 3.0] if small
                                                      else [1.5, 2.0, 3.0]))
    if mode != "nearest":
        params["align_corners"] = draw(st.booleans())
    return Example((draw(laid_out(float_arrays(shape, dtype))),), params, draw(seeds()))


@st.composite
def attentions(draw):
    dtype = draw(float_dtypes())
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    length, source, embed, value = (draw(st.integers(1, 4)) for _ in range(4))
    shapes = [batch + (length, embed), batch + (source, embed), batch + (source, value)]
    arrays = tuple(draw(laid_out(float_arrays(s, dtype))) for s in shapes)
    params = draw(st.sampled_from(["plain", "causal", "scale", "bool", "float"]))
    if params == "causal":
        params = {"is_causal": True}
    elif params == "scale":
        params = {"scale": 0.5}
    elif params == "bool":  # at least one key per query, so no row is all -inf
        mask = np.random.default_rng(draw(seeds())).random((length, source)) > 0.5
        mask[:, 0] = True
        params = {"attn_mask": mask}
    elif params == "float":
        params = {"attn_mask": draw(float_arrays((length, source), dtype))}
    else:
        params = {}
    return Example(arrays, params, draw(seeds()))


ATTENTION_TOLERANCE = {np.float32: (1e-4, 1e-5), np.float64: (1e-9, 1e-11)}

CASES = [
    Case("conv1d", F.conv1d, TF.conv1d, convolutions_1d(),
         covers=("Conv2d", "Conv2dWeightGrad", "ConvTranspose2d", "conv1d"),
         tolerance=CONV_TOLERANCE),
    Case("conv2d[padding=same]", F.conv2d, TF.conv2d, same_convolutions(),
         covers=("Conv2d", "conv2d"), tolerance=CONV_TOLERANCE),
    Case("interpolate", F.interpolate, TF.interpolate, resizes(), covers=("interpolate",)),
    Case("scaled_dot_product_attention", F.scaled_dot_product_attention,
         TF.scaled_dot_product_attention, attentions(),
         covers=("scaled_dot_product_attention",), tolerance=ATTENTION_TOLERANCE,
         second_order=False),  # PyTorch's CPU kernel has no second derivative
]


@pytest.mark.parametrize("case", CASES, ids=example_ids(CASES))
def test_matches_torch(case, profile):
    run_case(case, profile)
