"""Hypothesis strategies for shapes and arrays, shared by minigrad's tests and by
anyone writing gradient tests for their own layers.

    from hypothesis import given
    from minigrad.testing.strategies import arrays, broadcastable_shapes

Shapes favour the awkward cases: size-1 axes, odd sizes, 0-d and 1-d tensors.
Values stay away from 0 and from huge magnitudes unless asked, so that finite
differences in float64 are accurate.
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = ["shapes", "broadcastable_shapes", "arrays", "array_pairs", "axes_for"]


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    """Array shapes with small, often odd, sides (size-1 axes included)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(min_dims=0, max_dims=3, max_side=4):
    """Pairs (shape_a, shape_b) that broadcast together, with stretched size-1 axes
    and differing ranks."""
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=min_dims,
                                             max_dims=max_dims, max_side=max_side).map(
        lambda result: result.input_shapes)


def arrays(shape, dtype=np.float64, low=-2.0, high=2.0, avoid_zero=False):
    """Float arrays with values in [low, high]; avoid_zero keeps |x| >= 0.1 (for
    ops with a kink or a pole at 0)."""
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    if avoid_zero:
        elements = elements.filter(lambda v: abs(v) >= 0.1)
    strategy = shape if isinstance(shape, st.SearchStrategy) else st.just(tuple(shape))
    return strategy.flatmap(lambda s: hnp.arrays(dtype, s, elements=elements))


def array_pairs(dtype=np.float64, low=-2.0, high=2.0, avoid_zero=False, max_dims=3):
    """Two arrays of mutually broadcastable shapes."""
    return broadcastable_shapes(max_dims=max_dims).flatmap(
        lambda pair: st.tuples(arrays(pair[0], dtype, low, high, avoid_zero),
                               arrays(pair[1], dtype, low, high, avoid_zero)))


def axes_for(shape):
    """None, a single axis (possibly negative) or a tuple of distinct axes of `shape`."""
    ndim = len(shape)
    if ndim == 0:
        return st.just(None)
    single = st.integers(-ndim, ndim - 1)
    several = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                       unique=True).map(tuple)
    return st.one_of(st.just(None), single, several)
