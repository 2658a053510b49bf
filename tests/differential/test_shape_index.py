"""Shape ops (minigrad.ops.shape), indexing (minigrad.ops.index) and matrix
products (minigrad.ops.linalg) against PyTorch."""

import numpy as np
import pytest
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.ops import shape as shape_ops
from minigrad.testing.strategies import (
    float_arrays,
    float_dtypes,
    laid_out,
    shapes_with_empty,
)
from tests.differential.harness import Case, Example, example_ids, run_case, seeds
from tests.differential.torch_or_stub import requires_torch, torch

pytestmark = [pytest.mark.parity, requires_torch]


def one_array(draw, min_dims=0, max_dims=3, allow_empty=True, regime="smooth"):
    shape = draw(shapes_with_empty(min_dims, max_dims) if allow_empty else
                 st.lists(st.integers(1, 3), min_size=min_dims, max_size=max_dims).map(tuple))
    return draw(laid_out(float_arrays(shape, draw(float_dtypes()), regime)))


@st.composite
def reshapes(draw):
    x = one_array(draw)
    sizes = [n for n in x.shape if n != 1] + [1] * draw(st.integers(0, 1))
    order = draw(st.permutations(sizes))
    if order and draw(st.booleans()) and x.size:
        position = draw(st.integers(0, len(order) - 1))
        order = order[:position] + [-1] + order[position + 1:]
    return Example((x,), {"shape": tuple(order)}, draw(seeds()))


@st.composite
def permutations(draw):
    """Valid axes (some negative), and now and then invalid ones (a repeated axis
    spelled two ways, a wrong count), which both libraries must reject."""
    x = one_array(draw)
    axes = tuple(draw(st.permutations(range(x.ndim))))
    negative = tuple(a - x.ndim if draw(st.booleans()) else a for a in axes)
    if x.ndim and draw(st.integers(0, 4)) == 0:
        negative = tuple(draw(st.lists(st.integers(-x.ndim, x.ndim - 1),
                                       min_size=x.ndim - 1, max_size=x.ndim + 1)))
    return Example((x,), {"axes": negative}, draw(seeds()))


@st.composite
def transposes(draw):
    x = one_array(draw, min_dims=1)
    pick = st.integers(-x.ndim, x.ndim - 1)
    return Example((x,), {"dim0": draw(pick), "dim1": draw(pick)}, draw(seeds()))


@st.composite
def broadcasts(draw):
    x = one_array(draw)
    extra = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    target = extra + tuple(draw(st.integers(0, 3)) if n == 1 else n for n in x.shape)
    return Example((x,), {"shape": target}, draw(seeds()))


@st.composite
def sums_to(draw):
    x = one_array(draw)
    kept = tuple(1 if draw(st.booleans()) else n for n in x.shape)
    return Example((x,), {"shape": kept[draw(st.integers(0, len(kept))):]}, draw(seeds()))


@st.composite
def squeezes(draw):
    x = one_array(draw)
    axis = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1))) if x.ndim else None
    return Example((x,), {"axis": axis}, draw(seeds()))


@st.composite
def unsqueezes(draw):
    x = one_array(draw)
    return Example((x,), {"axis": draw(st.integers(-x.ndim - 1, x.ndim))}, draw(seeds()))


@st.composite
def flattens(draw):
    x = one_array(draw, min_dims=1)
    start = draw(st.integers(0, x.ndim - 1))
    end = draw(st.integers(start, x.ndim - 1))
    return Example((x,), {"start_dim": start, "end_dim": end}, draw(seeds()))


@st.composite
def joins(draw, stacking=False):
    x = one_array(draw, min_dims=1)
    dtype, count = x.dtype, draw(st.integers(1, 3))
    axis = draw(st.integers(-x.ndim - stacking, x.ndim - 1 + stacking))
    arrays = [x]
    for _ in range(count - 1):
        shape = list(x.shape)
        if not stacking:
            shape[axis] = draw(st.integers(0, 3))
        arrays.append(draw(laid_out(float_arrays(tuple(shape), dtype))))
    return Example(tuple(arrays), {"axis": axis}, draw(seeds()))


@st.composite
def pads(draw):
    x = one_array(draw, min_dims=1)
    widths = draw(st.lists(st.integers(0, 2), min_size=2, max_size=2 * x.ndim).filter(
        lambda w: len(w) % 2 == 0))
    return Example((x,), {"pad": tuple(widths), "value": draw(st.sampled_from([0.0, -1.5]))},
                   draw(seeds()))


@st.composite
def basic_indices(draw):
    x = one_array(draw, min_dims=1, allow_empty=False)
    index = []
    for n in x.shape[:draw(st.integers(1, x.ndim))]:
        index.append(draw(st.one_of(
            st.integers(-n, n - 1),
            st.builds(slice, st.none() | st.integers(-n, n), st.none() | st.integers(-n, n),
                      st.none() | st.sampled_from([1, 2])))))
    return Example((x,), {"index": tuple(index)}, draw(seeds()))


@st.composite
def advanced_indices(draw):
    """Integer arrays (with repeats, negative entries) or a boolean mask."""
    x = one_array(draw, min_dims=1, allow_empty=False)
    if draw(st.booleans()):
        mask = np.asarray(draw(st.lists(st.booleans(), min_size=x.shape[0],
                                        max_size=x.shape[0])))
        return Example((x,), {"index": mask}, draw(seeds()))
    n = x.shape[0]
    rows = np.asarray(draw(st.lists(st.integers(-n, n - 1), max_size=5)), dtype=np.int64)
    return Example((x,), {"index": rows}, draw(seeds()))


@st.composite
def index_puts(draw):
    x = one_array(draw, min_dims=1, allow_empty=False)
    n = x.shape[0]
    rows = np.asarray(draw(st.lists(st.integers(0, n - 1), max_size=n, unique=True)),
                      dtype=np.int64)
    value = draw(laid_out(float_arrays((len(rows),) + x.shape[1:], x.dtype)))
    return Example((x, value), {"index": rows}, draw(seeds()))


@st.composite
def embeddings(draw):
    """A table of rows and integer indices into it (repeats, any shape), maybe with a
    padding row whose gradient must stay zero."""
    dtype = draw(float_dtypes())
    rows = draw(st.integers(1, 5))
    table = draw(laid_out(float_arrays((rows, draw(st.integers(1, 3))), dtype)))
    # no empty index: torch's embedding backward cannot reshape zero rows (a torch limit)
    index_shape = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    index = np.asarray(draw(st.lists(st.integers(0, rows - 1), min_size=int(np.prod(
        index_shape)), max_size=int(np.prod(index_shape)))), dtype=np.int64)
    padding = draw(st.one_of(st.none(), st.integers(0, rows - 1)))
    return Example((table,), {"index": index.reshape(index_shape), "padding_idx": padding},
                   draw(seeds()))


def torch_put(x, value, index):
    y = x.clone()
    y[index] = value
    return y


@st.composite
def matmuls(draw):
    """Operands for every matmul form: vector.vector, matrix.vector, batched with
    broadcasting batch axes, size-0 inner or outer sizes."""
    dtype = draw(float_dtypes())
    n, k, m = (draw(st.integers(0, 3)) for _ in range(3))
    batch_a, batch_b = draw(st.sampled_from([((), ()), ((2,), ()), ((), (2,)),
                                             ((2, 1), (3,)), ((1,), (2,))]))
    shape_a = draw(st.sampled_from([(k,), batch_a + (n, k)]))
    shape_b = draw(st.sampled_from([(k,), batch_b + (k, m)]))
    arrays = [draw(laid_out(float_arrays(s, dtype))) for s in (shape_a, shape_b)]
    return Example(tuple(arrays), {}, draw(seeds()))


@st.composite
def linears(draw, bias=True):
    dtype = draw(float_dtypes())
    leading = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    k, m = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    shapes = [leading + (k,), (m, k)] + ([(m,)] if bias else [])
    arrays = [draw(laid_out(float_arrays(s, dtype))) for s in shapes]
    return Example(tuple(arrays), {}, draw(seeds()))


MATMUL_TOLERANCE = {np.float32: (1e-5, 1e-5), np.float64: (1e-10, 1e-12)}

# name, minigrad, torch, examples, covers (ops of OP_REGISTRY / names of F)
CASES = [
    Case("reshape", lambda x, shape: mg.ops.reshape(x, shape),
         lambda x, shape: torch.reshape(x, shape), reshapes(), covers=("Reshape",)),
    Case("permute", lambda x, axes: mg.ops.permute(x, axes),
         lambda x, axes: torch.permute(x, axes), permutations(), covers=("Permute",)),
    Case("transpose", lambda x, dim0, dim1: mg.ops.transpose(x, dim0, dim1), torch.transpose,
         transposes(), covers=("Permute",)),
    Case("broadcast_to", lambda x, shape: mg.ops.broadcast_to(x, shape),
         lambda x, shape: torch.broadcast_to(x, shape),
         broadcasts(), covers=("BroadcastTo", "SumTo")),
    Case("expand", lambda x, shape: mg.ops.expand(x, *shape),
         lambda x, shape: x.expand(shape), broadcasts(), covers=("BroadcastTo",)),
    Case("sum_to", lambda x, shape: shape_ops.sum_to(x, shape),
         lambda x, shape: x.sum_to_size(shape) if len(shape) == x.ndim
         else x.sum_to_size(shape).reshape(shape) if shape else x.sum(),
         sums_to(), covers=("SumTo", "BroadcastTo")),
    Case("squeeze", lambda x, axis: mg.ops.squeeze(x, axis),
         lambda x, axis: x.squeeze() if axis is None else x.squeeze(axis), squeezes(),
         covers=("Reshape",)),
    Case("unsqueeze", lambda x, axis: mg.ops.unsqueeze(x, axis), torch.unsqueeze,
         unsqueezes(), covers=("Reshape",)),
    Case("flatten", mg.ops.flatten, torch.flatten, flattens(), covers=("Reshape",)),
    Case("cat", lambda *xs, axis: mg.ops.cat(list(xs), axis=axis),
         lambda *xs, axis: torch.cat(xs, dim=axis), joins(), covers=("Concatenate",)),
    Case("stack", lambda *xs, axis: mg.ops.stack(list(xs), axis=axis),
         lambda *xs, axis: torch.stack(xs, dim=axis), joins(stacking=True),
         covers=("Concatenate",)),
    Case("pad", lambda x, pad, value: mg.ops.pad(x, pad, value=value),
         lambda x, pad, value: torch.nn.functional.pad(x, pad, value=value), pads(),
         covers=("Pad",)),
    Case("F.pad", lambda x, pad, value: F.pad(x, pad, value=value),
         lambda x, pad, value: torch.nn.functional.pad(x, pad, value=value), pads(),
         covers=("Pad", "pad")),
    Case("getitem[basic]", lambda x, index: x[index], lambda x, index: x[index],
         basic_indices(), covers=("GetItem", "IndexAdd")),
    Case("getitem[advanced]", lambda x, index: x[index], lambda x, index: x[index],
         advanced_indices(), covers=("GetItem", "IndexAdd")),
    Case("index_put", lambda x, value, index: mg.ops.index_put(x, index, value), torch_put,
         index_puts(), covers=("IndexPut", "GetItem")),
    Case("embedding", lambda weight, index, padding_idx: F.embedding(index, weight, padding_idx),
         lambda weight, index, padding_idx: torch.nn.functional.embedding(index, weight,
                                                                           padding_idx),
         embeddings(), covers=("GetItem", "IndexAdd", "embedding")),
    Case("matmul", mg.matmul, torch.matmul, matmuls(), covers=("MatMul",),
         tolerance=MATMUL_TOLERANCE),
    Case("linear", F.linear, torch.nn.functional.linear, linears(),
         covers=("FusedLinear", "linear"), tolerance=MATMUL_TOLERANCE),
    Case("linear[no bias]", F.linear, torch.nn.functional.linear, linears(bias=False),
         covers=("MatMul", "linear"), tolerance=MATMUL_TOLERANCE),
]


@pytest.mark.parametrize("case", CASES, ids=example_ids(CASES))
def test_matches_torch(case, profile):
    run_case(case, profile)
