"""The deep learning book's forms (Goodfellow et al. 2016, ch. 8) against loop
transcriptions of its algorithm boxes, and exactly when they coincide with the
PyTorch forms."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.optim import SGD, RMSprop, TextbookRMSprop, TextbookSGD
from tests.optim.common import (
    QUADRATIC_A,
    QUADRATIC_B,
    QUADRATIC_MIN,
    QUICK,
    assert_trajectories_close,
    gradient_sequence,
    initial_weights,
    minimise,
    quadratic_loss,
    rosenbrock_loss,
    run_minigrad,
)


def quadratic_grad(w):
    """Closed-form gradient of common.quadratic_loss: A w - b."""
    return QUADRATIC_A @ w - QUADRATIC_B


def book_nesterov(w, steps, lr, a, grad_fn, rho=None, delta=0.0):
    """Alg. 8.3 (rho None) and Alg. 8.6 (RMSProp, rho given), line by line."""
    v = np.zeros_like(w)
    r = np.zeros_like(w)
    thetas = []
    for _ in range(steps):
        interim = w + a * v                      # apply interim update
        g = grad_fn(interim)                     # gradient at the interim point
        if rho is None:
            v = a * v - lr * g                   # velocity update
        else:
            r = rho * r + (1 - rho) * g * g      # accumulate squared gradient
            v = a * v - lr * g / np.sqrt(delta + r)
        w = w + v                                # apply update
        thetas.append((w.copy(), v.copy()))
    return thetas


def run_with_closure(optimizer_factory, init, steps, record):
    w = mg.tensor(init.copy(), requires_grad=True)
    optimizer = optimizer_factory([w])

    def closure():
        optimizer.zero_grad()
        loss = quadratic_loss(w)
        loss.backward()
        return loss

    out = []
    for _ in range(steps):
        optimizer.step(closure)
        out.append(record(w, optimizer))
    return out


# ------------------------------------------------------------------ SGD family
@QUICK
@given(st.floats(1e-3, 0.5), st.sampled_from([0.0, 0.5, 0.9]), st.integers(0, 2**16))
def test_momentum_coincides_with_pytorch_form_at_constant_lr(lr, momentum, seed):
    init, grads = initial_weights(seed=seed), gradient_sequence(seed=seed + 1)
    book = run_minigrad(lambda p: TextbookSGD(p, lr=lr, momentum=momentum), init, grads)
    torch_form = run_minigrad(lambda p: SGD(p, lr=lr, momentum=momentum), init, grads)
    assert_trajectories_close(book, torch_form, rtol=1e-10)


def test_momentum_forms_differ_after_an_lr_change():
    """v = -lr b only while lr is constant: the book's v remembers the old lr."""
    init, grads = initial_weights(), gradient_sequence(steps=6)
    trajectories = []
    for cls in (TextbookSGD, SGD):
        w = mg.tensor(init.copy(), requires_grad=True)
        optimizer = cls([w], lr=0.1, momentum=0.9)
        for t, g in enumerate(grads):
            if t == 3:
                optimizer.param_groups[0]["lr"] = 0.01
            w.grad = mg.tensor(g)
            optimizer.step()
        trajectories.append(w.numpy().copy())
    # independent transcription of Alg. 8.2 with the lr switch
    w, v = init.copy(), np.zeros_like(init)
    for t, g in enumerate(grads):
        v = 0.9 * v - (0.1 if t < 3 else 0.01) * g
        w = w + v
    np.testing.assert_allclose(trajectories[0], w, rtol=1e-12)
    assert not np.allclose(trajectories[0], trajectories[1], rtol=1e-3)


def test_book_nesterov_matches_algorithm_8_3():
    init = np.array([2.0, -1.0, 3.0])
    expected = book_nesterov(init, 30, 0.1, 0.9, quadratic_grad)
    actual = run_with_closure(lambda p: TextbookSGD(p, lr=0.1, momentum=0.9, nesterov=True),
                              init, 30, lambda w, opt: w.numpy().copy())
    assert_trajectories_close(actual, [theta for theta, _ in expected])


def test_pytorch_nesterov_tracks_the_books_lookahead_point():
    """SGD(nesterov=True)'s parameters are w + a v of Alg. 8.3 (Sutskever et al. 2013)."""
    init = np.array([2.0, -1.0, 3.0])
    book = book_nesterov(init, 30, 0.1, 0.9, quadratic_grad)
    lookahead = [theta + 0.9 * v for theta, v in book]
    torch_form = run_with_closure(lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True),
                                  init, 30, lambda w, opt: w.numpy().copy())
    assert_trajectories_close(torch_form, lookahead)


def test_nesterov_without_closure_is_refused():
    w = mg.tensor(np.ones(3), requires_grad=True)
    w.grad = mg.tensor(np.ones(3))
    with pytest.raises(ValueError, match="nesterov=True needs step\\(closure\\)"):
        TextbookSGD([w], lr=0.1, momentum=0.9, nesterov=True).step()


def test_l1_decay_shrinks_by_a_constant_step():
    """With a zero loss gradient: w <- w - lr * lambda * sign(w), the L1 proximal drift."""
    init = np.array([0.5, -0.3, 0.25])
    zero_grads = [np.zeros(3)] * 4
    actual = run_minigrad(lambda p: TextbookSGD(p, lr=0.1, l1_weight_decay=0.5), init,
                          zero_grads)
    expected = [init - (t + 1) * 0.1 * 0.5 * np.sign(init) for t in range(4)]
    assert_trajectories_close(actual, expected)


def test_l1_decay_equals_sgd_on_the_l1_penalised_loss():
    init = np.array([0.7, -1.2, 2.0])
    lam = 0.05
    book = minimise(lambda p: TextbookSGD(p, lr=0.1, l1_weight_decay=lam), quadratic_loss,
                    init, 25)
    penalised = minimise(lambda p: SGD(p, lr=0.1),
                         lambda w: quadratic_loss(w) + lam * mg.abs(w).sum(), init, 25)
    np.testing.assert_allclose(book, penalised, rtol=1e-12)


def test_l2_decay_equals_pytorch_weight_decay():
    init, grads = initial_weights(), gradient_sequence()
    book = run_minigrad(lambda p: TextbookSGD(p, lr=0.1, momentum=0.5, weight_decay=0.1),
                        init, grads)
    torch_form = run_minigrad(lambda p: SGD(p, lr=0.1, momentum=0.5, weight_decay=0.1), init,
                              grads)
    assert_trajectories_close(book, torch_form)


def test_textbook_sgd_converges_on_quadratic():
    w = minimise(lambda p: TextbookSGD(p, lr=0.1, momentum=0.8, nesterov=True), quadratic_loss,
                 np.zeros(3), 300)
    np.testing.assert_allclose(w, QUADRATIC_MIN, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda p: TextbookSGD(p, lr=1e-3, momentum=0.9, nesterov=True),
    lambda p: TextbookRMSprop(p, lr=1e-3, momentum=0.9, nesterov=True),
])
def test_textbook_nesterov_variants_converge_on_rosenbrock(make):
    w = minimise(make, rosenbrock_loss, [-1.5, 2.0], 3000)
    np.testing.assert_allclose(w, [1.0, 1.0], atol=2e-3)


# ------------------------------------------------------------------ RMSProp family
def book_rmsprop(w, grads, lr, rho, delta):
    """Alg. 8.5: r <- rho r + (1 - rho) g*g; w <- w - lr g / sqrt(delta + r)."""
    r, out = np.zeros_like(w), []
    for g in grads:
        r = rho * r + (1 - rho) * g * g
        w = w - lr / np.sqrt(delta + r) * g
        out.append(w.copy())
    return out


def test_rmsprop_matches_algorithm_8_5_with_delta_inside_the_root():
    init, grads = initial_weights(), gradient_sequence()
    actual = run_minigrad(lambda p: TextbookRMSprop(p, lr=0.01, rho=0.9, eps=1e-2), init, grads)
    assert_trajectories_close(actual, book_rmsprop(init, grads, 0.01, 0.9, 1e-2))


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_rmsprop_forms_coincide_when_eps_is_zero(momentum):
    init, grads = initial_weights(), gradient_sequence()
    book = run_minigrad(lambda p: TextbookRMSprop(p, lr=0.01, rho=0.9, eps=0.0,
                                                  momentum=momentum), init, grads)
    torch_form = run_minigrad(lambda p: RMSprop(p, lr=0.01, alpha=0.9, eps=0.0,
                                                momentum=momentum), init, grads)
    assert_trajectories_close(book, torch_form)
    # ... and differ when eps is not negligible: sqrt(eps + r) != sqrt(r) + eps
    book = run_minigrad(lambda p: TextbookRMSprop(p, lr=0.01, rho=0.9, eps=0.1), init, grads)
    torch_form = run_minigrad(lambda p: RMSprop(p, lr=0.01, alpha=0.9, eps=0.1), init, grads)
    assert not np.allclose(book[-1], torch_form[-1], rtol=1e-4)


def test_rmsprop_with_nesterov_matches_algorithm_8_6():
    init = np.array([2.0, -1.0, 3.0])
    expected = book_nesterov(init, 40, 0.01, 0.8, quadratic_grad, rho=0.9, delta=1e-6)
    actual = run_with_closure(
        lambda p: TextbookRMSprop(p, lr=0.01, rho=0.9, eps=1e-6, momentum=0.8, nesterov=True),
        init, 40, lambda w, opt: w.numpy().copy())
    assert_trajectories_close(actual, [theta for theta, _ in expected])


def test_textbook_rmsprop_nesterov_converges_on_quadratic():
    w = minimise(lambda p: TextbookRMSprop(p, lr=0.003, momentum=0.9, nesterov=True),
                 quadratic_loss, np.zeros(3), 1500)
    np.testing.assert_allclose(w, QUADRATIC_MIN, atol=1e-2)


def test_textbook_validation():
    w = mg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="Invalid l1_weight_decay value: -0.1"):
        TextbookSGD([w], lr=0.1, l1_weight_decay=-0.1)
    with pytest.raises(ValueError, match="Invalid rho value: 1.0"):
        TextbookRMSprop([w], rho=1.0)
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0"):
        TextbookRMSprop([w], nesterov=True)


def test_nesterov_puts_back_a_parameter_that_got_no_gradient():
    """The look-ahead moves every parameter with a velocity to w + a v; one whose
    closure leaves .grad None must be moved back and left where it was."""
    used, idle = (mg.tensor(np.array([1.0, -2.0]), requires_grad=True) for _ in range(2))
    optimizer = TextbookSGD([used, idle], lr=0.1, momentum=0.9, nesterov=True)

    def closure_for(params):
        def closure():
            optimizer.zero_grad()
            loss = sum((p * p).sum() for p in params)
            loss.backward()
            return loss
        return closure

    optimizer.step(closure_for([used, idle]))  # both get a velocity
    before = idle.numpy().copy()
    optimizer.step(closure_for([used]))  # idle gets no gradient this time
    np.testing.assert_array_equal(idle.numpy(), before)
