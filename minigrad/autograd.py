"""Reverse-mode automatic differentiation: grad mode, `Function`, and the backward walk.

Every differentiable op is a `Function` subclass with two halves that sit side by side:

    forward(ctx, *arrays)      NumPy in, NumPy out: computes the value.
    backward(ctx, *grads)      Tensor in, Tensor out: the chain rule, written with
                               differentiable Tensor ops, so the backward pass can
                               itself be differentiated (create_graph=True).

Calling `MyOp.apply(*args)` runs forward and, when grad mode is on and some input
requires grad, records a node (the `ctx`, an instance of `MyOp`) in the graph. A node
keeps *edges* to the nodes that produced its inputs (or to the leaf tensors
themselves), never the input tensors, so rebinding a tensor later cannot silently
reroute gradients. `backward` walks the graph from the output in reverse
topological order by Kahn's algorithm (see `_execute`), without recursion, so a
20,000-op chain is no problem. Anomaly mode, which checks every value on the way,
lives in minigrad/diagnostics/anomaly.py.
"""

import functools
import sys
import weakref

import numpy as np

from minigrad.errors import DTypeError, GraphError

__all__ = [
    "Function",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "backward",
    "grad",
    "OP_REGISTRY",
    "detect_anomaly",
    "is_anomaly_enabled",
]

# name -> Function subclass, for every op defined inside the minigrad package.
# The test suite fails if an op here has no gradcheck case.
OP_REGISTRY = {}


# --------------------------------------------------------------------------- grad mode
class _GradMode:
    enabled = True


def is_grad_enabled():
    """True when ops record the graph (the default)."""
    return _GradMode.enabled


class set_grad_enabled:
    """Context manager and decorator that turns graph recording on or off."""

    def __init__(self, mode=True):
        self.mode = bool(mode)
        self.previous = []

    def __enter__(self):
        self.previous.append(_GradMode.enabled)
        _GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc_info):
        _GradMode.enabled = self.previous.pop()
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self.mode):
                return func(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """`with mg.no_grad():` (or `@mg.no_grad()` / `@mg.no_grad`): no graph inside."""

    mode_value = False

    def __new__(cls, func=None):
        if func is not None:  # used as a bare decorator
            return set_grad_enabled(cls.mode_value)(func)
        return super().__new__(cls)

    def __init__(self, func=None):
        super().__init__(self.mode_value)


class enable_grad(no_grad):
    """Re-enables graph recording inside a `no_grad` region."""

    mode_value = True


# --------------------------------------------------------------------------- Function
_INPUT, _OUTPUT, _OTHER = 0, 1, 2
# what a node keeps after its buffers are released
_STRUCTURE = ("next_edges", "input_meta", "output_meta", "needs_input_grad", "_pre_hooks",
              "_creation_stack")


class Function:
    """Base class of every differentiable op; also the node recorded in the graph.

    An op is written in PyTorch's static form, the one every op in minigrad uses:

        class Square(Function):
            @staticmethod
            def forward(ctx, x):                 # NumPy arrays in, one array out
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, grad):             # Tensors in, Tensors out
                (x,) = ctx.saved_tensors
                return grad * 2 * x

    - `forward` gets NumPy arrays for Tensor arguments (other arguments as given)
      and returns one NumPy array.
    - `backward` gets the gradient of the output as a Tensor and returns one
      gradient per positional argument of forward (None where there is none),
      written in Tensor ops so that it can itself be differentiated.
    - `ctx` is the graph node, an instance of the op's class; `ctx.needs_input_grad[i]`
      says whether argument i needs a gradient.

    What goes where:
    - `ctx.save_for_backward(*values)`: every input or output whose value the
      gradient formula uses as a Tensor, i.e. what backward differentiates
      through. `ctx.saved_tensors` gives them back as Tensors: a saved input as the
      very input Tensor, the output as a Tensor on this node, so a backward built
      with create_graph=True stays connected; each is checked against in-place
      modification since it was saved. Save only what the needed gradients use.
    - a plain attribute `ctx.name = value`: everything backward uses only as a
      constant: shapes, axes, flags, numbers, and arrays that carry no gradient
      (masks, argmax indices, intermediates that only a NumPy kernel reads).

    A plain method (`def forward(self, x)`) still works, as it did in earlier
    versions of minigrad, since the node is passed as the first argument either way;
    the static form is the one to write.
    """

    is_view = False  # True for ops whose output shares memory with input 0
    # a node's bookkeeping starts from these class-level defaults, so recording an op
    # writes only what differs (every op pays for each attribute it sets)
    _recording = False
    _to_save = ()
    _pre_hooks = None
    _freed = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("minigrad.") and not cls.__name__.startswith("_"):
            OP_REGISTRY[cls.__name__] = cls

    # ------------------------------------------------------------------ recording
    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op on Tensors (or arrays/scalars) and record it if needed."""
        ctx = cls.__new__(cls)
        arrays, needs = [], []
        for arg in args:  # one pass: this runs for every op, forward and backward
            if isinstance(arg, Tensor):
                arrays.append(arg._data)
                needs.append(arg.requires_grad)
            else:
                arrays.append(arg)
                needs.append(False)
        needs = tuple(needs)
        recording = _GradMode.enabled and True in needs
        ctx.needs_input_grad = needs
        if recording:
            ctx._recording = True
        raw_output = output = cls.forward(ctx, *arrays, **kwargs)
        if type(output) is not np.ndarray:
            # NumPy returns scalars for 0-d inputs; a forward may return a Tensor
            output = output._data if isinstance(output, Tensor) else np.asarray(output)
        if _AnomalyMode.enabled:
            anomaly.record_creation(ctx, output)
        if not recording:
            result = Tensor._make(output, False, None)
        else:
            result = Tensor._make(output, True, ctx)
            ctx._record(args, arrays, output, raw_output, result)
        if ctx.is_view and isinstance(args[0], Tensor):
            result._version = args[0]._version  # a view shares its base's counter
            result._is_view = True
        return result

    def _record(self, args, arrays, output, raw_output, result):
        edges, meta = [], []
        for arg, needs_grad in zip(args, self.needs_input_grad):
            if needs_grad:
                edges.append(arg if arg.grad_fn is None else arg.grad_fn)
                meta.append((arg._data.shape, arg._data.dtype))
            else:
                edges.append(None)
                meta.append(None)
        self.next_edges = edges
        self.input_meta = meta
        self.output_meta = (output.shape, output.dtype)
        saved = []
        for value in self._to_save:
            if value is None:  # "not needed" (Mul saves b only if a needs a gradient)
                saved.append((_OTHER, None, None))
                continue
            if value is raw_output:
                value = output
            saved.append(self._resolve_saved(value, args, arrays, output, result))
        self._saved = saved
        self._to_save = ()

    def _resolve_saved(self, value, args, arrays, output, result):
        if isinstance(value, Tensor):
            return (_INPUT, value, value._version.value)
        if value is output:
            self._output_ref = weakref.ref(result)
            return (_OUTPUT, output, result._version.value)
        for arg, array in zip(args, arrays):
            if value is array and isinstance(arg, Tensor):
                return (_INPUT, arg, arg._version.value)
        return (_OTHER, value, None)

    def save_for_backward(self, *values):
        """Keep arrays or Tensors (inputs, the output, anything) for backward."""
        if self._recording:
            self._to_save = values

    @property
    def saved_tensors(self):
        """The saved values as Tensors, checked against in-place modification."""
        if self._saved is None:
            raise GraphError(
                f"{self.name()}: trying to backward through the graph a second time; "
                "its saved tensors were freed after the first backward. "
                "Pass retain_graph=True to the first backward() if you need it twice."
            )
        tensors = []
        for index, (kind, value, version) in enumerate(self._saved):
            if kind == _INPUT:
                self._check_version(value._version.value, version, index, value.shape)
                tensors.append(value)
            elif kind == _OUTPUT:
                live = self._output_ref()
                if live is not None:
                    self._check_version(live._version.value, version, index, live.shape)
                tensors.append(Tensor._make(value, True, self))
            else:
                tensors.append(value if value is None or isinstance(value, Tensor)
                               else Tensor._make(np.asarray(value), False, None))
        return tuple(tensors)

    def _check_version(self, now, saved, index, shape):
        if now != saved:
            raise GraphError(
                f"{self.name()}: a tensor it saved for backward (saved value {index}, "
                f"shape {tuple(shape)}) was modified in place after it was saved "
                f"(version {saved} -> {now}). Use an out-of-place op or .clone() instead."
            )

    # ------------------------------------------------------------------ graph API
    @classmethod
    def name(cls):
        return cls.__name__ + "Backward"

    def register_prehook(self, hook):
        """hook(grad) -> grad or None, run on the gradient of this node's output."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(hook)

    @property
    def next_functions(self):
        """PyTorch's view of the graph: one (node, output_index) pair per input of
        forward. A leaf that needs a gradient appears as an AccumulateGrad node whose
        `.variable` is the leaf; an input that needs none as (None, 0)."""
        return tuple((AccumulateGrad(edge) if isinstance(edge, Tensor) else edge, 0)
                     for edge in self.next_edges)

    def __repr__(self):
        return f"<{self.name()}>"

    def _release(self):
        """After a backward without retain_graph: drop everything the op kept for
        its backward (saved tensors, masks, ...). The edges stay, so the graph's
        shape can still be drawn, but a second backward raises."""
        state = self.__dict__
        self.__dict__ = {key: state[key] for key in _STRUCTURE if key in state}
        self._saved = None
        self._freed = True

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(f"{type(ctx).__name__} must implement forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(f"{type(ctx).__name__} must implement backward")


class AccumulateGrad:
    """The graph's name for "add into leaf.grad", as PyTorch shows it in
    next_functions; minigrad's walk keeps the leaf itself as the edge."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    @staticmethod
    def name():
        return "AccumulateGrad"

    @property
    def next_functions(self):
        return ()

    def __eq__(self, other):
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self):
        return id(self.variable)

    def __repr__(self):
        return "<AccumulateGrad>"


# --------------------------------------------------------------------------- the walk
# The backward walk is Kahn's algorithm (Kahn 1962) on the graph seen from the
# output: a vertex (a node, or a leaf tensor) is ready once every node that used
# its value has passed its gradient down, i.e. once its count of pending consumers
# (its in-degree) reaches zero. Taking ready vertices one at a time visits the graph
# in reverse topological order, so each gradient is complete before it is used.
def _execute(roots, root_grads, retain_graph, create_graph, capture=None):
    """Kahn's algorithm from the roots down. Accumulates into leaf .grad, or, when
    `capture` maps id(vertex) -> slot, returns those vertices' gradients instead
    (mg.grad)."""
    grads, start = _seed(roots, root_grads)
    in_degree = _count_consumers(start)
    ready = [vertex for vertex in start if in_degree.get(id(vertex), 0) == 0]
    captured = {}
    with set_grad_enabled(create_graph):  # backward's own ops form a graph iff asked
        while ready:
            vertex = ready.pop()
            if isinstance(vertex, Tensor):  # a leaf: where a path ends
                if id(vertex) in grads:  # handed over, not kept here (_owned counts)
                    _finish_leaf(vertex, grads.pop(id(vertex)), create_graph, capture,
                                 captured)
                continue
            grad_value = grads.pop(id(vertex), None)
            if grad_value is not None:
                if vertex._pre_hooks:
                    grad_value = _run_hooks(vertex._pre_hooks, grad_value)
                if capture is not None:
                    _capture(capture, captured, vertex, grad_value)
                _propagate(vertex, grad_value, grads)
            if not retain_graph:
                vertex._release()  # its saved buffers are no longer needed
            _count_down(vertex.next_edges, in_degree, ready)
    return captured


def _seed(roots, root_grads):
    """The starting gradients (keyed by id(vertex)) and the distinct start vertices."""
    grads, start = {}, {}
    for root, root_grad in zip(roots, root_grads):
        vertex = root.grad_fn if root.grad_fn is not None else root
        _accumulate(grads, id(vertex), root_grad)
        start[id(vertex)] = vertex
    return grads, list(start.values())


def _count_consumers(start):
    """The in-degree of every vertex reachable from `start`: how many edges point at
    it. Depth first with an explicit stack, so a 20,000-op chain needs no recursion."""
    in_degree = {}
    stack = list(start)
    seen = {id(vertex) for vertex in start}
    while stack:
        vertex = stack.pop()
        if isinstance(vertex, Tensor):
            continue
        if vertex._freed:
            raise GraphError(
                f"{vertex.name()}: trying to backward through the graph a second time "
                "(it was freed by an earlier backward). Pass retain_graph=True to the "
                "first backward() if you need to run it twice."
            )
        for edge in vertex.next_edges:
            if edge is None:
                continue
            in_degree[id(edge)] = in_degree.get(id(edge), 0) + 1
            if id(edge) not in seen:
                seen.add(id(edge))
                stack.append(edge)
    return in_degree


def _count_down(edges, in_degree, ready):
    """Kahn's step: this node has passed its gradients on, so each input it used has
    one consumer fewer to wait for; one with none left is complete and ready."""
    for edge in edges:
        if edge is not None:
            in_degree[id(edge)] -= 1
            if in_degree[id(edge)] == 0:
                ready.append(edge)


def _run_hooks(hooks, grad_value):
    """Each hook(grad) may return a replacement gradient (or None to keep it)."""
    for hook in hooks:
        replaced = hook(grad_value)
        if replaced is not None:
            grad_value = replaced
    return grad_value


def _capture(capture, captured, vertex, grad_value):
    """mg.grad: keep the gradient of a vertex the caller asked for."""
    if id(vertex) in capture:
        captured[id(vertex)] = grad_value


def _propagate(node, grad_value, grads):
    """The chain rule at one node: run its backward, then add each input's gradient
    (checked against that input's shape and dtype) into `grads`."""
    if _AnomalyMode.enabled:
        input_grads = anomaly.run_backward(node, grad_value)
    else:
        input_grads = type(node).backward(node, grad_value)
    if not isinstance(input_grads, tuple):
        input_grads = (input_grads,)
    for edge, meta, input_grad in zip(node.next_edges, node.input_meta, input_grads):
        if edge is not None and input_grad is not None:
            _accumulate(grads, id(edge), _as_grad_tensor(input_grad, meta, node))


def _accumulate(grads, key, value):
    previous = grads.get(key)
    grads[key] = value if previous is None else previous + value


def _as_grad_tensor(value, meta, node):
    """Check a gradient returned by `node.backward` against its input's shape/dtype."""
    if not isinstance(value, Tensor):
        value = Tensor._make(np.asarray(value), False, None)
    shape, dtype = meta
    if value._data.shape != shape:
        if value._data.size == 1 and (value.ndim == 0 or shape == ()):
            value = value.reshape(shape)
        else:
            raise GraphError(
                f"{node.name()}: backward returned a gradient of shape {value.shape} for "
                f"an input of shape {shape}"
            )
    if value._data.dtype != dtype:
        value = value.astype(dtype)
    return value


def _finish_leaf(leaf, grad_value, create_graph, capture, captured):
    """A leaf's gradient is complete: its hooks, then mg.grad's capture or .grad."""
    if leaf._hooks:
        grad_value = _run_hooks(leaf._hooks, grad_value)
    if capture is not None:
        _capture(capture, captured, leaf, grad_value)
    else:
        _accumulate_into_leaf(leaf, grad_value, create_graph)


def _accumulate_into_leaf(leaf, grad_value, create_graph):
    if leaf.grad is None:
        leaf.grad = _owned(grad_value, create_graph)
    elif create_graph or leaf.grad.requires_grad:
        leaf.grad = leaf.grad + grad_value
    else:
        leaf.grad._data += grad_value._data
        leaf.grad._version.value += 1


def _owned(grad_value, create_graph):
    """grad_value with its own contiguous, writable memory, for a leaf's .grad: the
    walk may hand the same tensor to several leaves (Add gives both inputs its
    gradient) or a read-only broadcast view (the gradient of a sum), and an in-place
    update of one leaf's .grad (clip_grad_norm_) must touch only that leaf.

    Usually that means a copy. But a gradient that nothing else can reach (a fresh
    product dy^T x, say) is simply taken, as PyTorch's AccumulateGrad does: copying
    the gradient of every weight every step is a pass over all the parameters.
    With create_graph the copy is an op (Cast), so the gradient stays differentiable."""
    if create_graph:
        return grad_value.clone()
    if _nobody_else_holds(grad_value):
        return grad_value
    return Tensor._make(np.array(grad_value._data, copy=True, order="C"), False, None)


# CPython's reference counts are exact up to 3.13 (3.14 may leave a frame's own
# references uncounted), so there they can prove that nothing else holds a tensor.
_COUNTS_ARE_EXACT = sys.implementation.name == "cpython" and sys.version_info < (3, 14)
# The walk's own references when _nobody_else_holds asks: the arguments of
# _finish_leaf, _accumulate_into_leaf, _owned and _nobody_else_holds, and
# sys.getrefcount's own.
_WALK_REFERENCES_TO_GRAD = 5
# ... and to its array: the Tensor's slot, the local name and sys.getrefcount's.
_WALK_REFERENCES_TO_ARRAY = 3


def _nobody_else_holds(grad_value):
    """True if no Python object but the walk refers to grad_value or its array, and
    the array owns writable, contiguous memory: then no one can see a later in-place
    change to it (a hook that kept the gradient, another leaf, a saved value, a
    user's tensor all hold a reference)."""
    if not _COUNTS_ARE_EXACT or grad_value.requires_grad or \
            sys.getrefcount(grad_value) != _WALK_REFERENCES_TO_GRAD:
        return False
    array = grad_value._data
    if array.base is not None or sys.getrefcount(array) != _WALK_REFERENCES_TO_ARRAY:
        return False
    flags = array.flags  # (counted after: the flags object refers to the array)
    return flags.owndata and flags.writeable and flags.c_contiguous


def _root_gradients(tensors, gradients, caller):
    root_grads = []
    for index, (tensor, gradient) in enumerate(zip(tensors, gradients)):
        if not tensor.requires_grad:
            raise GraphError(
                f"{caller}: output {index} (shape {tensor.shape}) does not require grad "
                "and has no grad_fn; did you compute it under no_grad() or from tensors "
                "without requires_grad=True?"
            )
        if gradient is None:
            if tensor._data.size != 1:
                raise GraphError(
                    f"{caller}: grad can be implicitly created only for scalar outputs, "
                    f"but the output has shape {tensor.shape}; pass gradient= (a tensor "
                    "of that shape) to backward"
                )
            gradient = Tensor._make(np.ones(tensor.shape, dtype=tensor.dtype), False, None)
        elif not isinstance(gradient, Tensor):
            gradient = Tensor._make(np.asarray(gradient, dtype=tensor.dtype), False, None)
        if gradient.shape != tensor.shape:
            raise GraphError(
                f"{caller}: gradient has shape {gradient.shape} but the output has shape "
                f"{tensor.shape}"
            )
        root_grads.append(gradient)
    return root_grads


def _as_sequence(value):
    if value is None:
        return None
    return list(value) if isinstance(value, (tuple, list)) else [value]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulate d(tensors)/d(leaf) into every leaf's `.grad` (see Tensor.backward)."""
    tensors = _as_sequence(tensors)
    grad_tensors = _as_sequence(grad_tensors) or [None] * len(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    root_grads = _root_gradients(tensors, grad_tensors, "backward")
    _execute(tensors, root_grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of `outputs` with respect to `inputs`, returned as a tuple.

    Unlike backward(), nothing is accumulated into `.grad`. With
    create_graph=True the results are themselves differentiable, which is how
    Hessian-vector products and double backward are computed:

        g, = mg.grad(loss, [w], create_graph=True)
        hv, = mg.grad((g * v).sum(), [w])          # H @ v
    """
    outputs = _as_sequence(outputs)
    inputs = _as_sequence(inputs)
    grad_outputs = _as_sequence(grad_outputs) or [None] * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    for index, tensor in enumerate(inputs):
        if not isinstance(tensor, Tensor) or not tensor.requires_grad:
            raise GraphError(f"grad: input {index} does not require grad")
    capture = {}
    for index, tensor in enumerate(inputs):
        vertex = tensor.grad_fn if tensor.grad_fn is not None else tensor
        capture[id(vertex)] = index
    root_grads = _root_gradients(outputs, grad_outputs, "grad")
    captured = _execute(outputs, root_grads, retain_graph, create_graph, capture)
    results = []
    for index, tensor in enumerate(inputs):
        vertex = tensor.grad_fn if tensor.grad_fn is not None else tensor
        value = captured.get(id(vertex))
        if value is None and not allow_unused:
            raise GraphError(
                f"grad: input {index} (shape {tensor.shape}) was not used to compute the "
                "outputs; pass allow_unused=True to get None for it"
            )
        results.append(value)
    return tuple(results)


def check_requires_grad_dtype(array, op="tensor"):
    if not np.issubdtype(array.dtype, np.floating):
        raise DTypeError(
            f"{op}: requires_grad=True needs a floating-point tensor, got dtype "
            f"{array.dtype} (shape {array.shape}); convert with .float() or .double() first"
        )


# Imported last: both are built on this module.
from minigrad.diagnostics import anomaly  # noqa: E402
from minigrad.diagnostics.anomaly import AnomalyMode as _AnomalyMode  # noqa: E402
from minigrad.diagnostics.anomaly import detect_anomaly, is_anomaly_enabled  # noqa: E402, F401
from minigrad.tensor import Tensor  # noqa: E402
