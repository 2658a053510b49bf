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

__all__ = ["shapes", "broadcastable_shapes", "arrays", "array_pairs", "axes_for",
           "FLOAT_DTYPES", "VALUE_REGIMES", "LAYOUTS", "float_dtypes", "shapes_with_empty",
           "special_values", "elements", "float_arrays", "with_layout", "laid_out",
           "broadcasting_arrays"]


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


# ----------------------------------------------------------------- differential testing
# The strategies below feed tests that compare minigrad with another library
# (tests/differential compares with PyTorch): they go after the awkward cases on
# purpose, where the ones above avoid them for finite differences' sake.

FLOAT_DTYPES = (np.float32, np.float64)
VALUE_REGIMES = ("smooth", "ties", "extreme", "nonfinite")
LAYOUTS = ("contiguous", "transposed", "strided", "reversed")


def float_dtypes():
    """float32 or float64."""
    return st.sampled_from(FLOAT_DTYPES)


def shapes_with_empty(min_dims=0, max_dims=3, max_side=3):
    """Shapes that may have size-0 axes, next to size-1 axes and 0-d."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0,
                            max_side=max_side)


def special_values(dtype, low=-np.inf, high=np.inf):
    """The floats that break formulas: signed zeros, the smallest normal and subnormal
    numbers, large ones whose ulp exceeds 1 (1e8), the largest finite ones, inf and
    NaN, restricted to [low, high] (NaN is always included)."""
    info = np.finfo(dtype)
    candidates = [0.0, -0.0, 1.0, -1.0, 1e8, -1e8, float(info.tiny), -float(info.tiny),
                  float(info.smallest_subnormal), -float(info.smallest_subnormal),
                  float(info.max), -float(info.max), float(info.max) / 4,
                  -float(info.max) / 4, np.inf, -np.inf]
    return [v for v in candidates if low <= v <= high] + [np.nan]


def elements(dtype=np.float64, regime="smooth", low=-3.0, high=3.0):
    """Scalar floats for an array of `dtype`.

    regime: 'smooth'    values in [low, high];
            'ties'      a few round values in [low, high], so equal entries (ties of
                        max/min, kinks at 0) are frequent;
            'extreme'   smooth values mixed with special_values (huge, tiny, inf, NaN);
            'nonfinite' smooth values mixed with 0, inf and NaN only (no huge finite
                        values, whose sums depend on the summation order).
    """
    smooth = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    if regime == "smooth":
        return smooth
    if regime == "ties":
        grid = [v for v in (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0) if low <= v <= high]
        return st.sampled_from(grid or [low])
    if regime == "extreme":
        return st.one_of(smooth, st.sampled_from(special_values(dtype, low, high)))
    if regime == "nonfinite":
        specials = [v for v in (0.0, np.inf, -np.inf) if low <= v <= high] + [np.nan]
        return st.one_of(smooth, st.sampled_from(specials))
    raise ValueError(f"elements: regime must be one of {VALUE_REGIMES}, got {regime!r}")


def float_arrays(shape, dtype=np.float64, regime="smooth", low=-3.0, high=3.0):
    """Arrays of `dtype` (float32 or float64) and `shape` (a tuple or a strategy),
    with elements(dtype, regime, low, high)."""
    shape_strategy = shape if isinstance(shape, st.SearchStrategy) else st.just(tuple(shape))
    values = elements(dtype, regime, low, high)
    return shape_strategy.flatmap(
        lambda s: hnp.arrays(np.float64, s, elements=values).map(
            lambda a: a.astype(dtype)))


def with_layout(array, layout):
    """The same values and shape in another memory layout:
    'contiguous' (C order), 'transposed' (Fortran order, as x.T.T of a copy),
    'strided' (every other element of a wider buffer along the last axis),
    'reversed' (negative strides along the last axis)."""
    if layout == "contiguous" or array.ndim == 0:
        return np.array(array, order="C")  # (ascontiguousarray makes 0-d 1-d)
    if layout == "transposed":
        return np.asfortranarray(array)
    if layout == "strided":
        wide = np.zeros(array.shape[:-1] + (2 * array.shape[-1],), dtype=array.dtype)
        wide[..., ::2] = array
        return wide[..., ::2]
    if layout == "reversed":
        return np.ascontiguousarray(array[..., ::-1])[..., ::-1]
    raise ValueError(f"with_layout: layout must be one of {LAYOUTS}, got {layout!r}")


def laid_out(array_strategy):
    """Arrays from array_strategy, each in a randomly drawn memory layout."""
    return st.tuples(array_strategy, st.sampled_from(LAYOUTS)).map(
        lambda pair: with_layout(*pair))


@st.composite
def broadcasting_arrays(draw, count=2, dtype=None, regime=None, low=-3.0, high=3.0,
                        max_dims=3, max_side=3, allow_empty=True):
    """`count` float arrays of one dtype whose shapes broadcast together (differing
    ranks, stretched size-1 axes, size-0 axes unless allow_empty=False), each in its
    own memory layout. dtype and regime (see `elements`) are drawn when None."""
    dtype = draw(float_dtypes()) if dtype is None else dtype
    regime = draw(st.sampled_from(VALUE_REGIMES)) if regime is None else regime
    shapes = draw(hnp.mutually_broadcastable_shapes(
        num_shapes=count, min_dims=0, max_dims=max_dims, min_side=0 if allow_empty else 1,
        max_side=max_side)).input_shapes
    return tuple(draw(laid_out(float_arrays(s, dtype, regime, low, high))) for s in shapes)
