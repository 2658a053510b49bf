"""Tensor constructors and random sampling, with PyTorch's names and argument forms.

Floating-point results default to float32. Every constructor takes `dtype=`
(anything `minigrad.dtypes.resolve_dtype` accepts), `device=` (the CPU only) and
`requires_grad=`.

Random values come from `generator=` (a `mg.Generator` or an np.random.Generator)
or, without one, from the global generator that `mg.manual_seed` seeds. How each
function draws is stated in its docstring, so the same seed gives the same values
on every machine; PyTorch's own streams are not reproduced bit for bit.
"""

from typing import NamedTuple

import numpy as np

from minigrad.device import check_device
from minigrad.dtypes import resolve_dtype
from minigrad.errors import DTypeError, ShapeError
from minigrad.rng import numpy_generator
from minigrad.tensor import Tensor

DEFAULT_DTYPE = np.float32

__all__ = [
    "tensor", "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
    "full_like", "arange", "linspace", "eye", "randn", "rand", "randn_like", "rand_like",
    "randint", "randperm", "normal", "multinomial", "histc", "histogram", "HistogramResult",
]


# ---------------------------------------------------------------- argument checks
def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _size(size_args, size, op_name):
    """The shape from `op(2, 3)`, `op((2, 3))`, `op([2, 3])` or `op(size=(2, 3))`."""
    if size is not None:
        if size_args:
            raise TypeError(f"{op_name}: give the size positionally or as size=, not both")
        size_args = (size,)
    if len(size_args) == 1 and isinstance(size_args[0], (tuple, list)):
        size_args = tuple(size_args[0])
    if not all(_is_int(n) for n in size_args):
        raise TypeError(f"{op_name}: the size must be integers, got {size_args!r}")
    if any(n < 0 for n in size_args):
        raise ValueError(f"{op_name}: dimension sizes must be non-negative, got "
                         f"{tuple(int(n) for n in size_args)}")
    return tuple(int(n) for n in size_args)


def _dtype(dtype, op_name, default=DEFAULT_DTYPE):
    resolved = resolve_dtype(dtype, op_name)
    return default if resolved is None else resolved


def _float_dtype(dtype, op_name):
    resolved = _dtype(dtype, op_name)
    if not np.issubdtype(resolved, np.floating):
        raise DTypeError(f"{op_name}: draws floating-point values; dtype "
                         f"{np.dtype(resolved)} is not a floating-point dtype")
    return resolved


def _array_of(value):
    return value._data if isinstance(value, Tensor) else np.asarray(value)


def _new(array, requires_grad, device, op_name):
    check_device(device, op_name)  # the random draws check first: a refused call draws nothing
    return Tensor(array, requires_grad=requires_grad)


def _check_count(value, name, op_name, minimum):
    if not _is_int(value):
        raise TypeError(f"{op_name}: {name} must be an int, got {type(value).__name__} "
                        f"{value!r}")
    if value < minimum:
        raise ValueError(f"{op_name}: {name} must be >= {minimum}, got {value}")
    return int(value)


# ---------------------------------------------------------------- constructors
def tensor(data, requires_grad=False, dtype=None, device=None):
    """Wrap an array, list or scalar (a copy of data is not promised; NumPy arrays
    keep their dtype). The dtype inference of Python data is Tensor's."""
    check_device(device, "tensor")
    return Tensor(data, requires_grad=requires_grad, dtype=resolve_dtype(dtype, "tensor"))


def zeros(*size_args, size=None, dtype=None, device=None, requires_grad=False):
    """All zeros of shape `size` (float32 unless dtype says otherwise)."""
    shape = _size(size_args, size, "zeros")
    return _new(np.zeros(shape, _dtype(dtype, "zeros")), requires_grad, device, "zeros")


def ones(*size_args, size=None, dtype=None, device=None, requires_grad=False):
    """All ones of shape `size`."""
    shape = _size(size_args, size, "ones")
    return _new(np.ones(shape, _dtype(dtype, "ones")), requires_grad, device, "ones")


def empty(*size_args, size=None, dtype=None, device=None, requires_grad=False):
    """A tensor of shape `size` to be overwritten. PyTorch leaves the values
    unspecified; minigrad fills zeros, so a program that reads them stays repeatable."""
    shape = _size(size_args, size, "empty")
    return _new(np.zeros(shape, _dtype(dtype, "empty")), requires_grad, device, "empty")


def _fill_dtype(fill_value):
    """PyTorch's dtype for a fill value: bool -> bool, int -> int64, else float32."""
    if isinstance(fill_value, (bool, np.bool_)):
        return np.bool_
    if _is_int(fill_value):
        return np.int64
    return DEFAULT_DTYPE


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """Shape `size` filled with `fill_value`; the dtype follows the value as in
    PyTorch (`full((2,), 7)` is int64, `full((2,), 7.0)` float32)."""
    shape = _size((size,), None, "full")
    dtype = _dtype(dtype, "full", default=_fill_dtype(fill_value))
    return _new(np.full(shape, fill_value, dtype), requires_grad, device, "full")


def _like(other, dtype, op_name):
    default = other.dtype if hasattr(other, "dtype") else DEFAULT_DTYPE
    return np.shape(other), _dtype(dtype, op_name, default=default)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False):  # noqa: A002
    """Zeros with input's shape and (unless given) dtype."""
    shape, dtype = _like(input, dtype, "zeros_like")
    return _new(np.zeros(shape, dtype), requires_grad, device, "zeros_like")


def ones_like(input, *, dtype=None, device=None, requires_grad=False):  # noqa: A002
    """Ones with input's shape and (unless given) dtype."""
    shape, dtype = _like(input, dtype, "ones_like")
    return _new(np.ones(shape, dtype), requires_grad, device, "ones_like")


def empty_like(input, *, dtype=None, device=None, requires_grad=False):  # noqa: A002
    """Like `empty` (zero-filled), with input's shape and dtype."""
    shape, dtype = _like(input, dtype, "empty_like")
    return _new(np.zeros(shape, dtype), requires_grad, device, "empty_like")


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):  # noqa: A002
    """`fill_value` with input's shape and dtype (`full_like(int_tensor, 2.7)` is 2)."""
    shape, dtype = _like(input, dtype, "full_like")
    values = np.full(shape, fill_value).astype(dtype)
    return _new(values, requires_grad, device, "full_like")


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """[start, start + step, ...) up to `end` (exclusive); `arange(n)` is 0..n-1.
    Integer arguments give int64, any float argument float32, unless dtype is set."""
    values = np.arange(start, end, step) if end is not None else np.arange(start)
    default = np.int64 if values.dtype.kind in "iu" else DEFAULT_DTYPE
    values = values.astype(_dtype(dtype, "arange", default=default))
    return _new(values, requires_grad, device, "arange")


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """`steps` evenly spaced values from start to end, both included.

    x[i] = start + i * h for i < steps / 2, and end - (steps - 1 - i) * h after,
    with h = (end - start) / (steps - 1): counting from the nearer end keeps the
    rounding error small at both ends (PyTorch's formula), computed in float64 before
    the cast to dtype (float32 by default).
    """
    steps = _check_count(steps, "steps", "linspace", minimum=0)
    start, end = float(_array_of(start)), float(_array_of(end))
    index = np.arange(steps, dtype=np.float64)
    if steps > 1:
        h = (end - start) / (steps - 1)
        values = np.where(index < steps // 2, start + index * h, end - (steps - 1 - index) * h)
    else:
        values = np.full(steps, start)
    values = values.astype(_dtype(dtype, "linspace"))
    return _new(values, requires_grad, device, "linspace")


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The (n, m) identity (m = n by default)."""
    return _new(np.eye(n, m, dtype=_dtype(dtype, "eye")), requires_grad, device, "eye")


# ---------------------------------------------------------------- random draws
def randn(*size_args, size=None, generator=None, dtype=None, device=None,
          requires_grad=False):
    """Standard normal samples N(0, 1) of shape `size`.

    Drawn as `standard_normal(size)` in float64 from the generator, then cast to dtype.
    """
    check_device(device, "randn")
    shape = _size(size_args, size, "randn")
    dtype = _float_dtype(dtype, "randn")
    values = numpy_generator(generator, "randn").standard_normal(shape).astype(dtype)
    return _new(values, requires_grad, device, "randn")


def _uniform(rng, shape, dtype):
    """U[0, 1) in dtype. NumPy draws float32 and float64 directly in [0, 1); a
    float64 draw rounded to a narrower type could reach 1.0, so it is capped."""
    if dtype in (np.float32, np.float64):
        return rng.random(shape, dtype=dtype)
    below_one = np.nextafter(dtype(1), dtype(0))
    return np.minimum(rng.random(shape), below_one).astype(dtype)


def rand(*size_args, size=None, generator=None, dtype=None, device=None,
         requires_grad=False):
    """Uniform samples on [0, 1) of shape `size`, drawn as `random(size, dtype)`."""
    check_device(device, "rand")
    shape = _size(size_args, size, "rand")
    values = _uniform(numpy_generator(generator, "rand"), shape, _float_dtype(dtype, "rand"))
    return _new(values, requires_grad, device, "rand")


def randn_like(input, *, generator=None, dtype=None, device=None,  # noqa: A002
               requires_grad=False):
    """`randn` with input's shape and (unless given) floating-point dtype."""
    shape, dtype = _like(input, dtype, "randn_like")
    return randn(shape, generator=generator, dtype=dtype, device=device,
                 requires_grad=requires_grad)


def rand_like(input, *, generator=None, dtype=None, device=None,  # noqa: A002
              requires_grad=False):
    """`rand` with input's shape and (unless given) floating-point dtype."""
    shape, dtype = _like(input, dtype, "rand_like")
    return rand(shape, generator=generator, dtype=dtype, device=device,
                requires_grad=requires_grad)


def _randint_arguments(args, low, high, size):
    """PyTorch's forms: randint(high, size), randint(low, high, size), or keywords."""
    bounds = list(args)
    if size is None:
        if not bounds:
            raise TypeError("randint: missing the size (randint(high, size) or "
                            "randint(low, high, size))")
        size = bounds.pop()
    if high is None:
        if not bounds:
            raise TypeError("randint: missing high (randint(high, size) or "
                            "randint(low, high, size))")
        high = bounds.pop()
    if low is None:
        low = bounds.pop() if bounds else 0
    if bounds:
        raise TypeError(f"randint: too many arguments {args!r}; expected "
                        f"randint(high, size) or randint(low, high, size)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint: size must be a tuple of ints, got "
                        f"{type(size).__name__} {size!r}")
    for name, bound in (("low", low), ("high", high)):
        if not _is_int(bound):
            raise TypeError(f"randint: {name} must be an int, got {type(bound).__name__} "
                            f"{bound!r}")
    return int(low), int(high), _size((tuple(size),), None, "randint")


def _check_fits(low, high, dtype, op_name):
    if dtype == np.bool_:
        lowest, highest = 0, 1
    elif np.issubdtype(dtype, np.integer):
        lowest, highest = np.iinfo(dtype).min, np.iinfo(dtype).max
    else:
        return
    if low < lowest or high - 1 > highest:
        raise ValueError(f"{op_name}: values in [{low}, {high}) do not fit in dtype "
                         f"{np.dtype(dtype)} ([{lowest}, {highest}])")


def randint(*args, low=None, high=None, size=None, generator=None, dtype=None, device=None,
            requires_grad=False):
    """Integers drawn uniformly from [low, high), of shape `size`; int64 by default.

        mg.randint(10, (3,))          # low = 0
        mg.randint(3, 10, (2, 2))
        mg.randint(0, n, (32,), generator=g)

    Drawn as `integers(low, high, size)` (int64) from the generator, then cast to dtype.
    """
    check_device(device, "randint")
    low, high, shape = _randint_arguments(args, low, high, size)
    if low >= high:
        raise ValueError(f"randint: needs low < high, got low={low}, high={high}")
    dtype = _dtype(dtype, "randint", default=np.int64)
    _check_fits(low, high, dtype, "randint")
    values = numpy_generator(generator, "randint").integers(low, high, shape, dtype=np.int64)
    return _new(values.astype(dtype), requires_grad, device, "randint")


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1 (int64), drawn as `permutation(n)`."""
    check_device(device, "randperm")
    n = _check_count(n, "n", "randperm", minimum=0)
    dtype = _dtype(dtype, "randperm", default=np.int64)
    _check_fits(0, n, dtype, "randperm")
    values = numpy_generator(generator, "randperm").permutation(n).astype(dtype)
    return _new(values, requires_grad, device, "randperm")


def _is_number(value):
    return isinstance(value, (int, float, np.number))


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Samples of N(mean, std**2), in PyTorch's two forms:

        mg.normal(mean_tensor, std_tensor_or_float)    # shape: mean and std broadcast
        mg.normal(0.0, 1.0, size=(2, 3))               # floats need a size

    x = mean + std * z, z drawn as `standard_normal(shape)` in float64, then cast to
    dtype (by default float32, or the tensors' dtype when mean or std is a tensor).
    """
    check_device(device, "normal")
    if _is_number(mean) and _is_number(std):
        if size is None:
            raise TypeError("normal: with a float mean and std, give the size: "
                            "normal(mean, std, size)")
        shape, default = _size((size,), None, "normal"), DEFAULT_DTYPE
    elif size is not None:
        raise TypeError("normal: size= goes with a float mean and std; with a tensor "
                        "mean or std the shape is theirs")
    else:
        shape, default = _normal_shape_and_dtype(mean, std)
    mean, std = _array_of(mean).astype(np.float64), _array_of(std).astype(np.float64)
    if np.any(std < 0):
        raise ValueError(f"normal: std must be >= 0, got a std of {std.min()}")
    z = numpy_generator(generator, "normal").standard_normal(shape)
    values = (mean + std * z).astype(_float_dtype(dtype or default, "normal"))
    return _new(values, requires_grad, device, "normal")


def _normal_shape_and_dtype(mean, std):
    """The broadcast shape of the tensor arguments, and their floating dtype."""
    tensors = {name: _array_of(value) for name, value in (("mean", mean), ("std", std))
               if not _is_number(value)}
    for name, values in tensors.items():
        if values.dtype.kind != "f":
            raise DTypeError(f"normal: {name} must be floating point, got dtype {values.dtype}")
    shapes = {name: np.shape(value) for name, value in (("mean", mean), ("std", std))}
    try:
        shape = np.broadcast_shapes(*shapes.values())
    except ValueError:
        raise ShapeError(f"normal: mean of shape {shapes['mean']} and std of shape "
                         f"{shapes['std']} do not broadcast") from None
    return shape, np.result_type(*tensors.values()).type


def _check_weights(weights, op_name):
    if weights.ndim not in (1, 2):
        raise ShapeError(f"{op_name}: input must be 1-D or 2-D (rows of weights), got "
                         f"shape {weights.shape}")
    if weights.dtype.kind != "f":
        raise DTypeError(f"{op_name}: input must be floating point, got dtype "
                         f"{weights.dtype}")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"{op_name}: the weights must be finite and >= 0 "
                         f"(found inf, nan or a negative element)")
    if np.any(weights.sum(axis=-1) <= 0):
        raise ValueError(f"{op_name}: every row of weights must have a positive sum")


def multinomial(input, num_samples, replacement=False, *, generator=None):  # noqa: A002
    """Category indices drawn with probabilities proportional to each row's weights.

    Shapes: input (K,) or (R, K) of weights >= 0 -> int64 (num_samples,) or
    (R, num_samples). The weights need not sum to one.

    With replacement: u ~ U[0, 1) per sample, index = the first k with
    cumsum(w)[k] > u * sum(w) (inverse CDF), u drawn as `random((R, num_samples))`.
    Without: the num_samples largest keys w_k / e_k, e_k ~ Exp(1) drawn as
    `standard_exponential((R, K))`, in decreasing order; this has the law of drawing
    one at a time from the weights of those not yet drawn (Efraimidis & Spirakis 2006,
    "Weighted random sampling with a reservoir"). As in PyTorch, when fewer than
    num_samples weights are positive, the zero-weight categories fill the remainder.
    """
    weights = _array_of(input)
    _check_weights(weights, "multinomial")
    num_samples = _check_count(num_samples, "num_samples", "multinomial", minimum=1)
    if not replacement and num_samples > weights.shape[-1]:
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without "
                         f"replacement from {weights.shape[-1]} categories")
    rows = np.atleast_2d(weights).astype(np.float64)
    rng = numpy_generator(generator, "multinomial")
    draw = _draw_with_replacement if replacement else _draw_without_replacement
    samples = draw(rows, num_samples, rng)
    return Tensor(samples if weights.ndim == 2 else samples[0])


def _draw_with_replacement(rows, num_samples, rng):
    cumulative = np.cumsum(rows, axis=1)
    u = rng.random((len(rows), num_samples))
    last_positive = rows.shape[1] - 1 - np.argmax(rows[:, ::-1] > 0, axis=1)
    samples = np.empty((len(rows), num_samples), dtype=np.int64)
    for r, cdf in enumerate(cumulative):
        # u * total can round up to the total itself: cap at the last positive weight
        chosen = np.searchsorted(cdf, u[r] * cdf[-1], side="right")
        samples[r] = np.minimum(chosen, last_positive[r])
    return samples


def _draw_without_replacement(rows, num_samples, rng):
    keys = rows / rng.standard_exponential(rows.shape)
    order = np.argsort(-keys, axis=1, kind="stable")
    return order[:, :num_samples].astype(np.int64)


class HistogramResult(NamedTuple):
    """What `histogram` returns (PyTorch's torch.return_types.histogram)."""
    hist: Tensor
    bin_edges: Tensor


def _histogram_input(input, op_name):  # noqa: A002
    values = _array_of(input)
    if values.dtype.kind != "f":
        raise DTypeError(f"{op_name}: input must be floating point, got dtype {values.dtype}")
    return values


def _count(values, edges, weights=None):
    """hist[i] = (weighted) count of edges[i] <= x < edges[i+1], the last bin closed on
    the right; values outside [edges[0], edges[-1]] and NaN are not counted."""
    inside = (values >= edges[0]) & (values <= edges[-1])
    kept = values[inside]
    kept_weights = None if weights is None else weights[inside]
    return np.histogram(kept, bins=edges, weights=kept_weights)[0]


def _data_range(values, op_name):
    low, high = float(values.min()), float(values.max())
    if not np.isfinite(low) or not np.isfinite(high):
        raise ValueError(f"{op_name}: the data's range [{low}, {high}] is not finite "
                         f"(inf or nan in the input); give the range explicitly")
    return low, high


def _edges(low, high, bins, dtype):
    return linspace(low, high, bins + 1, dtype=dtype)._data


def histc(input, bins=100, min=0, max=0):  # noqa: A002
    """Counts of input's elements in `bins` equal-width bins over [min, max].

    With min = max (the default, 0 and 0) the range is the data's [min, max], widened
    to [v - 1, v + 1] when all elements equal v. Bin i is [e_i, e_{i+1}) with the
    edges e = linspace(min, max, bins + 1) in input's dtype; the last bin includes max;
    elements outside the range are ignored. Shapes: input (any) -> (bins,), input's dtype.
    """
    values = _histogram_input(input, "histc").ravel()
    bins = _check_count(bins, "bins", "histc", minimum=1)
    low, high = float(min), float(max)
    if low > high:
        raise ValueError(f"histc: max must be >= min, got min={low}, max={high}")
    if low == high and values.size:
        low, high = _data_range(values, "histc")
    if low == high:
        low, high = low - 1, high + 1
    counts = _count(values, _edges(low, high, bins, values.dtype))
    return Tensor(counts.astype(values.dtype))


def histogram(input, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """(hist, bin_edges) of input's elements, as numpy.histogram and torch.histogram.

    bins: an int (equal-width bins over `range`, by default the data's min and max,
    widened by 0.5 on each side when they are equal) or a 1-D tensor of increasing
    edges. Bin i is [e_i, e_{i+1}), the last closed. weight: per element (input's shape).
    density: hist / (sum(hist) * bin width), a density integrating to one.
    Returns HistogramResult(hist (n_bins,), bin_edges (n_bins + 1,)), input's dtype.
    """
    values = _histogram_input(input, "histogram")
    edges = _histogram_edges(values, bins, range)
    weights = None
    if weight is not None:
        weights = _array_of(weight)
        if weights.shape != values.shape:
            raise ShapeError(f"histogram: weight has shape {weights.shape}, but input has "
                             f"shape {values.shape}")
        weights = weights.ravel()
    hist = _count(values.ravel(), edges, weights).astype(np.float64)
    if density:
        hist = hist / (hist.sum() * np.diff(edges.astype(np.float64)))
    return HistogramResult(Tensor(hist.astype(values.dtype)), Tensor(edges))


def _histogram_edges(values, bins, value_range):
    if _is_int(bins):
        bins = _check_count(bins, "bins", "histogram", minimum=1)
        if value_range is not None:
            low, high = (float(v) for v in value_range)
        elif values.size:
            low, high = _data_range(values, "histogram")
        else:
            low, high = 0.0, 0.0
        if low > high:
            raise ValueError(f"histogram: range must have min <= max, got ({low}, {high})")
        if low == high:
            low, high = low - 0.5, high + 0.5
        return _edges(low, high, bins, values.dtype)
    edges = _array_of(bins).astype(values.dtype)
    if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) < 0):
        raise ValueError(f"histogram: bins must be an int or a 1-D tensor of at least two "
                         f"increasing edges, got {edges!r}")
    return edges
