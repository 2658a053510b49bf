"""Tensor: an `np.ndarray` plus the links that let gradients flow back through it.

A Tensor holds
    _data          the values (an np.ndarray; float32 and float64 are first-class);
                   `t.data` is a detached Tensor over the same memory, as in PyTorch,
                   and `t.numpy()` the array itself
    requires_grad  whether gradients should be computed for it
    grad           the accumulated gradient (a Tensor) after backward, for leaves
    grad_fn        the graph node (a Function) that produced it, None for leaves

All arithmetic lives in `minigrad.ops`; the methods here are the operator sugar.
"""

import weakref

import numpy as np

from minigrad import autograd
from minigrad.device import CPU, check_device
from minigrad.device import device as device_type
from minigrad.dtypes import resolve_dtype
from minigrad.errors import DeviceError, DTypeError, GraphError, ShapeError


class _Version:
    """In-place modification counter, shared between a tensor and its views."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


def _as_array(data, dtype=None):
    """Convert user data to an array, inferring the dtype as PyTorch does.

    A NumPy array (or NumPy scalar) keeps its dtype. Python data: bools become bool,
    ints int64, and floats (or a mix of floats and ints) float32. Complex data is
    refused: minigrad's ops are defined on real numbers.
    """
    dtype = resolve_dtype(dtype, "tensor")
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
        inferred = array.dtype
    else:
        try:
            array = np.asarray(data)
        except ValueError:
            raise DTypeError("tensor: cannot make a tensor from ragged or non-numeric data "
                             f"{data!r:.80}") from None
        inferred = _PYTHON_INFERENCE.get(array.dtype.kind, array.dtype)
    if array.dtype.kind == "c":
        raise DTypeError(f"tensor: complex numbers are not supported (got {array.dtype}); "
                         "minigrad computes on real numbers, pass the real part explicitly")
    if array.dtype.kind not in "biuf" and array.dtype != object:
        raise DTypeError(f"tensor: cannot make a tensor from data of dtype {array.dtype} "
                         f"(expected numbers or bools)")
    if array.dtype == object:
        raise DTypeError("tensor: cannot make a tensor from ragged or non-numeric data "
                         f"{data!r:.80}")
    target = inferred if dtype is None else dtype
    return array.astype(target, copy=False) if array.dtype != target else array


# np.asarray of Python data: bools stay bool, ints become int64, floats float32
_PYTHON_INFERENCE = {"b": np.dtype(np.bool_), "i": np.dtype(np.int64),
                     "u": np.dtype(np.int64), "f": np.dtype(np.float32)}


class Tensor:
    """A multi-dimensional array that records the operations applied to it."""

    __slots__ = ("_data", "requires_grad", "grad", "grad_fn", "_version", "_hooks",
                 "_is_view", "_retains_grad", "name", "__weakref__")
    __array_ufunc__ = None  # make `ndarray + Tensor` defer to Tensor.__radd__
    __hash__ = object.__hash__

    def __init__(self, data, requires_grad=False, dtype=None):
        self._data = _as_array(data, dtype)
        self.grad = None
        self.grad_fn = None
        self._version = _Version()
        self._hooks = None
        self._is_view = False
        self._retains_grad = False
        self.name = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, requires_grad, grad_fn):
        """Fast internal constructor for op outputs (no conversion, no checks)."""
        tensor = object.__new__(cls)
        tensor._data = data
        tensor.requires_grad = requires_grad
        tensor.grad = None
        tensor.grad_fn = grad_fn
        tensor._version = _Version()
        tensor._hooks = None
        tensor._is_view = False
        tensor._retains_grad = False
        tensor.name = None
        return tensor

    # ------------------------------------------------------------------ data
    @property
    def data(self):
        """The values as a Tensor outside the graph, sharing this tensor's memory, as
        in PyTorch: `p.data -= lr * p.grad` updates p without recording anything.

        Like PyTorch's, a change made through `.data` is invisible to autograd (it has
        its own version counter); use `detach()` when that protection matters.
        """
        return Tensor._make(self._data, False, None)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else _as_array(value)
        self._version.value += 1

    def numpy(self):
        """The np.ndarray itself (shared memory)."""
        return self._data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None:
            return self._data.astype(dtype, copy=False)
        return self._data

    def item(self):
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    def size(self, dim=None):
        """The shape, as PyTorch's t.size(): a Size (a tuple), or one dimension's
        length when `dim` is given."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[normalize_single_axis("size", self._data.ndim, dim)]

    def dim(self):
        """The number of dimensions (t.ndim)."""
        return self._data.ndim

    def numel(self):
        """The number of elements."""
        return self._data.size

    nelement = numel

    def element_size(self):
        """Bytes per element."""
        return self._data.itemsize

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self):
        """Always the CPU: minigrad computes nowhere else."""
        return CPU

    is_cuda = False

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def T(self):
        return ops.permute(self, tuple(reversed(range(self.ndim))))

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def __bool__(self):
        return bool(self._data)

    def __float__(self):
        return float(self._data)

    def __int__(self):
        return int(self._data)

    def __index__(self):
        """A one-element integer tensor used as an index (classes[label]), as in PyTorch."""
        if self._data.dtype.kind not in "biu" or self._data.size != 1:
            raise TypeError(f"only one-element integer tensors can be used as an index, "
                            f"got shape {self.shape} and dtype {self.dtype}")
        return int(self._data.item())

    def __format__(self, spec):
        """f"{loss:.4f}" formats a one-element tensor's value, as in PyTorch."""
        if self._data.size == 1 and spec:
            return format(self._data.item(), spec)
        return format(repr(self), spec)

    def __repr__(self):
        body = np.array2string(self._data, separator=", ", prefix="tensor(")
        extras = []
        if self._data.dtype not in (np.float32, np.bool_) and not np.issubdtype(
                self._data.dtype, np.integer):
            extras.append(f"dtype={self._data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into `leaf.grad` for every leaf in the graph.

        gradient: d(loss)/d(self), required unless self has one element.
        retain_graph: keep the graph for another backward (default: create_graph).
        create_graph: record the backward pass too, for higher-order gradients.
        """
        autograd.backward([self], [gradient], retain_graph, create_graph)

    def requires_grad_(self, flag=True):
        if flag:
            autograd.check_requires_grad_dtype(self._data, "requires_grad_")
        elif self.grad_fn is not None:
            raise GraphError(
                "requires_grad_(False): only leaf tensors can stop requiring grad; "
                "use .detach() on a tensor computed by an op"
            )
        self.requires_grad = bool(flag)
        return self

    def detach(self):
        """A new leaf sharing this tensor's data, cut from the graph."""
        detached = Tensor._make(self._data, False, None)
        detached._version = self._version
        return detached

    def clone(self):
        """A copy with its own memory that stays in the graph."""
        return ops.astype(self, self.dtype)

    def register_hook(self, hook):
        """hook(grad) -> Tensor or None, called with this tensor's gradient in
        backward; a returned Tensor replaces the gradient."""
        if not self.requires_grad:
            raise GraphError("register_hook: the tensor does not require grad")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
        else:
            self.grad_fn.register_prehook(hook)
        return hook

    def retain_grad(self):
        """Keep `.grad` for this non-leaf tensor after backward."""
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        ref = weakref.ref(self)

        def store(grad_value):
            tensor = ref()
            if tensor is not None:
                value = grad_value if grad_value.requires_grad else grad_value.detach()
                tensor.grad = value if tensor.grad is None else tensor.grad + value

        self.grad_fn.register_prehook(store)

    # ------------------------------------------------------------------ dtype, device
    def astype(self, dtype):
        return ops.astype(self, resolve_dtype(dtype, "astype"))

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False):
        """PyTorch's to(): to(dtype), to(device), to(device, dtype), to(other_tensor),
        or to(device=..., dtype=...). The device must be the CPU. The tensor itself is
        returned when nothing changes (unless copy=True); a cast stays in the graph."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype if dtype is None else dtype
            elif isinstance(arg, (str, device_type)) or (
                    isinstance(arg, int) and not isinstance(arg, bool)):
                device = arg if device is None else device
            else:
                dtype = arg if dtype is None else dtype
        check_device(device, "to")
        dtype = resolve_dtype(dtype, "to")
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            return ops.astype(self, dtype)
        return self.clone() if copy else self

    def cpu(self):
        return self

    def cuda(self, device=None, non_blocking=False):
        raise DeviceError("cuda: minigrad runs on the CPU only; "
                          "mg.cuda.is_available() is False")

    def type(self, dtype=None):
        """type(): the tensor's type name (e.g. 'minigrad.FloatTensor');
        type(dtype): the tensor cast to dtype."""
        if dtype is None:
            return "minigrad." + _TYPE_NAMES.get(self._data.dtype.type, "Tensor")
        return self.to(dtype)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def half(self):
        return self.to(np.float16)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def bool(self):
        return self.to(np.bool_)

    def type_as(self, other):
        return self.to(other.dtype)

    def contiguous(self):
        """minigrad's arrays may be views with any strides; ops accept all of them,
        so this is the tensor itself, as in PyTorch for a contiguous tensor."""
        return self

    # ------------------------------------------------------------------ arithmetic
    def _other(self, other):
        """Python scalars take this tensor's dtype, so float32 stays float32."""
        if isinstance(other, Tensor):  # the common case, a call saved on every op
            return other
        return ew.as_operand(other, self._data.dtype)

    # The hottest paths call the Function classes directly (no argument juggling).
    def __add__(self, other):
        return ew.Add.apply(self, self._other(other))

    def __radd__(self, other):
        return ew.Add.apply(self._other(other), self)

    def __sub__(self, other):
        return ew.Sub.apply(self, self._other(other))

    def __rsub__(self, other):
        return ew.Sub.apply(self._other(other), self)

    def __mul__(self, other):
        return ew.Mul.apply(self, self._other(other))

    def __rmul__(self, other):
        return ew.Mul.apply(self._other(other), self)

    def __truediv__(self, other):
        return ew.Div.apply(self, self._other(other))

    def __rtruediv__(self, other):
        return ew.Div.apply(self._other(other), self)

    def __pow__(self, other):
        return ew.Pow.apply(self, self._other(other))

    def __rpow__(self, other):
        return ew.Pow.apply(self._other(other), self)

    def __matmul__(self, other):
        return ops.matmul(self, self._other(other))

    def __rmatmul__(self, other):
        return ops.matmul(self._other(other), self)

    def __neg__(self):
        return ew.Neg.apply(self)

    def __abs__(self):
        return ops.abs(self)

    # comparisons are not differentiable: they return plain boolean tensors
    def _compare(self, other, compare):
        other = other._data if isinstance(other, Tensor) else other
        return Tensor._make(np.asarray(compare(self._data, other)), False, None)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def eq(self, other):
        return self._compare(other, np.equal)

    def ne(self, other):
        return self._compare(other, np.not_equal)

    def lt(self, other):
        return self._compare(other, np.less)

    def le(self, other):
        return self._compare(other, np.less_equal)

    def gt(self, other):
        return self._compare(other, np.greater)

    def ge(self, other):
        return self._compare(other, np.greater_equal)

    def isnan(self):
        return compare.isnan(self)

    def isinf(self):
        return compare.isinf(self)

    def isfinite(self):
        return compare.isfinite(self)

    def all(self, dim=None, keepdim=None, *, axis=None, keepdims=None):
        return compare.all(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def any(self, dim=None, keepdim=None, *, axis=None, keepdims=None):
        return compare.any(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False):
        return compare.allclose(self, other, rtol, atol, equal_nan)

    def isclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False):
        return compare.isclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        return compare.equal(self, other)

    def argmax(self, dim=None, keepdim=None, *, axis=None, keepdims=None):
        return compare.argmax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmin(self, dim=None, keepdim=None, *, axis=None, keepdims=None):
        return compare.argmin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, index):
        return ops.getitem(self, index)

    def __setitem__(self, index, value):
        self._modify_in_place(lambda old: ops.index_put(old, index, value), "__setitem__")

    # ------------------------------------------------------------------ in place
    def _modify_in_place(self, compute, op_name):
        """Run `compute(old) -> new` and write the result into this tensor's memory.

        When the new value needs no graph this is a plain NumPy write. Otherwise the
        tensor takes over the new value's graph. Either way its version counter goes
        up, so a node that saved the old value refuses to run backward with it.
        """
        if not autograd.is_grad_enabled():
            self._write(compute(self)._data, op_name)
            return self
        # compute on a copy: ops may save the old value, which the write destroys
        snapshot = Tensor._make(self._data.copy(), self.requires_grad, self.grad_fn)
        result = compute(snapshot)
        if result.requires_grad:
            if self.requires_grad and self.grad_fn is None:
                raise GraphError(
                    f"{op_name}: a leaf tensor that requires grad (shape {self.shape}) "
                    "cannot be modified in place; do it under mg.no_grad() or on a copy"
                )
            if self._is_view:
                raise GraphError(
                    f"{op_name}: in-place modification of a view (shape {self.shape}) "
                    "inside a graph is not supported; call .clone() on it first"
                )
        self._write(result._data, op_name)
        if result.requires_grad:
            self.grad_fn = result.grad_fn
            self.requires_grad = True
        return self

    def _write(self, values, op_name):
        if values.shape != self.shape:
            raise ShapeError(
                f"{op_name}: in-place result has shape {values.shape} but the tensor has "
                f"shape {self.shape} (an in-place op cannot broadcast its target)"
            )
        try:
            np.copyto(self._data, values, casting="same_kind")
        except TypeError:
            raise DTypeError(f"{op_name}: the result has dtype {values.dtype}, which cannot "
                             f"be stored in place in a tensor of dtype {self.dtype} (as in "
                             "PyTorch); convert the tensor first, e.g. t = t.float()") from None
        self._version.value += 1

    def __iadd__(self, other):
        return self._modify_in_place(lambda old: old + other, "__iadd__")

    def __isub__(self, other):
        return self._modify_in_place(lambda old: old - other, "__isub__")

    def __imul__(self, other):
        return self._modify_in_place(lambda old: old * other, "__imul__")

    def __itruediv__(self, other):
        return self._modify_in_place(lambda old: old / other, "__itruediv__")

    def zero_(self):
        with autograd.no_grad():
            self._write(np.zeros_like(self._data), "zero_")
        return self

    def fill_(self, value):
        with autograd.no_grad():
            self._write(np.full_like(self._data, value), "fill_")
        return self

    def add_(self, other, *, alpha=1):
        """self += alpha * other, in place (PyTorch's add_)."""
        scaled = other if alpha == 1 else other * alpha
        return self._modify_in_place(lambda old: old + scaled, "add_")

    def sub_(self, other, *, alpha=1):
        """self -= alpha * other, in place."""
        scaled = other if alpha == 1 else other * alpha
        return self._modify_in_place(lambda old: old - scaled, "sub_")

    def mul_(self, other):
        return self._modify_in_place(lambda old: old * other, "mul_")

    def div_(self, other):
        return self._modify_in_place(lambda old: old / other, "div_")

    def pow_(self, exponent):
        return self._modify_in_place(lambda old: old ** exponent, "pow_")

    def neg_(self):
        return self._modify_in_place(lambda old: -old, "neg_")

    def clamp_(self, min=None, max=None):  # noqa: A002  (PyTorch's names)
        return self._modify_in_place(lambda old: ops.clip(old, min, max), "clamp_")

    clip_ = clamp_

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill with samples of N(mean, std^2) from `generator` (default: the global
        one that mg.manual_seed seeds), in place and outside the graph."""
        values = _numpy_generator(generator).normal(mean, std, self.shape)
        with autograd.no_grad():
            self._write(values.astype(self.dtype, copy=False), "normal_")
        return self

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        """Fill with samples of U[a, b) from `generator`, in place and outside the graph."""
        values = _numpy_generator(generator).uniform(a, b, self.shape)
        with autograd.no_grad():
            self._write(values.astype(self.dtype, copy=False), "uniform_")
        return self

    def copy_(self, source):
        source = source._data if isinstance(source, Tensor) else np.asarray(source)
        try:
            source = np.broadcast_to(source, self.shape)
        except ValueError:
            raise ShapeError(f"copy_: cannot copy a source of shape {source.shape} into a "
                             f"tensor of shape {self.shape}") from None
        self._write(source, "copy_")
        return self

    # ------------------------------------------------------------------ methods
    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def log2(self):
        return trig.log2(self)

    def log10(self):
        return trig.log10(self)

    def sin(self):
        return trig.sin(self)

    def cos(self):
        return trig.cos(self)

    def pow(self, exponent):
        return self ** exponent

    def norm(self, p="fro", dim=None, keepdim=False):
        return linalg_extra.norm(self, p, dim, keepdim)

    def masked_fill(self, mask, value):
        return linalg_extra.masked_fill(self, mask, value)

    def masked_fill_(self, mask, value):
        return self._modify_in_place(lambda old: linalg_extra.masked_fill(old, mask, value),
                                     "masked_fill_")

    def tril(self, diagonal=0):
        return linalg_extra.tril(self, diagonal)

    def triu(self, diagonal=0):
        return linalg_extra.triu(self, diagonal)

    def bmm(self, other):
        return linalg_extra.bmm(self, other)

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        """Zeros of `size` with this tensor's dtype (unless given), as PyTorch's."""
        shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) \
            else tuple(size)
        return Tensor(np.zeros(shape, dtype=resolve_dtype(dtype) or self.dtype),
                      requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        return self.new_zeros(*size, dtype=dtype, requires_grad=requires_grad).fill_(1)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False):
        return self.new_zeros(size, dtype=dtype, requires_grad=requires_grad).fill_(fill_value)

    def new_tensor(self, data, dtype=None, requires_grad=False):
        """A new tensor of `data` (a copy) with this tensor's dtype unless given."""
        return Tensor(np.array(_as_array(data), dtype=resolve_dtype(dtype) or self.dtype),
                      requires_grad=requires_grad)

    def mm(self, other):
        """Matrix product of two 2-D tensors (PyTorch's mm)."""
        if self.ndim != 2 or np.ndim(other) != 2:
            raise ShapeError(f"mm: both operands must be 2-D, got shapes {self.shape} "
                             f"and {np.shape(other)} (use matmul for batches)")
        return ops.matmul(self, other)

    def sqrt(self):
        return ops.sqrt(self)

    def tanh(self):
        return ew.Tanh.apply(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def relu(self):
        return ops.relu(self)

    def abs(self):
        return ops.abs(self)

    def clip(self, min=None, max=None):  # noqa: A002  (PyTorch's names)
        return ops.clip(self, min, max)

    clamp = clip

    def maximum(self, other):
        return ops.maximum(self, other)

    def minimum(self, other):
        return ops.minimum(self, other)

    def matmul(self, other):
        return ops.matmul(self, other)

    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, dim=None, keepdim=None, *, axis=None, keepdims=None):
        return ops.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=None, *, axis=None, keepdims=None):
        return ops.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim=None, keepdim=None, *, axis=None, keepdims=None):
        return reduce.amax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amin(self, dim=None, keepdim=None, *, axis=None, keepdims=None):
        return reduce.amin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def var(self, axis=None, ddof=None, keepdims=False, *, dim=None, keepdim=None,
            unbiased=None, correction=None):
        return ops.var(self, axis, ddof, keepdims, dim=dim, keepdim=keepdim,
                       unbiased=unbiased, correction=correction)

    def std(self, axis=None, ddof=None, keepdims=False, *, dim=None, keepdim=None,
            unbiased=None, correction=None):
        return ops.std(self, axis, ddof, keepdims, dim=dim, keepdim=keepdim,
                       unbiased=unbiased, correction=correction)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def softmax(self, axis=-1, *, dim=None):
        return ops.softmax(self, axis, dim=dim)

    def log_softmax(self, axis=-1, *, dim=None):
        return ops.log_softmax(self, axis, dim=dim)

    def reshape(self, *shape):
        return ops.reshape(self, *shape)

    def view(self, *shape):
        return ops.reshape(self, *shape)

    def view_as(self, other):
        return ops.reshape(self, tuple(other.shape))

    def reshape_as(self, other):
        return ops.reshape(self, tuple(other.shape))

    def expand_as(self, other):
        return ops.expand(self, *other.shape)

    def transpose(self, dim0=None, dim1=None):
        return ops.transpose(self, dim0, dim1)

    def permute(self, *axes):
        return ops.permute(self, *axes)

    def expand(self, *sizes):
        return ops.expand(self, *sizes)

    def broadcast_to(self, shape):
        return ops.broadcast_to(self, shape)

    def squeeze(self, axis=None, *, dim=None):
        return ops.squeeze(self, axis, dim=dim)

    def unsqueeze(self, axis=None, *, dim=None):
        return ops.unsqueeze(self, axis, dim=dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return ops.flatten(self, start_dim, end_dim)

    def pad(self, pad, mode="constant", value=0.0):
        return ops.pad(self, pad, mode, value)

    def narrow(self, dim, start, length):
        return ops.narrow(self, dim, start, length)

    def flip(self, *dims):
        """flip(0, 1) or flip((0, 1)), as PyTorch's method."""
        return ops.flip(self, dims[0] if len(dims) == 1 else dims)

    def roll(self, shifts, dims=None):
        return ops.roll(self, shifts, dims)

    def split(self, split_size, dim=0):
        return ops.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return ops.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return ops.unbind(self, dim)

    def gather(self, dim, index):
        return ops.gather(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None):
        return ops.scatter(self, dim, index, src, value=value)

    def scatter_add(self, dim, index, src):
        return ops.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        return ops.index_select(self, dim, index)

    def cumsum(self, dim, *, dtype=None):
        return ops.cumsum(self, dim, dtype=dtype)

    def sort(self, dim=-1, descending=False, stable=False):
        return ops.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return ops.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002  (PyTorch's name)
        return ops.topk(self, k, dim, largest, sorted)

    def sign(self):
        return ops.sign(self)

    def floor(self):
        return ops.floor(self)

    def ceil(self):
        return ops.ceil(self)

    def round(self, *, decimals=0):
        return ops.round(self, decimals=decimals)

    def trunc(self):
        return ops.trunc(self)


class Size(tuple):
    """A shape, as PyTorch's torch.Size: a tuple that also knows its element count."""

    __slots__ = ()

    def numel(self):
        return int(np.prod(self, dtype=np.int64))

    def __repr__(self):
        return f"minigrad.Size({list(self)})"


_TYPE_NAMES = {np.float32: "FloatTensor", np.float64: "DoubleTensor",
               np.float16: "HalfTensor", np.int64: "LongTensor", np.int32: "IntTensor",
               np.int16: "ShortTensor", np.int8: "CharTensor", np.uint8: "ByteTensor",
               np.bool_: "BoolTensor"}


def _numpy_generator(generator):
    """The np.random.Generator to draw from: the global one, or the one given."""
    if generator is None:
        return rng.default_generator()
    return getattr(generator, "numpy_generator", generator)


from minigrad import ops, rng  # noqa: E402  (the ops are built on Tensor)
from minigrad.ops import compare, linalg_extra, reduce, trig  # noqa: E402
from minigrad.ops import elementwise as ew  # noqa: E402
from minigrad.ops._args import normalize_single_axis  # noqa: E402
