"""Gradient checkpointing: recompute to save memory (Chen et al. 2016, arXiv:1604.06174).

Reached as PyTorch's `minigrad.utils.checkpoint.checkpoint` (or `mg.utils.checkpoint`).
Checkpoint files that resume a training run are another thing: minigrad/train/checkpoint.py.

Backpropagation normally keeps every intermediate activation of the forward pass
until backward needs it, so memory grows with depth. A checkpointed segment keeps
only its inputs: its forward runs under no_grad (no intermediates stored), and its
backward runs the segment again, with the graph recorded this time, and
differentiates that recomputation. With sqrt(L) segments of a depth-L network the
activation memory drops from O(L) to O(sqrt(L)) for one extra forward pass.

    h = checkpoint(block, x)           # block: a Module or any function of tensors

Gradients of the segment's parameters: if `fn` is a Module its parameters (and
any passed with parameters=) are inputs of the checkpoint node, so they receive
gradients exactly as without checkpointing, through mg.grad too. Other tensors the
function closes over that require grad are found in the recomputed graph and get
their gradients accumulated into `.grad` directly during backward (as PyTorch's
reentrant checkpoint does), which works with loss.backward() but not mg.grad.

Higher-order gradients work: under create_graph=True the recomputed segment's
gradient graph stays connected to the real inputs (see _severed), so
gradgradcheck passes through a checkpoint.

Randomness (dropout) is replayed: the generator state at forward time is restored
for the recomputation and put back afterwards. Running statistics (BatchNorm in
training mode) are updated twice; avoid checkpointing such layers, as in PyTorch.
"""

from minigrad import autograd
from minigrad.autograd import Function, enable_grad, no_grad
from minigrad.rng import get_rng_state, set_rng_state
from minigrad.tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


def _leaves_requiring_grad(output):
    """Leaf tensors with requires_grad reachable from output (iterative graph walk)."""
    leaves, seen = [], set()
    stack = [output.grad_fn] if output.grad_fn is not None else []
    while stack:
        node = stack.pop()
        for edge in node.next_edges:
            if edge is None or id(edge) in seen:
                continue
            seen.add(id(edge))
            if isinstance(edge, Tensor):
                leaves.append(edge)
            else:
                stack.append(edge)
    return leaves


class Checkpoint(Function):
    """y = fn(*inputs), storing only the inputs.   Backward: recompute fn with the
    graph recorded, then d inputs = mg.grad(y, inputs, dy).

    forward(fn, n_inputs, *tensors): tensors = the n_inputs inputs of fn, then the
    parameters fn uses (so that their gradients flow through this node).
    Shapes: whatever fn maps its inputs to (one Tensor out).
    """

    @staticmethod
    def forward(ctx, fn, n_inputs, *arrays):
        ctx.fn, ctx.n_inputs = fn, n_inputs
        ctx.rng_state = get_rng_state()
        ctx.save_for_backward(*arrays)
        inputs = [Tensor._make(a, False, None) for a in arrays[:n_inputs]]
        with no_grad():
            output = fn(*inputs)
        if not isinstance(output, Tensor):
            raise TypeError(f"checkpoint: the function must return one Tensor, got "
                            f"{type(output).__name__}")
        return output._data

    @staticmethod
    def backward(ctx, grad):
        saved = ctx.saved_tensors
        create_graph = autograd.is_grad_enabled()  # the walk enables grad iff create_graph
        inputs, params = saved[:ctx.n_inputs], saved[ctx.n_inputs:]
        output, sources = _recompute(ctx, inputs)
        if not output.requires_grad:
            return (None, None) + (None,) * len(saved)
        wanted = [t for t in list(sources) + list(params) if t.requires_grad]
        cut = [t.grad_fn for t in sources if isinstance(t.grad_fn, _Alias)]
        with _severed(cut, restore=create_graph):
            known = {id(t) for t in wanted}
            extra = [t for t in _leaves_requiring_grad(output) if id(t) not in known]
            grads = autograd.grad([output], wanted + extra, [grad], retain_graph=create_graph,
                                  create_graph=create_graph, allow_unused=True)
        by_id = dict(zip((id(t) for t in wanted + extra), grads))
        for leaf in extra:
            _accumulate_grad(leaf, by_id[id(leaf)], create_graph)
        return (None, None) + tuple(by_id.get(id(t)) if t.requires_grad else None
                                    for t in list(sources) + list(params))


def _recompute(ctx, inputs):
    """Run fn again with the graph recorded, on aliases of the inputs, replaying the
    random numbers the forward pass drew."""
    state_now = get_rng_state()
    set_rng_state(ctx.rng_state)
    try:
        with enable_grad():
            sources = [_Alias.apply(t) if t.requires_grad else t.detach() for t in inputs]
            output = ctx.fn(*sources)
    finally:
        set_rng_state(state_now)
    return output, sources


class _Alias(Function):
    """y = x: the entry point of a recomputed segment (see _severed)."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad


class _severed:
    """Temporarily cut the alias nodes' edges to the outer graph, so that the inner
    mg.grad walk stays inside the segment (no upstream work, no upstream hooks, no
    upstream leaves mistaken for the segment's own). With create_graph the edges are
    restored afterwards: the second-order graph then reaches the real inputs through
    the aliases, which is what makes double backward through a checkpoint correct."""

    def __init__(self, nodes, restore):
        self.nodes, self.restore = nodes, restore

    def __enter__(self):
        self.edges = [node.next_edges for node in self.nodes]
        for node in self.nodes:
            node.next_edges = (None,)

    def __exit__(self, *exc_info):
        if self.restore:
            for node, edges in zip(self.nodes, self.edges):
                node.next_edges = edges
        return False


def _accumulate_grad(leaf, value, create_graph):
    if value is None:
        return
    value = value if create_graph else value.detach()
    leaf.grad = value if leaf.grad is None else leaf.grad + value


def checkpoint(fn, *inputs, parameters=None):
    """Run fn(*inputs) without storing its intermediate activations; recompute them
    in backward. Returns what fn returns (one Tensor).

    fn: a Module or function of the input tensors.  parameters: extra tensors fn
    uses whose gradients must flow through the graph (a Module's own parameters are
    added automatically).
    """
    if not inputs:
        raise ValueError("checkpoint: needs at least one input tensor")
    params = list(fn.parameters()) if hasattr(fn, "parameters") else []
    if parameters is not None:
        known = {id(p) for p in params}
        params += [p for p in parameters if id(p) not in known]
    inputs = [x if isinstance(x, Tensor) else Tensor(x) for x in inputs]
    if any(x.requires_grad for x in inputs) or any(p.requires_grad for p in params):
        return Checkpoint.apply(fn, len(inputs), *inputs, *params)
    with no_grad():
        return fn(*inputs)


def checkpoint_sequential(modules, segments, x):
    """Split a Sequential (or list of modules) into `segments` chunks and checkpoint
    each: only the chunk boundaries are stored. x: the input of the first module."""
    modules = list(modules)
    if not 1 <= segments <= len(modules):
        raise ValueError(f"checkpoint_sequential: segments must be in 1..{len(modules)}, "
                         f"got {segments}")
    bounds = [round(i * len(modules) / segments) for i in range(segments + 1)]
    for start, stop in zip(bounds, bounds[1:]):
        chunk = modules[start:stop]
        params = [p for m in chunk for p in m.parameters()]
        x = checkpoint(_Chain(chunk), x, parameters=params)
    return x


class _Chain:
    """A callable running modules one after the other (no parameters() of its own, so
    checkpoint takes the explicit parameter list)."""

    def __init__(self, modules):
        self.modules = modules

    def __call__(self, x):
        for module in self.modules:
            x = module(x)
        return x
