"""Convolutions and pooling (minigrad.ops.conv, minigrad.ops.pool) against PyTorch:
strides, padding, dilation, groups, output_padding, ceil_mode, empty batches,
non-contiguous inputs, ties inside pooling windows."""

import numpy as np
import pytest
from hypothesis import strategies as st

import minigrad.nn.functional as F
from minigrad.testing.strategies import float_arrays, float_dtypes, laid_out
from tests.differential.harness import (
    Case,
    Example,
    example_ids,
    run_case,
    seeds,
)
from tests.differential.torch_or_stub import requires_torch, torch

pytestmark = [pytest.mark.parity, requires_torch]
TF = torch.nn.functional

CONV_TOLERANCE = {np.float32: (1e-4, 1e-5), np.float64: (1e-9, 1e-11)}


def output_size(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@st.composite
def convolutions(draw, bias=True):
    dtype = draw(float_dtypes())
    groups = draw(st.sampled_from([1, 1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride, dilation = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding = draw(st.integers(0, 2))
    height = draw(st.integers(1, 6))
    width = draw(st.integers(1, 6))
    if min(output_size(n, k, stride, padding, dilation)
           for n, k in zip((height, width), kernel)) < 1:
        height = width = dilation * (max(kernel) - 1) + 1
    batch = draw(st.integers(0, 2))
    shapes = [(batch, c_in, height, width), (c_out, c_in // groups) + kernel]
    shapes += [(c_out,)] if bias else []
    arrays = tuple(draw(laid_out(float_arrays(s, dtype))) for s in shapes)
    params = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    return Example(arrays, params, draw(seeds()))


@st.composite
def transposed_convolutions(draw):
    dtype = draw(float_dtypes())
    groups = draw(st.sampled_from([1, 1, 2]))
    c_in, c_out_per_group = groups * draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride, dilation = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding = draw(st.integers(0, 1))
    output_padding = draw(st.integers(0, max(stride, dilation) - 1))
    size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    if any((n - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding < 0
           for n, k in zip(size, kernel)):
        padding = 0  # an empty output: torch allows it only for an empty batch
    batch = draw(st.integers(0, 2))
    shapes = [(batch, c_in) + size, (c_in, c_out_per_group) + kernel,
              (groups * c_out_per_group,)]
    arrays = tuple(draw(laid_out(float_arrays(s, dtype))) for s in shapes)
    params = {"stride": stride, "padding": padding, "output_padding": output_padding,
              "groups": groups, "dilation": dilation}
    return Example(arrays, params, draw(seeds()))


@st.composite
def pools(draw, dilation=True, regimes=("smooth", "ties")):
    dtype = draw(float_dtypes())
    kernel = draw(st.integers(1, 3))
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    padding = draw(st.integers(0, kernel // 2))
    params = {"kernel_size": kernel, "stride": stride, "padding": padding,
              "ceil_mode": draw(st.booleans())}
    if dilation:
        params["dilation"] = draw(st.integers(1, 2))
    span = params.get("dilation", 1) * (kernel - 1) + 1
    shape = (draw(st.integers(0, 2)), draw(st.integers(1, 2)),
             draw(st.integers(span, 6)), draw(st.integers(span, 6)))
    regime = draw(st.sampled_from(regimes))
    return Example((draw(laid_out(float_arrays(shape, dtype, regime))),), params,
                   draw(seeds()))


def avg_pools():
    return st.tuples(pools(dilation=False), st.booleans()).map(
        lambda pair: Example(pair[0].inputs,
                             {**pair[0].params, "count_include_pad": pair[1]}, pair[0].seed))


@st.composite
def adaptive_pools(draw):
    dtype = draw(float_dtypes())
    shape = (draw(st.integers(0, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 6)),
             draw(st.integers(1, 6)))
    size = draw(st.tuples(st.integers(1, 4), st.integers(1, 4) | st.none()))
    return Example((draw(laid_out(float_arrays(shape, dtype))),), {"output_size": size},
                   draw(seeds()))


# name, minigrad, torch, examples, covers (ops of OP_REGISTRY / names of F)
CASES = [
    Case("conv2d", F.conv2d, TF.conv2d, convolutions(),
         covers=("Conv2d", "Conv2dWeightGrad", "ConvTranspose2d", "conv2d"),
         tolerance=CONV_TOLERANCE),
    Case("conv2d[no bias]", F.conv2d, TF.conv2d, convolutions(bias=False),
         covers=("Conv2d", "conv2d"), tolerance=CONV_TOLERANCE),
    Case("conv_transpose2d", F.conv_transpose2d, TF.conv_transpose2d,
         transposed_convolutions(),
         covers=("ConvTranspose2d", "Conv2d", "Conv2dWeightGrad", "conv_transpose2d"),
         tolerance=CONV_TOLERANCE),
    Case("max_pool2d", F.max_pool2d, TF.max_pool2d, pools(),
         covers=("MaxPool2d", "MaxPool2dGather", "MaxPool2dScatter", "max_pool2d")),
    Case("avg_pool2d", F.avg_pool2d, TF.avg_pool2d, avg_pools(),
         covers=("AvgPool2d", "AvgPool2dAdjoint", "avg_pool2d")),
    Case("adaptive_avg_pool2d", F.adaptive_avg_pool2d, TF.adaptive_avg_pool2d,
         adaptive_pools(),
         covers=("AdaptiveAvgPool2d", "AdaptiveAvgPool2dAdjoint", "adaptive_avg_pool2d")),
]


@pytest.mark.parametrize("case", CASES, ids=example_ids(CASES))
def test_matches_torch(case, profile):
    run_case(case, profile)

