"""Tensor: an `np.ndarray` plus the links that let gradients flow back through it.

A Tensor holds
    data           the values (an np.ndarray; float32 and float64 are first-class)
    requires_grad  whether gradients should be computed for it
    grad           the accumulated gradient (a Tensor) after backward, for leaves
    grad_fn        the graph node (a Function) that produced it, None for leaves

All arithmetic lives in `minigrad.ops`; the methods here are the operator sugar.
"""

import weakref

import numpy as np

from minigrad import autograd
from minigrad.errors import GraphError, ShapeError


class _Version:
    """In-place modification counter, shared between a tensor and its views."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


def _as_array(data, dtype=None):
    """Convert user data: floats and lists become float32 unless dtype says otherwise."""
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, np.ndarray):
        return data.astype(dtype, copy=False) if dtype is not None else data
    if isinstance(data, np.generic):
        return np.asarray(data, dtype=dtype)
    array = np.asarray(data)
    if dtype is not None:
        return array.astype(dtype, copy=False)
    if array.dtype == np.bool_:
        return array
    if np.issubdtype(array.dtype, np.number):
        return array.astype(np.float32)
    return array


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
        """The underlying np.ndarray. Assigning it counts as an in-place change."""
        return self._data

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._version.value += 1

    def numpy(self):
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

    @property
    def size(self):
        return self._data.size

    @property
    def dtype(self):
        return self._data.dtype

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

    # ------------------------------------------------------------------ dtype
    def astype(self, dtype):
        return ops.astype(self, dtype)

    def to(self, dtype):
        return ops.astype(self, dtype)

    def float(self):
        return ops.astype(self, np.float32)

    def double(self):
        return ops.astype(self, np.float64)

    # ------------------------------------------------------------------ arithmetic
    def _other(self, other):
        """Python scalars take this tensor's dtype, so float32 stays float32."""
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
        np.copyto(self._data, values, casting="same_kind")
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

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def var(self, axis=None, ddof=0, keepdims=False, *, dim=None, keepdim=None,
            unbiased=None):
        return ops.var(self, axis, ddof, keepdims, dim=dim, keepdim=keepdim,
                       unbiased=unbiased)

    def std(self, axis=None, ddof=0, keepdims=False, *, dim=None, keepdim=None,
            unbiased=None):
        return ops.std(self, axis, ddof, keepdims, dim=dim, keepdim=keepdim,
                       unbiased=unbiased)

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


from minigrad import ops  # noqa: E402  (the ops are built on Tensor)
from minigrad.ops import elementwise as ew  # noqa: E402
