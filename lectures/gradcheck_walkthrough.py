"""Lecture 14: checking the backward pass of your own layer.

A student adds a layer by writing its forward (NumPy) and backward (the chain rule)
as an mg.Function, then lets mg.gradcheck compare the analytic Jacobian with
centred finite differences in float64:

    df/dx_i ~= (f(x + eps e_i) - f(x - eps e_i)) / (2 eps),   error O(eps^2)

The layer here is a fully connected tanh layer, y = tanh(x W^T + b):

    x (N, D), W (M, D), b (M,) -> y (N, M)
    dz = dy * (1 - y^2);   dx = dz W;   dW = dz^T x;   db = sum_n dz

Two versions are checked: the right one, and one with the classic mistake of
forgetting the tanh' factor (1 - y^2). The walkthrough prints gradcheck's report
for each, then the cs231n-style relative error per parameter,
max |a - n| / max(1e-8, |a| + |n|), which should be ~1e-7 or below in float64.
It also shows why the check is done in float64: in float32 the round-off of the
finite difference alone is ~1e-3 relative. Figure: gradcheck_walkthrough.png.
"""

import numpy as np
from _common import banner, figure, main, save

import minigrad as mg
from minigrad.errors import GradcheckError
from minigrad.testing import numerical_gradient, rel_error


class TanhLinear(mg.Function):
    """y = tanh(x W^T + b).   Shapes: x (N, D), W (M, D), b (M,) -> y (N, M)."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        y = np.tanh(x @ weight.T + bias)
        ctx.save_for_backward(x, weight, y)  # y, not z: tanh'(z) = 1 - y^2
        return y

    @staticmethod
    def backward(ctx, grad_y):
        x, weight, y = ctx.saved_tensors
        grad_z = grad_y * (1 - y * y)
        return grad_z @ weight, grad_z.T @ x, grad_z.sum(axis=0)


class BrokenTanhLinear(mg.Function):
    """The same layer with a bug: backward forgets the factor tanh'(z) = 1 - y^2."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        y = np.tanh(x @ weight.T + bias)
        ctx.save_for_backward(x, weight)
        return y

    @staticmethod
    def backward(ctx, grad_y):
        x, weight = ctx.saved_tensors
        return grad_y @ weight, grad_y.T @ x, grad_y.sum(axis=0)


def make_inputs(n, d, m, dtype=np.float64):
    rng = mg.rng.default_generator()
    return (mg.tensor(rng.standard_normal((n, d)).astype(dtype), requires_grad=True),
            mg.tensor(0.5 * rng.standard_normal((m, d)).astype(dtype), requires_grad=True),
            mg.tensor(0.1 * rng.standard_normal(m).astype(dtype), requires_grad=True))


def check(layer, inputs):
    """(passed, report) of mg.gradcheck on layer.apply."""
    try:
        mg.gradcheck(layer.apply, inputs)
        return True, "gradcheck passed"
    except GradcheckError as error:
        return False, str(error)


def relative_errors(layer, inputs):
    """cs231n-style check: loss = sum(y * upstream); numeric vs analytic gradient of each
    input. Returns {name: rel_error}."""
    upstream = mg.rng.default_generator().standard_normal(
        layer.apply(*inputs).shape).astype(inputs[0].dtype)
    for tensor in inputs:
        tensor.grad = None
    (layer.apply(*inputs) * mg.tensor(upstream)).sum().backward()
    errors = {}
    for name, tensor in zip(("x", "W", "b"), inputs):
        numeric = numerical_gradient(lambda _: layer.apply(*inputs).numpy(), tensor,
                                     df=upstream, eps=1e-5)
        errors[name] = rel_error(tensor.grad, numeric)
    return errors


def run(out, full=False):
    n, d, m = (8, 10, 6) if full else (3, 4, 5)
    inputs = make_inputs(n, d, m)
    results = {}
    for label, layer in (("correct", TanhLinear), ("broken", BrokenTanhLinear)):
        banner(f"{layer.__name__} ({label})")
        passed, report = check(layer, inputs)
        errors = relative_errors(layer, inputs)
        print(f"  mg.gradcheck: {report}")
        print("  relative errors: " + ", ".join(f"{k} {v:.2e}" for k, v in errors.items()))
        results[label] = {"passed": passed, "report": report, "rel_errors": errors}
    banner("The same correct layer checked in float32")
    errors32 = relative_errors(TanhLinear, make_inputs(n, d, m, np.float32))
    print("  relative errors: " + ", ".join(f"{k} {v:.2e}" for k, v in errors32.items()))
    results["correct_float32_rel_errors"] = errors32

    fig, axes = figure(1, 1, width=5)
    ax, names = axes[0, 0], list(results["correct"]["rel_errors"])
    for offset, (label, errors) in enumerate((("correct, float64", results["correct"]),
                                              ("broken, float64", results["broken"]),
                                              ("correct, float32", {"rel_errors": errors32}))):
        values = [max(errors["rel_errors"][k], 1e-16) for k in names]
        ax.bar(np.arange(len(names)) + 0.27 * (offset - 1), values, width=0.27, label=label)
    ax.set_yscale("log")
    ax.axhline(1e-7, color="k", linestyle=":", linewidth=0.8)
    ax.set(xticks=range(len(names)), xticklabels=names, ylabel="relative error",
           title="Gradient check of y = tanh(x W^T + b)")
    ax.legend(fontsize=7)
    save(fig, out, "gradcheck_walkthrough.png")
    return results


if __name__ == "__main__":
    main(run, __doc__)
