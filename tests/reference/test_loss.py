"""Softmax cross-entropy: the fused loss nodes against their twins in reference.loss,
and the twins against log-softmax written out."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.reference import loss as twin
from tests.helpers import QUICK, rng

TIGHT = dict(rtol=1e-12, atol=1e-12)


@QUICK
@given(n=st.integers(1, 8), classes=st.integers(1, 6), reduction=st.sampled_from(["mean", "sum"]),
       scale=st.sampled_from([1.0, 100.0]))
def test_cross_entropy_and_its_gradient_agree_in_both_modes(n, classes, reduction, scale):
    logits = rng(0).standard_normal((n, classes)) * scale  # large: the shift matters
    target = rng(1).integers(0, classes, n)
    results = []
    for mode in (False, True):
        x = mg.tensor(logits, requires_grad=True)
        with mg.reference_mode(mode):
            loss = mg.nn.functional.cross_entropy(x, target, reduction=reduction)
            loss.backward()
        results.append((loss.item(), x.grad.numpy()))
    (fast_loss, fast_grad), (twin_loss, twin_grad) = results
    np.testing.assert_allclose(twin_loss, fast_loss, **TIGHT)
    np.testing.assert_allclose(twin_grad, fast_grad, **TIGHT)
    log_probs = logits - logits.max(axis=1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(axis=1, keepdims=True))
    picked = -log_probs[np.arange(n), target]
    np.testing.assert_allclose(twin_loss, picked.mean() if reduction == "mean" else picked.sum(),
                               **TIGHT)


def test_twins_weigh_each_row():
    x = rng(2).standard_normal((3, 4))
    indices, weights = np.array([0, 3, 1]), np.array([0.5, 0.0, 2.0])
    per_row = [twin.softmax_cross_entropy(x[i:i + 1], indices[i:i + 1], np.ones(1))
               for i in range(3)]
    np.testing.assert_allclose(twin.softmax_cross_entropy(x, indices, weights),
                               np.dot(per_row, weights), **TIGHT)
    grad = twin.softmax_cross_entropy_grad(x, indices, weights)
    np.testing.assert_array_equal(grad[1], 0.0)
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-15)
