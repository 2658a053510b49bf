"""SGD against a loop transcription of PyTorch's documented rule, torch.optim.SGD,
and convergence on a quadratic and on Rosenbrock's function."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.optim import SGD, sgd_update
from tests.optim.common import (
    QUADRATIC_MIN,
    QUICK,
    assert_trajectories_close,
    gradient_sequence,
    initial_weights,
    minimise,
    quadratic_loss,
    rosenbrock_loss,
    run_minigrad,
    run_torch,
)


def reference_sgd(w, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                  nesterov=False):
    """Element by element, straight from the algorithm box of torch.optim.SGD."""
    w = w.astype(np.float64).ravel().copy()
    b = np.zeros_like(w)
    out = []
    for t, g in enumerate(grads):
        g = g.astype(np.float64).ravel()
        new_w = w.copy()
        for i in range(w.size):
            gi = g[i] + weight_decay * w[i]
            if momentum != 0:
                b[i] = gi if t == 0 else momentum * b[i] + (1 - dampening) * gi
                gi = gi + momentum * b[i] if nesterov else b[i]
            new_w[i] = w[i] - lr * gi
        w = new_w
        out.append(w.reshape(grads[0].shape).copy())
    return out


configs = st.fixed_dictionaries({
    "lr": st.floats(1e-3, 1.0),
    "momentum": st.sampled_from([0.0, 0.5, 0.9]),
    "dampening": st.sampled_from([0.0, 0.3]),
    "weight_decay": st.sampled_from([0.0, 0.05]),
    "nesterov": st.booleans(),
}).filter(lambda c: not c["nesterov"] or (c["momentum"] > 0 and c["dampening"] == 0))


@QUICK
@given(configs, st.integers(0, 2**16))
def test_sgd_matches_reference_step_by_step(config, seed):
    init, grads = initial_weights(seed=seed), gradient_sequence(seed=seed + 1)
    actual = run_minigrad(lambda p: SGD(p, **config), init, grads)
    assert_trajectories_close(actual, reference_sgd(init, grads, **config))


@pytest.mark.parity
@pytest.mark.parametrize("config", [
    dict(lr=0.1), dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9, dampening=0.5),
    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    dict(lr=0.2, weight_decay=0.1),
])
def test_sgd_matches_torch(config):
    torch = pytest.importorskip("torch")
    init, grads = initial_weights(), gradient_sequence()
    expected = run_torch(lambda p: torch.optim.SGD(p, **config), init, grads)
    assert_trajectories_close(run_minigrad(lambda p: SGD(p, **config), init, grads), expected)


def test_update_function_is_in_place_and_returns_buffer():
    w, g = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    buf = sgd_update(w, g, None, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0,
                     nesterov=False)
    np.testing.assert_allclose(buf, g)
    np.testing.assert_allclose(w, [0.95, 2.1])


def test_float32_parameters_stay_float32():
    init, grads = initial_weights(dtype=np.float32), gradient_sequence(dtype=np.float32)
    config = dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
    actual = run_minigrad(lambda p: SGD(p, **config), init, grads)
    assert all(a.dtype == np.float32 for a in actual)
    assert_trajectories_close(actual, reference_sgd(init, grads, **config), rtol=1e-5,
                              atol=1e-6)


def test_parameter_without_grad_is_skipped():
    a = mg.tensor(np.ones(2), requires_grad=True)
    b = mg.tensor(np.ones(2), requires_grad=True)
    opt = SGD([a, b], lr=0.5, momentum=0.9)
    a.grad = mg.tensor(np.array([1.0, 2.0]))
    opt.step()
    np.testing.assert_array_equal(b.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(a.numpy(), [0.5, 0.0])
    assert b not in opt.state


def test_step_bumps_the_version_counter_so_stale_graphs_fail():
    w = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (w * w).sum()  # Mul saved w
    w.grad = mg.tensor(np.ones(2))
    SGD([w], lr=0.1).step()
    with pytest.raises(mg.GraphError, match="modified in place"):
        y.backward()


def test_nesterov_needs_momentum_and_no_dampening():
    w = mg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="SGD: Nesterov momentum requires a momentum and zero"):
        SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="dampening=0.5"):
        SGD([w], lr=0.1, momentum=0.9, dampening=0.5, nesterov=True)


def test_sgd_converges_on_quadratic():
    w = minimise(lambda p: SGD(p, lr=0.3, momentum=0.5), quadratic_loss, np.zeros(3), 200)
    np.testing.assert_allclose(w, QUADRATIC_MIN, atol=1e-6)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_converges_on_rosenbrock(nesterov):
    w = minimise(lambda p: SGD(p, lr=1e-3, momentum=0.9, nesterov=nesterov),
                 rosenbrock_loss, [-1.5, 2.0], 3000)
    np.testing.assert_allclose(w, [1.0, 1.0], atol=1e-3)


@QUICK
@given(configs.filter(lambda c: c["momentum"] > 0), st.integers(0, 2**16),
       st.sampled_from([np.float32, np.float64]))
def test_one_pass_kernel_matches_the_numpy_update(config, seed, dtype):
    """SGD's compiled one-pass step (contiguous arrays) and the readable sgd_update
    give the same weights and buffer, in float32 and float64."""
    from minigrad.optim._fused import sgd_momentum_step

    r = np.random.default_rng(seed)
    w, g, b = (r.standard_normal((7, 5)).astype(dtype) for _ in range(3))
    w_ref, b_ref = w.copy(), b.copy()
    sgd_update(w_ref, g, b_ref, config["lr"], config["momentum"], config["dampening"],
               config["weight_decay"], config["nesterov"])
    sgd_momentum_step(w.reshape(-1), g.reshape(-1), b.reshape(-1), config["lr"],
                      config["momentum"], config["dampening"], config["weight_decay"],
                      config["nesterov"])
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(w, w_ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(b, b_ref, rtol=tol, atol=tol)
    assert w.dtype == b.dtype == dtype


def test_non_contiguous_gradient_takes_the_numpy_path_with_the_same_result():
    r = np.random.default_rng(0)
    grads = [np.asfortranarray(r.standard_normal((4, 6))) for _ in range(3)]
    init = r.standard_normal((4, 6))
    param = mg.Tensor(init.copy(), requires_grad=True)
    opt = SGD([param], lr=0.1, momentum=0.9, nesterov=True)
    for g in grads:
        param.grad = mg.Tensor(g)
        opt.step()
    expected = reference_sgd(init, [np.ascontiguousarray(g) for g in grads], 0.1, momentum=0.9,
                             nesterov=True)[-1]
    np.testing.assert_allclose(param.numpy(), expected, rtol=1e-12)
