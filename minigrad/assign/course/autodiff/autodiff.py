"""Assignment 1: automatic differentiation, from the backward walk to gradient checking.

Part 1 (task 1.1) builds a graph of your own out of `Node`s and walks it backward.
Parts 2-4 (tasks 1.2-1.4) write ops the way minigrad itself does: an `mg.Function`
whose `forward` works on NumPy arrays and whose `backward` returns one gradient per
input, as Tensors. Part 5 (task 1.5) writes the centred-difference check that tells
you whether a backward is right, and uses it on your own ops.
"""

import numpy as np

import minigrad as mg


# ----------------------------------------------------------------- Part 1: a graph
class Node:
    """A value in a computation graph.

    value: np.ndarray (float64). parents: the Nodes it was computed from.
    vjp: grad_output -> one gradient per parent (the chain rule of the op), or None
         for a leaf, and None again once backward has freed it.
    grad: d(root)/d(this node) after `backward(root)`, same shape as value.
    """

    def __init__(self, value, parents=(), vjp=None):
        self.value = np.asarray(value, dtype=np.float64)
        self.parents = tuple(parents)
        self.vjp = vjp
        self.grad = None

    def __repr__(self):
        return f"Node({self.value!r})"


def leaf(value):
    return Node(value)


def add(a, b):
    return Node(a.value + b.value, (a, b), lambda g: (g, g))


def mul(a, b):
    return Node(a.value * b.value, (a, b), lambda g: (g * b.value, g * a.value))


def tanh(a):
    y = np.tanh(a.value)
    return Node(y, (a,), lambda g: (g * (1 - y * y),))


def topological_order(root):
    """Every node `root` depends on (root included), each after all of its parents.

    Iterative, not recursive: a chain of 10,000 nodes must work. A node reached by
    two paths appears once.
    Returns: list of Nodes, leaves first, root last.
    """
    ### BEGIN SOLUTION
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        stack.extend((parent, False) for parent in node.parents if id(parent) not in visited)
    return order
    ### END SOLUTION


def backward(root, retain_graph=False):
    """Set node.grad = d(root)/d(node) for every node root depends on.

    root.value must hold one number; its gradient is 1. Walk the nodes in reverse
    topological order, so a node's gradient is complete (summed over every path:
    a value used twice gets both contributions) before its vjp passes it on.
    Unless retain_graph, set each node's vjp to None once used (freeing what it
    keeps), so a second backward through the same graph raises RuntimeError.
    """
    ### BEGIN SOLUTION
    grads = {id(root): np.ones_like(root.value)}
    for node in reversed(topological_order(root)):
        node.grad = grads[id(node)]
        if not node.parents:
            continue
        if node.vjp is None:
            raise RuntimeError("backward: this graph was freed by an earlier backward; "
                               "pass retain_graph=True to that one")
        for parent, parent_grad in zip(node.parents, node.vjp(node.grad)):
            key = id(parent)
            if key in grads:
                grads[key] = grads[key] + parent_grad
            else:
                grads[key] = parent_grad
        if not retain_graph:
            node.vjp = None
    ### END SOLUTION


# ----------------------------------------------------------------- Part 2: broadcasting
def sum_to(grad, shape):
    """Sum `grad` down to `shape`: the adjoint of broadcasting x of `shape` up to grad.

    Sums the leading axes broadcasting added, then (keeping them) the axes where
    `shape` has 1 and grad does not. Works on np.ndarray and on Tensor (both have
    .ndim, .shape and .sum(axis=, keepdims=)).
    Example: grad (4, 2, 3) to shape (2, 1) -> sum axis 0, then axis 2 kept: (2, 1).
    """
    ### BEGIN SOLUTION
    lead = grad.ndim - len(shape)
    if lead:
        grad = grad.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad
    ### END SOLUTION


class Mul(mg.Function):
    """z = x * y with NumPy broadcasting.  dz/dx = grad * y, summed back to x's shape.

    Shapes: x, y broadcastable -> z (the broadcast shape).
    """

    @staticmethod
    def forward(ctx, x, y):
        ### BEGIN SOLUTION
        ctx.save_for_backward(x, y)
        return x * y
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        ### BEGIN SOLUTION
        x, y = ctx.saved_tensors
        return sum_to(grad * y, x.shape), sum_to(grad * x, y.shape)
        ### END SOLUTION


# ----------------------------------------------------------------- Part 3: matmul, sums
class MatMul(mg.Function):
    """C = A @ B.   dA = G @ B^T,  dB = A^T @ G.

    Shapes: a (n, k), b (k, m) -> (n, m).
    """

    @staticmethod
    def forward(ctx, a, b):
        ### BEGIN SOLUTION
        ctx.save_for_backward(a, b)
        return a @ b
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        ### BEGIN SOLUTION
        a, b = ctx.saved_tensors
        return grad @ b.T, a.T @ grad
        ### END SOLUTION


class SumAxis(mg.Function):
    """y = x.sum(axis): every x[..., i, ...] gets the gradient of its sum.

    Shapes: x (any), axis an int -> x's shape without that axis. Called as
    SumAxis.apply(x, axis); backward returns (grad_x, None).
    """

    @staticmethod
    def forward(ctx, x, axis):
        ### BEGIN SOLUTION
        ctx.input_shape, ctx.axis = x.shape, axis
        return x.sum(axis=axis)
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        ### BEGIN SOLUTION
        kept = list(ctx.input_shape)
        kept[ctx.axis] = 1
        return mg.broadcast_to(grad.reshape(tuple(kept)), ctx.input_shape), None
        ### END SOLUTION


# ----------------------------------------------------------------- Part 4: softmax
def softmax(x):
    """softmax along the last axis of an np.ndarray, exp(x - max) / sum: no overflow."""
    ### BEGIN SOLUTION
    exps = np.exp(x - x.max(axis=-1, keepdims=True))
    return exps / exps.sum(axis=-1, keepdims=True)
    ### END SOLUTION


class LogSoftmax(mg.Function):
    """y = x - log(sum(exp(x))) along the last axis, as (x - m) - log(sum(exp(x - m)))
    with m = max(x), so logits of 1000 do not overflow.

    dy/dx: grad - softmax(x) * sum(grad)   (softmax(x) = exp(y)).
    Shapes: x (..., K) -> (..., K).
    """

    @staticmethod
    def forward(ctx, x):
        ### BEGIN SOLUTION
        shifted = x - x.max(axis=-1, keepdims=True)
        y = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        ctx.save_for_backward(y)
        return y
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        ### BEGIN SOLUTION
        (y,) = ctx.saved_tensors
        return grad - y.exp() * grad.sum(axis=-1, keepdims=True)
        ### END SOLUTION


# ----------------------------------------------------------------- Part 5: checking
def numerical_gradient(f, x, eps=1e-6):
    """Centred differences: df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps).

    f: np.ndarray -> float. x: float64 np.ndarray, changed in place one element at
    a time and restored. The error is O(eps^2), a one-sided difference's O(eps).
    Returns: an array shaped like x.
    """
    ### BEGIN SOLUTION
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        plus = f(x)
        x[index] = original - eps
        minus = f(x)
        x[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad
    ### END SOLUTION


def check_gradient(function, inputs, eps=1e-6, seed=0):
    """The largest relative error between backward and centred differences.

    function: Tensors -> Tensor. inputs: float64 Tensors with requires_grad=True.
    Checks the scalar L = sum(function(*inputs) * r) for fixed random weights r:
    analytic dL/dx from mg.grad, numeric from numerical_gradient on x's array.
    Relative error: max |a - n| / max(1e-8, |a| + |n|), over every input.
    """
    ### BEGIN SOLUTION
    output = function(*inputs)
    weights = np.random.default_rng(seed).standard_normal(output.shape)
    analytic = mg.grad((output * mg.tensor(weights)).sum(), list(inputs))

    def loss(_):
        with mg.no_grad():
            return float((function(*inputs).numpy() * weights).sum())

    worst = 0.0
    for tensor, grad in zip(inputs, analytic):
        numeric = numerical_gradient(loss, tensor.numpy(), eps)
        a = grad.numpy()
        worst = max(worst, float(np.max(np.abs(a - numeric)
                                        / np.maximum(1e-8, np.abs(a) + np.abs(numeric)))))
    return worst
    ### END SOLUTION
