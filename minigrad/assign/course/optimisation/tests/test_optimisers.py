"""Tests of assignment 3: trajectories against minigrad.optim (PyTorch's rules)."""

import numpy as np
import optimisers

import minigrad as mg
import minigrad.nn as nn
from minigrad.assign.checks import assert_close, task


def quadratic(w):
    return np.array([w[0], 10.0 * w[1]])


def rosenbrock(w):
    x, y = w
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def reference_path(optimizer_class, grad_fn, w0, steps, **hyper):
    """The path minigrad.optim's optimizer takes: the reference trajectory."""
    param = nn.Parameter(np.array(w0, dtype=np.float64))
    optimizer = optimizer_class([param], **hyper)
    path = [param.numpy().copy()]
    for _ in range(steps):
        param.grad = mg.tensor(grad_fn(param.numpy().copy()))
        optimizer.step()
        path.append(param.numpy().copy())
    return np.array(path)


def student_path(step, grad_fn, w0, steps, **hyper):
    w, state, path = np.array(w0, dtype=np.float64), {}, []
    path.append(w.copy())
    for _ in range(steps):
        step(w, grad_fn(w.copy()), state, **hyper)
        path.append(w.copy())
    return np.array(path)


def compare(step, optimizer_class, grad_fn, name, steps=30, w0=(1.5, -0.5), **hyper):
    assert_close(student_path(step, grad_fn, w0, steps, **hyper),
                 reference_path(optimizer_class, grad_fn, w0, steps, **hyper),
                 f"{name} trajectory ({steps} steps from {w0}, {hyper})", rtol=1e-6, atol=1e-9)


# ----------------------------------------------------------------- 3.1
@task("3.1")
def test_sgd_plain_and_momentum_on_the_quadratic():
    compare(optimisers.sgd_step, mg.optim.SGD, quadratic, "SGD", lr=0.05)
    compare(optimisers.sgd_step, mg.optim.SGD, quadratic, "SGD+momentum", lr=0.05,
            momentum=0.9)


### BEGIN HIDDEN TESTS
@task("3.1")
def test_nesterov_on_quadratic_and_rosenbrock():
    compare(optimisers.sgd_step, mg.optim.SGD, quadratic, "Nesterov", lr=0.05, momentum=0.9,
            nesterov=True)
    compare(optimisers.sgd_step, mg.optim.SGD, rosenbrock, "Nesterov on Rosenbrock", lr=1e-4,
            momentum=0.9, nesterov=True, w0=(-1.0, 1.5))
### END HIDDEN TESTS


# ----------------------------------------------------------------- 3.2
@task("3.2")
def test_adagrad_on_the_quadratic():
    compare(optimisers.adagrad_step, mg.optim.Adagrad, quadratic, "AdaGrad", lr=0.5)


### BEGIN HIDDEN TESTS
@task("3.2")
def test_rmsprop_on_quadratic_and_rosenbrock():
    compare(optimisers.rmsprop_step, mg.optim.RMSprop, quadratic, "RMSProp", lr=0.01)
    compare(optimisers.rmsprop_step, mg.optim.RMSprop, rosenbrock, "RMSProp on Rosenbrock",
            lr=1e-3, alpha=0.9, w0=(-1.0, 1.5))
### END HIDDEN TESTS


# ----------------------------------------------------------------- 3.3
@task("3.3")
def test_adam_on_the_quadratic():
    compare(optimisers.adam_step, mg.optim.Adam, quadratic, "Adam", lr=0.1)


### BEGIN HIDDEN TESTS
@task("3.3")
def test_adam_first_step_is_lr_times_sign():
    w = np.array([1.0, -2.0])
    optimisers.adam_step(w, np.array([0.5, -50.0]), {}, lr=0.1)
    assert_close(w, [0.9, -1.9], "w after Adam's first step (bias-corrected: lr * sign(g))",
                 rtol=1e-6)


@task("3.3")
def test_adam_on_rosenbrock():
    compare(optimisers.adam_step, mg.optim.Adam, rosenbrock, "Adam on Rosenbrock", lr=0.02,
            betas=(0.8, 0.99), w0=(-1.0, 1.5), steps=60)
### END HIDDEN TESTS


# ----------------------------------------------------------------- 3.4
@task("3.4")
def test_step_and_inverse_time_schedules():
    got = [optimisers.step_lr(0.1, epoch, 3, 0.5) for epoch in range(8)]
    assert_close(got, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025], "step_lr(0.1, e, 3, 0.5)")
    assert_close(optimisers.inverse_time_lr(0.2, 4, 0.5), 0.2 / 3, "inverse_time_lr(0.2, 4, 0.5)")


### BEGIN HIDDEN TESTS
@task("3.4")
def test_warmup_cosine_against_closed_form():
    got = [optimisers.warmup_cosine_lr(1.0, t, 4, 14, 0.1) for t in range(14)]
    expected = [0.25, 0.5, 0.75, 1.0] + [0.1 + 0.9 * (1 + np.cos(np.pi * k / 10)) / 2
                                         for k in range(10)]
    assert_close(got, expected, "warmup_cosine_lr(1, t, warmup=4, total=14, min_lr=0.1)")


@task("3.4")
def test_step_lr_matches_minigrad_step_schedule():
    param = nn.Parameter(np.zeros(1))
    optimizer = mg.optim.SGD([param], lr=0.3)
    schedule = mg.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.3)
    for epoch in range(7):
        assert_close(optimisers.step_lr(0.3, epoch, 2, 0.3), schedule.get_last_lr()[0],
                     f"step_lr at epoch {epoch} against StepLR")
        optimizer.step()
        schedule.step()
### END HIDDEN TESTS


# ----------------------------------------------------------------- 3.5
def reference_clip(arrays, max_norm):
    params = [nn.Parameter(np.zeros_like(a)) for a in arrays]
    for param, array in zip(params, arrays):
        param.grad = mg.tensor(array.copy())
    total = float(nn.utils.clip_grad_norm_(params, max_norm))
    return total, [p.grad.numpy() for p in params]


@task("3.5")
def test_clip_grad_norm_matches_minigrad():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 4)) * 5, rng.standard_normal(6)]
    total, clipped = reference_clip(arrays, 1.0)
    mine = [a.copy() for a in arrays]
    assert_close(optimisers.clip_grad_norm(mine, 1.0), total, "global gradient norm")
    for index, (a, b) in enumerate(zip(mine, clipped)):
        assert_close(a, b, f"clipped gradient {index}")


### BEGIN HIDDEN TESTS
@task("3.5")
def test_clip_grad_norm_leaves_small_gradients():
    grads = [np.full(4, 0.1), np.full(2, 0.2)]
    optimisers.clip_grad_norm(grads, 10.0)
    assert_close(grads[0], np.full(4, 0.1), "a gradient below max_norm (must not change)")
    unequal = [np.array([3.0, 0.0]), np.array([0.0, 4.0])]
    optimisers.clip_grad_norm(unequal, 1.0)
    assert_close(unequal[0], [0.6, 0.0], "the first of (3, 0), (0, 4) clipped to global norm 1",
                 rtol=1e-5)
### END HIDDEN TESTS


# ----------------------------------------------------------------- 3.6
@task("3.6")
def test_optimise_returns_the_path():
    path = optimisers.optimise(optimisers.sgd_step, [1.0, 1.0], quadratic, 3, lr=0.1)
    expected = [[1.0, 1.0], [0.9, 0.0], [0.81, 0.0], [0.729, 0.0]]
    assert_close(path, expected, "optimise(sgd_step, [1, 1], quadratic, 3, lr=0.1)")


### BEGIN HIDDEN TESTS
@task("3.6")
def test_rosenbrock_gradient_and_adam_path():
    for point in ([-1.0, 1.5], [0.3, 0.2], [1.0, 1.0]):
        assert_close(optimisers.rosenbrock_grad(np.array(point)), rosenbrock(np.array(point)),
                     f"Rosenbrock gradient at {point}")
    path = optimisers.optimise(optimisers.adam_step, [-1.0, 1.5], optimisers.rosenbrock_grad,
                               40, lr=0.02)
    assert_close(path, reference_path(mg.optim.Adam, rosenbrock, (-1.0, 1.5), 40, lr=0.02),
                 "Adam's path on Rosenbrock through optimise", rtol=1e-6)
### END HIDDEN TESTS
