"""Shared machinery for the optimiser tests: feed a fixed sequence of gradients,
record the parameter after every step; the same for torch.optim; test problems."""

import numpy as np
import pytest
from hypothesis import settings

import minigrad as mg

QUICK = settings(max_examples=20, deadline=None, derandomize=True)


def gradient_sequence(shape=(3, 2), steps=8, seed=0, dtype=np.float64):
    """Gradients that change sign and scale from step to step (a harsh test)."""
    generator = np.random.default_rng(seed)
    return [generator.normal(size=shape, scale=generator.uniform(0.1, 3.0)).astype(dtype)
            for _ in range(steps)]


def initial_weights(shape=(3, 2), seed=1, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def run_minigrad(make_optimizer, init, grads):
    """Parameter values after each step when the gradient is forced to grads[t]."""
    return run_minigrad_keeping_optimizer(make_optimizer, init, grads)[0]


def run_minigrad_keeping_optimizer(make_optimizer, init, grads):
    """(trajectory, optimizer): run_minigrad that also returns the optimiser."""
    param = mg.tensor(init.copy(), requires_grad=True)
    optimizer = make_optimizer([param])
    trajectory = []
    for grad in grads:
        param.grad = mg.tensor(grad.copy())
        optimizer.step()
        trajectory.append(param.numpy().copy())
    return trajectory, optimizer


def run_torch(make_optimizer, init, grads):
    """The same with a torch.optim optimiser (skips the test when torch is absent)."""
    torch = pytest.importorskip("torch")
    param = torch.tensor(init.copy(), requires_grad=True)
    optimizer = make_optimizer([param])
    trajectory = []
    for grad in grads:
        param.grad = torch.tensor(grad.copy())
        optimizer.step()
        trajectory.append(param.detach().numpy().copy())
    return trajectory


def assert_trajectories_close(actual, expected, rtol=1e-10, atol=1e-12):
    assert len(actual) == len(expected)
    for step, (a, e) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"step {step + 1}")


# ------------------------------------------------------------------ test problems
QUADRATIC_A = np.array([[3.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 0.5]])
QUADRATIC_B = np.array([1.0, -2.0, 0.5])
QUADRATIC_MIN = np.linalg.solve(QUADRATIC_A, QUADRATIC_B)


def quadratic_loss(w):
    """f(w) = 1/2 w^T A w - b^T w, minimised at A^-1 b (A symmetric positive definite)."""
    a, b = mg.tensor(QUADRATIC_A), mg.tensor(QUADRATIC_B)
    return 0.5 * (w * mg.matmul(a, w)).sum() - (b * w).sum()


def rosenbrock_loss(w):
    """f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, minimised at (1, 1) (Rosenbrock 1960)."""
    x, y = w[0], w[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def minimise(make_optimizer, loss_fn, init, steps):
    """Run `steps` closure-driven updates with minigrad autograd; return the final w."""
    w = mg.tensor(np.array(init, dtype=np.float64), requires_grad=True)
    optimizer = make_optimizer([w])

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(w)
        loss.backward()
        return loss

    for _ in range(steps):
        optimizer.step(closure)
    return w.numpy().copy()


# ------------------------------------------------------------------ several params, groups
PARAM_SHAPES = ((3, 2), (4,), ())


def multi_param_problem(steps=40, dtype=np.float64, seed=0, shapes=PARAM_SHAPES):
    """Initial weights and per-step gradients for several parameters; the last
    parameter gets no gradient on every third step (it must then be left alone)."""
    inits = [initial_weights(shape, seed=seed + i, dtype=dtype) for i, shape in enumerate(shapes)]
    grads = [gradient_sequence(shape, steps, seed=seed + 100 + i, dtype=dtype)
             for i, shape in enumerate(shapes)]
    for t in range(0, steps, 3):
        grads[-1][t] = None
    return inits, grads


def _grouped(params, groups):
    """groups: None (one list), or [(indices, options), ...] -> param groups."""
    if groups is None:
        return list(params)
    return [{"params": [params[i] for i in indices], **options} for indices, options in groups]


def run_minigrad_groups(make_optimizer, inits, grads, groups=None):
    """[[each parameter's value] after each step]; grads[i][t] is None for no grad."""
    params = [mg.tensor(w.copy(), requires_grad=True) for w in inits]
    optimizer = make_optimizer(_grouped(params, groups))
    trajectory = []
    for t in range(len(grads[0])):
        for p, g in zip(params, grads):
            p.grad = None if g[t] is None else mg.tensor(g[t].copy())
        optimizer.step()
        trajectory.append([p.numpy().copy() for p in params])
    return trajectory


def run_torch_groups(make_optimizer, inits, grads, groups=None):
    """The same with torch.optim; torch's default dtype is set to the parameters' so
    that its scalar state (step, NAdam's mu_product) is kept in that precision too."""
    torch = pytest.importorskip("torch")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64 if inits[0].dtype == np.float64 else torch.float32)
    try:
        params = [torch.tensor(w.copy(), requires_grad=True) for w in inits]
        optimizer = make_optimizer(_grouped(params, groups))
        trajectory = []
        for t in range(len(grads[0])):
            for p, g in zip(params, grads):
                p.grad = None if g[t] is None else torch.tensor(g[t].copy())
            optimizer.step()
            trajectory.append([p.detach().numpy().copy() for p in params])
    finally:
        torch.set_default_dtype(previous)
    return trajectory


def assert_group_trajectories_close(actual, expected, rtol=1e-10, atol=1e-12):
    assert len(actual) == len(expected)
    for step, (a_step, e_step) in enumerate(zip(actual, expected)):
        for index, (a, e) in enumerate(zip(a_step, e_step)):
            assert a.dtype == e.dtype, f"step {step + 1}, parameter {index}"
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol,
                                       err_msg=f"step {step + 1}, parameter {index}")
