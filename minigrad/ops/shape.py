"""Shape ops: they move or copy values without arithmetic.

Their gradients are the inverse movement: reshape back, permute back, sum over
what broadcasting copied, slice out what concatenation or padding added.
"""

import numpy as np

from minigrad.autograd import Function
from minigrad.errors import AxisError, ShapeError
from minigrad.ops._args import check_integer, normalize_axis, normalize_single_axis, pick
from minigrad.ops._promote import promoted
from minigrad.tensor import Tensor


class Reshape(Function):
    """y = x with a new shape (same elements, C order).   dx = reshape(dy, x.shape)."""

    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        try:
            y = x.reshape(shape)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into shape {tuple(shape)}"
            ) from None
        ctx.is_view = np.may_share_memory(x, y)  # non-contiguous inputs get copied
        return y

    @staticmethod
    def backward(ctx, grad):
        return reshape(grad, ctx.input_shape), None


class Permute(Function):
    """y = x with axes reordered: y.shape[i] = x.shape[axes[i]].   dx = permute(dy, axes^-1)."""

    is_view = True

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, grad):
        return permute(grad, tuple(np.argsort(ctx.axes))), None


class BroadcastTo(Function):
    """y = x stretched to `shape` by broadcasting.   dx = sum of dy over the copies."""

    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        broadcast_to_check(x.shape, shape)
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return sum_to(grad, ctx.input_shape), None


class SumTo(Function):
    """y = x summed over the axes broadcasting added or stretched, so y.shape == shape.

    The adjoint of BroadcastTo:  dx = broadcast_to(dy, x.shape).
    """

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        leading = x.ndim - len(shape)
        stretched = tuple(i + leading for i, n in enumerate(shape) if n == 1 and
                          x.shape[i + leading] != 1)
        summed = x.sum(axis=tuple(range(leading)) + stretched, keepdims=True)
        return summed.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return broadcast_to(grad, ctx.input_shape), None


class Concatenate(Function):
    """y = [x_1, x_2, ...] joined along `axis`.   dx_k = the matching slice of dy."""

    @staticmethod
    def forward(ctx, *arrays, axis=0):
        ctx.axis = axis
        ctx.sizes = [a.shape[axis] for a in arrays]
        return np.concatenate(promoted("concatenate", *arrays), axis=axis)

    @staticmethod
    def backward(ctx, grad):
        grads, start = [], 0
        index = [slice(None)] * grad.ndim
        for size in ctx.sizes:
            index[ctx.axis] = slice(start, start + size)
            grads.append(grad[tuple(index)])
            start += size
        return tuple(grads)


class Pad(Function):
    """y = x surrounded by a constant.   dx = the centre slice of dy.

    pad_width: ((before_0, after_0), (before_1, after_1), ...) as in np.pad.
    """

    @staticmethod
    def forward(ctx, x, pad_width, value):
        ctx.centre = tuple(slice(before, before + n) for (before, _), n in
                            zip(pad_width, x.shape))
        return np.pad(x, pad_width, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.centre], None, None


# ----------------------------------------------------------------- checks
def broadcast_to_check(shape, target):
    try:
        fits = len(target) >= len(shape) and np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {tuple(shape)} to "
                         f"{tuple(target)}")


def _shape_arg(op, shape, name="size"):
    """Accept reshape(2, 3) as well as reshape((2, 3)); every entry an integer."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(check_integer(op, name, n) for n in shape)


# ----------------------------------------------------------------- functions
def reshape(x, *shape):
    """Same elements in a new shape; one entry may be -1 (inferred)."""
    shape = _shape_arg("reshape", shape)
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape)


view = reshape


def permute(x, *axes):
    """Reorder the axes: permute(x, (1, 0)) is the transpose of a matrix.
    Negative axes count from the end; each axis must appear exactly once."""
    axes = _shape_arg("permute", axes, "axis")
    if len(axes) != x.ndim:
        raise ShapeError(f"permute: axes {axes} are not a permutation of the {x.ndim} "
                         f"axes of a tensor of shape {x.shape} (got {len(axes)} axes)")
    normalized = tuple(normalize_single_axis("permute", x.ndim, a) for a in axes)
    if len(set(normalized)) != len(normalized):
        raise AxisError(f"permute: repeated axis in {axes} (tensor of shape {x.shape}); "
                        "each axis must appear exactly once")
    return Permute.apply(x, normalized)


def transpose(x, dim0=None, dim1=None):
    """Swap two axes (PyTorch), or reverse all axes when none are given (NumPy)."""
    if dim0 is None and dim1 is None:
        return permute(x, tuple(reversed(range(x.ndim))))
    if isinstance(dim0, (tuple, list)):
        return permute(x, tuple(dim0))
    axes = list(range(x.ndim))
    dim0 = normalize_single_axis("transpose", x.ndim, dim0)
    dim1 = normalize_single_axis("transpose", x.ndim, dim1)
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return Permute.apply(x, tuple(axes))


def broadcast_to(x, shape):
    shape = tuple(shape)
    if shape == x.shape:
        return x
    return BroadcastTo.apply(x, shape)


def expand(x, *sizes):
    """PyTorch's expand: broadcast_to where -1 keeps that axis's size (only for the
    existing axes: a new leading axis needs its size)."""
    sizes = _shape_arg("expand", sizes)
    offset = len(sizes) - x.ndim
    for i, n in enumerate(sizes):
        if n < -1 or (n == -1 and i < offset):
            where = "a new leading dimension" if i < offset else "an existing dimension"
            raise ShapeError(f"expand: size {n} at position {i} of {sizes} is not allowed "
                             f"in {where} (tensor of shape {x.shape}); -1 keeps an "
                             "existing dimension's size")
    shape = tuple(x.shape[i - offset] if n == -1 else n for i, n in enumerate(sizes))
    return broadcast_to(x, shape)


def sum_to(x, shape):
    """Sum x down to `shape` (the gradient of broadcasting)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return SumTo.apply(x, shape)


def squeeze(x, axis=None, *, dim=None):
    """Remove size-1 axes (all of them, or the ones named)."""
    axes = normalize_axis("squeeze", x.shape, pick(axis, dim, None))
    if axes is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    axes = tuple(a for a in axes if x.shape[a] == 1)  # PyTorch: others are left alone
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def unsqueeze(x, axis=None, *, dim=None):
    """Insert a size-1 axis at position `axis` of the result."""
    axis = pick(axis, dim, None)
    if axis is None:
        raise TypeError("unsqueeze: missing the axis (dim) argument")
    axis = normalize_single_axis("unsqueeze", x.ndim + 1, axis)
    shape = list(x.shape)
    shape.insert(axis, 1)
    return reshape(x, tuple(shape))


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes start_dim..end_dim (inclusive) into one."""
    if x.ndim == 0:
        return reshape(x, (1,))
    start = normalize_single_axis("flatten", x.ndim, start_dim)
    end = normalize_single_axis("flatten", x.ndim, end_dim)
    merged = int(np.prod(x.shape[start:end + 1], dtype=np.int64))
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


def concatenate(tensors, axis=0, *, dim=None):
    """Join tensors along an existing axis."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    axis = normalize_single_axis("concatenate", tensors[0].ndim, pick(axis, dim, 0))
    reference = tensors[0].shape
    for index, t in enumerate(tensors):
        if t.ndim != len(reference) or any(
                n != m for i, (n, m) in enumerate(zip(t.shape, reference)) if i != axis):
            raise ShapeError(
                f"concatenate: tensor {index} has shape {t.shape} but tensor 0 has shape "
                f"{reference}; all dimensions except axis {axis} must match"
            )
    return Concatenate.apply(*tensors, axis=axis)


cat = concatenate


def stack(tensors, axis=0, *, dim=None):
    """Join tensors of equal shape along a new axis."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    for index, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ShapeError(f"stack: tensor {index} has shape {t.shape} but tensor 0 has "
                             f"shape {tensors[0].shape}; all must be equal")
    axis = pick(axis, dim, 0)
    return concatenate([unsqueeze(t, axis) for t in tensors], axis=axis)


def pad(x, pad, mode="constant", value=0.0):
    """Constant padding, in either convention:

    - PyTorch (a flat tuple, last axis first): pad=(left, right, top, bottom) pads
      the last axis by (left, right) and the one before by (top, bottom).
    - NumPy (np.pad's pad_width): an int, or one (before, after) pair per axis.
    """
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    pad_width = _pad_width(x.shape, pad)
    return Pad.apply(x, pad_width, value)


def _pad_width(shape, pad):
    ndim = len(shape)
    if not isinstance(pad, (tuple, list)):
        pad = check_integer("pad", "pad", pad)
        return tuple((pad, pad) for _ in range(ndim))
    pad = tuple(pad)
    for item in pad:
        for n in item if isinstance(item, (tuple, list)) else (item,):
            check_integer("pad", "padding", n)
    if pad and isinstance(pad[0], (tuple, list)):
        if len(pad) != ndim:
            raise ShapeError(f"pad: got {len(pad)} (before, after) pairs for a tensor of "
                             f"shape {shape}; need one per axis")
        widths = tuple((int(b), int(a)) for b, a in pad)
    else:
        if len(pad) % 2 or len(pad) // 2 > ndim:
            raise ShapeError(f"pad: PyTorch-style pad {pad} needs an even number of "
                             f"entries, at most 2 * ndim = {2 * ndim}")
        pairs = [(int(pad[i]), int(pad[i + 1])) for i in range(0, len(pad), 2)]
        widths = tuple([(0, 0)] * (ndim - len(pairs)) + pairs[::-1])
    if any(b < 0 or a < 0 for b, a in widths):
        raise ShapeError(f"pad: negative padding {pad} is not supported")
    return widths


# ----------------------------------------------------------------- slicing along one axis
# These are compositions of slicing (x[...], the differentiable GetItem of ops/index.py)
# and concatenation: their gradients, of any order, come from those two ops.
def along(ndim, dim, item):
    """The index that applies `item` (a slice, an int, an integer array) to axis `dim`
    and takes every other axis whole: x[along(x.ndim, 1, i)] is x[:, i]."""
    return (slice(None),) * dim + (item,) + (slice(None),) * (ndim - dim - 1)


def narrow(x, dim, start, length):
    """y = x[..., start:start + length, ...] along `dim` (a view, as PyTorch's narrow).
    A negative start counts from the end.   Shapes: x (..., n, ...) -> (..., length, ...)."""
    dim = normalize_single_axis("narrow", x.ndim, dim)
    size = x.shape[dim]
    start = check_integer("narrow", "start", start)
    length = check_integer("narrow", "length", length)
    if not -size <= start <= size:
        raise IndexError(f"narrow: start {start} is out of range for dimension {dim} of "
                         f"size {size} (tensor of shape {x.shape}; expected "
                         f"{-size}..{size})")
    start %= size if size else 1
    if length < 0 or start + length > size:
        raise ShapeError(f"narrow: start {start} + length {length} exceeds dimension "
                         f"{dim} of size {size} (tensor of shape {x.shape}); expected "
                         f"0 <= length <= {size - start}")
    return x[along(x.ndim, dim, slice(start, start + length))]


def flip(x, dims):
    """y = x reversed along each of `dims`:  y[..., i, ...] = x[..., n - 1 - i, ...].
    Shapes: x (any) -> y (same). Its gradient is the same flip of dy."""
    axes = normalize_axis("flip", x.shape, dims)
    index = tuple(slice(None, None, -1) if axis in axes else slice(None)
                  for axis in range(x.ndim))
    return x[index]


def roll(x, shifts, dims=None):
    """y[..., (i + s) % n, ...] = x[..., i, ...] along each dim (PyTorch's roll); with
    dims=None x is rolled as a flat vector and keeps its shape.
    Shapes: x (any) -> y (same)."""
    if dims is None:
        shift = check_integer("roll", "shifts", shifts if np.ndim(shifts) == 0
                              else _only("roll", "shifts", shifts))
        return reshape(roll(reshape(x, (-1,)), shift, 0), x.shape)
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise ShapeError(f"roll: got {len(shifts)} shifts {shifts} for {len(dims)} dims "
                         f"{dims}; give one shift per dim")
    for shift, dim in zip(shifts, dims):
        dim = normalize_single_axis("roll", x.ndim, dim)
        size = x.shape[dim]
        shift = check_integer("roll", "shifts", shift) % size if size else 0
        if shift:  # the last `shift` entries move to the front
            x = concatenate([narrow(x, dim, size - shift, shift),
                             narrow(x, dim, 0, size - shift)], axis=dim)
    return x


def _only(op, name, values):
    if len(values) != 1:
        raise ShapeError(f"{op}: with dims=None, {name} must be a single number, "
                         f"got {tuple(values)}")
    return values[0]


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of `tensor` along `dim`: of split_size each (the last may be smaller), or
    of the given section sizes, which must add up to the dimension's size.
    Returns a tuple of views; the gradient of each flows back to its own slice."""
    dim = normalize_single_axis("split", tensor.ndim, dim)
    size = tensor.shape[dim]
    if isinstance(split_size_or_sections, (tuple, list)):
        sections = [check_integer("split", "section", n) for n in split_size_or_sections]
        if any(n < 0 for n in sections) or np.sum(sections) != size:
            raise ShapeError(f"split: sections {tuple(sections)} must be non-negative and "
                             f"add up to {size}, the size of dimension {dim} (tensor of "
                             f"shape {tensor.shape})")
    else:
        step = check_integer("split", "split_size", split_size_or_sections)
        if step <= 0 and size:
            raise ValueError(f"split: split_size must be positive, got {step} (dimension "
                             f"{dim} has size {size})")
        sections = [min(step, size - start) for start in range(0, size, step)] if size \
            else [0]
    starts = np.cumsum([0] + sections[:-1])
    return tuple(narrow(tensor, dim, int(start), n) for start, n in zip(starts, sections))


def chunk(input, chunks, dim=0):  # noqa: A002  (PyTorch's name)
    """`chunks` pieces along `dim` of ceil(n / chunks) each (the last may be smaller,
    and there may be fewer pieces than asked, as in PyTorch)."""
    chunks = check_integer("chunk", "chunks", chunks)
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    dim = normalize_single_axis("chunk", input.ndim, dim)
    size = input.shape[dim]
    if size == 0:
        return tuple(narrow(input, dim, 0, 0) for _ in range(chunks))
    return split(input, -(-size // chunks), dim)


def unbind(input, dim=0):  # noqa: A002
    """The slices x[..., i, ...] along `dim`, that axis removed: a tuple of n views."""
    dim = normalize_single_axis("unbind", input.ndim, dim)
    return tuple(input[along(input.ndim, dim, i)] for i in range(input.shape[dim]))
