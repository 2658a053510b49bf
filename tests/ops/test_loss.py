"""Loss functions: float64 gradchecks on generated shapes, naive per-sample loops as
references, stability at logits of +-1e4, target formats, and PyTorch parity."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.errors import DTypeError, ShapeError
from minigrad.ops import loss as L
from minigrad.testing.coverage import gradchecks
from minigrad.testing.strategies import arrays
from tests.helpers import GRADCHECK, QUICK, rng


def naive_log_softmax(row):
    top = max(row)
    total = sum(math.exp(v - top) for v in row)
    return [v - top - math.log(total) for v in row]


def naive_cross_entropy(x, y, weight, smoothing):
    """Loop over samples; 'mean' as PyTorch: divide by the sum of target weights."""
    n, classes = x.shape
    total, norm = 0.0, 0.0
    for i in range(n):
        logp = naive_log_softmax(x[i])
        picked = -weight[y[i]] * logp[y[i]]
        uniform = -sum(weight[c] * logp[c] for c in range(classes)) / classes
        total += (1 - smoothing) * picked + smoothing * uniform
        norm += weight[y[i]]
    return total / norm


def classification_case(data, max_classes=4):
    n = data.draw(st.integers(1, 4))
    classes = data.draw(st.integers(2, max_classes))
    x = data.draw(arrays((n, classes), low=-3, high=3))
    y = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    return x, y


# ----------------------------------------------------------------- cross-entropy family
@gradchecks(L.SoftmaxCrossEntropy, L.SoftmaxCrossEntropyGrad)
@GRADCHECK
@given(data=st.data(), reduction=st.sampled_from(["mean", "sum"]), ignore=st.booleans())
def test_fused_cross_entropy_gradchecks_to_second_order_and_matches_the_general_path(
        data, reduction, ignore):
    """Index targets without class weights or smoothing take the one-node path; it
    agrees with the composed path (class weights of 1 force that one) in value and
    gradient, with ignored rows, and gradchecks to second order."""
    x, y = classification_case(data)
    if ignore and len(y) > 1:  # some rows ignored, not all (a mean over none is 0/0)
        y = y.copy()
        y[0] = -100
    t = mg.tensor(x, requires_grad=True)
    fused = L.cross_entropy(t, y, reduction=reduction)
    assert fused.grad_fn is not None and type(fused.grad_fn).__name__ == "SoftmaxCrossEntropy"
    fused.backward()
    general_t = mg.tensor(x, requires_grad=True)
    general = L.cross_entropy(general_t, y, weight=np.ones(x.shape[1]), reduction=reduction)
    general.backward()
    assert fused.item() == pytest.approx(general.item(), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(t.grad.numpy(), general_t.grad.numpy(), rtol=1e-10, atol=1e-12)
    fn = lambda v: L.cross_entropy(v, y, reduction=reduction)  # noqa: E731
    assert mg.gradcheck(fn, (mg.tensor(x, requires_grad=True),))
    assert mg.gradgradcheck(fn, (mg.tensor(x, requires_grad=True),))


def test_integer_logits_give_a_float32_loss():
    """Integer logits are promoted to float32 (the default float dtype), as every
    real-valued function of integers is; rows [1, 2] -> class 0 and [3, 4] -> class 1
    lose log(1 + e) and log(1 + 1/e)."""
    logits = mg.tensor(np.array([[1, 2], [3, 4]]))
    expected = (math.log(1 + math.e) + math.log(1 + 1 / math.e)) / 2
    for reduction, scale in (("mean", 1), ("sum", 2)):
        loss = L.cross_entropy(logits, [0, 1], reduction=reduction)
        assert loss.dtype == np.float32
        assert loss.item() == pytest.approx(scale * expected, rel=1e-6)


def test_fused_cross_entropy_keeps_float32_and_names_a_bad_target():
    x = mg.tensor(np.zeros((3, 4), dtype=np.float32), requires_grad=True)
    loss = L.cross_entropy(x, [0, 1, 3])
    assert loss.dtype == np.float32 and loss.item() == pytest.approx(math.log(4))
    loss.backward()
    assert x.grad.dtype == np.float32
    with pytest.raises(ValueError, match="cross_entropy: target 4 is out of range for 4 "
                                         "classes"):
        L.cross_entropy(x, [0, 4, 1])


@GRADCHECK
@given(data=st.data(), smoothing=st.sampled_from([0.0, 0.15]),
       reduction=st.sampled_from(["mean", "sum", "none"]), weighted=st.booleans())
def test_cross_entropy_gradcheck(data, smoothing, reduction, weighted):
    x, y = classification_case(data)
    weight = rng(1).uniform(0.5, 2, x.shape[1]) if weighted else None
    t = mg.tensor(x, requires_grad=True)
    fn = lambda v: L.cross_entropy(v, y, weight=weight, reduction=reduction,  # noqa: E731
                                   label_smoothing=smoothing)
    assert mg.gradcheck(fn, (t,))
    assert mg.gradgradcheck(fn, (t,))


@QUICK
@given(data=st.data(), smoothing=st.sampled_from([0.0, 0.1, 0.3]))
def test_cross_entropy_matches_loop(data, smoothing):
    x, y = classification_case(data, 5)
    weight = rng(2).uniform(0.5, 2, x.shape[1])
    ours = L.cross_entropy(mg.tensor(x), y, weight=weight, label_smoothing=smoothing)
    assert ours.item() == pytest.approx(naive_cross_entropy(x, y, weight, smoothing), rel=1e-10)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    x, y = rng(3).standard_normal((4, 5)), np.array([0, 4, 2, 2])
    t = mg.tensor(x, requires_grad=True)
    L.cross_entropy(t, y).backward()
    softmax = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    np.testing.assert_allclose(t.grad.numpy(), (softmax - np.eye(5)[y]) / 4, rtol=1e-10)


@GRADCHECK
@given(data=st.data())
def test_cross_entropy_probability_targets(data):
    x, _ = classification_case(data)
    q = rng(4).random(x.shape)
    q /= q.sum(1, keepdims=True)
    t = mg.tensor(x, requires_grad=True)
    expected = np.mean([-sum(q[i, c] * naive_log_softmax(x[i])[c] for c in range(x.shape[1]))
                        for i in range(x.shape[0])])
    assert L.cross_entropy(t, q).item() == pytest.approx(expected, rel=1e-10)
    assert mg.gradcheck(lambda v: L.cross_entropy(v, q, label_smoothing=0.1), (t,))
    one_hot = np.eye(x.shape[1])[np.argmax(q, 1)]
    assert L.cross_entropy(t, one_hot).item() == pytest.approx(
        L.cross_entropy(t, np.argmax(q, 1)).item(), rel=1e-12)


@GRADCHECK
@given(data=st.data())
def test_cross_entropy_spatial_targets_and_ignore_index(data):
    x = data.draw(arrays(st.tuples(st.integers(1, 2), st.integers(2, 3), st.integers(1, 3))))
    n, classes, d = x.shape
    y = rng(5).integers(0, classes, (n, d))
    y[0, 0] = -100
    t = mg.tensor(x, requires_grad=True)
    kept = [(i, j) for i in range(n) for j in range(d) if y[i, j] != -100]
    per_position = L.cross_entropy(t, y, reduction="none").numpy()
    for i, j in kept:
        assert per_position[i, j] == pytest.approx(-naive_log_softmax(x[i, :, j])[y[i, j]])
    assert per_position[0, 0] == 0
    if kept:
        assert L.cross_entropy(t, y).item() == pytest.approx(
            np.mean([per_position[i, j] for i, j in kept]))
        assert mg.gradcheck(lambda v: L.cross_entropy(v, y, label_smoothing=0.2), (t,))


def test_cross_entropy_accepts_float_list_targets_and_numpy_ints():
    logits = mg.tensor([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]])
    as_list = L.cross_entropy(logits, mg.tensor([1, 2]))  # float32 tensor of indices
    as_numpy = L.cross_entropy(logits, np.array([1, 2]))
    assert as_list.item() == as_numpy.item()
    assert as_list.dtype == np.float32
    with pytest.raises(DTypeError, match="cross_entropy: class targets must be integers"):
        L.cross_entropy(logits, mg.tensor([0.5, 1.0]))


def test_cross_entropy_errors_name_shapes_and_classes():
    logits = mg.zeros(2, 3)
    with pytest.raises(ShapeError, match=r"cross_entropy: input of shape \(2, 3\) needs class "
                                         r"targets of shape \(2,\), got \(3,\)"):
        L.cross_entropy(logits, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="cross_entropy: target 3 is out of range for 3 classes"):
        L.cross_entropy(logits, np.array([0, 3]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        L.cross_entropy(logits, np.array([0, 1]), reduction="avg")


def test_cross_entropy_single_sample():
    x = rng(6).standard_normal(4)
    loss = L.cross_entropy(mg.tensor(x), 2)
    assert loss.item() == pytest.approx(-naive_log_softmax(x)[2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_classification_losses_stable_at_huge_logits(dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=dtype)
    y = np.array([1, 0])
    for fn in (lambda v: L.cross_entropy(v, y, label_smoothing=0.1),
               lambda v: L.focal_loss(v, y), lambda v: L.multi_margin_loss(v, y),
               lambda v: L.binary_cross_entropy_with_logits(v, np.eye(3)[[0, 2]]),
               lambda v: L.sigmoid_focal_loss(v, np.ones_like(x), reduction="mean")):
        t = mg.tensor(x, requires_grad=True)
        loss = fn(t)
        loss.backward()
        assert loss.dtype == dtype and t.grad.dtype == dtype
        assert np.isfinite(loss.item()) and np.all(np.isfinite(t.grad.numpy()))
    # exact values: -log softmax at a 2e4 gap is 2e4
    assert L.cross_entropy(mg.tensor(x), y, reduction="none").numpy()[0] == pytest.approx(2e4)


@GRADCHECK
@given(data=st.data(), reduction=st.sampled_from(["mean", "sum", "none"]))
def test_nll_loss_gradcheck_and_loop(data, reduction):
    x, y = classification_case(data)
    weight = rng(7).uniform(0.5, 2, x.shape[1])
    t = mg.tensor(x, requires_grad=True)
    fn = lambda v: L.nll_loss(v, y, weight=weight, reduction=reduction)  # noqa: E731
    per_sample = [-weight[y[i]] * x[i, y[i]] for i in range(len(y))]
    expected = {"sum": sum(per_sample), "none": per_sample,
                "mean": sum(per_sample) / sum(weight[y])}[reduction]
    np.testing.assert_allclose(fn(t).numpy(), expected, rtol=1e-12)
    assert mg.gradcheck(fn, (t,))


@GRADCHECK
@given(data=st.data(), p=st.sampled_from([1, 2]), margin=st.sampled_from([1.0, 0.5]))
def test_multi_margin_loss_gradcheck_and_loop(data, p, margin):
    x, y = classification_case(data)
    # keep margins away from the hinge's kink for finite differences
    x = np.round(x, 1) + 0.013 * np.arange(x.size).reshape(x.shape)
    weight = rng(8).uniform(0.5, 2, x.shape[1])
    n, classes = x.shape
    expected = np.mean([weight[y[i]] * sum(max(0.0, margin - x[i, y[i]] + x[i, j]) ** p
                                            for j in range(classes) if j != y[i]) / classes
                        for i in range(n)])
    t = mg.tensor(x, requires_grad=True)
    fn = lambda v: L.multi_margin_loss(v, y, p=p, margin=margin, weight=weight)  # noqa: E731
    assert fn(t).item() == pytest.approx(expected, rel=1e-12)
    assert mg.gradcheck(fn, (t,))


@GRADCHECK
@given(data=st.data(), gamma=st.sampled_from([0.0, 1.0, 2.0]))
def test_focal_loss_gradcheck_and_formula(data, gamma):
    x, y = classification_case(data)
    t = mg.tensor(x, requires_grad=True)
    expected = np.mean([-(1 - math.exp(naive_log_softmax(x[i])[y[i]])) ** gamma
                        * naive_log_softmax(x[i])[y[i]] for i in range(len(y))])
    assert L.focal_loss(t, y, gamma=gamma).item() == pytest.approx(expected, rel=1e-10)
    assert mg.gradcheck(lambda v: L.focal_loss(v, y, gamma=gamma), (t,))
    if gamma == 0:
        assert L.focal_loss(t, y, gamma=0).item() == pytest.approx(L.cross_entropy(t, y).item())


# ----------------------------------------------------------------- binary
def naive_bce(p, t):
    return -(t * max(math.log(p) if p > 0 else -math.inf, -100)
             + (1 - t) * max(math.log(1 - p) if p < 1 else -math.inf, -100))


@gradchecks(L.BinaryCrossEntropy)
@GRADCHECK
@given(data=st.data())
def test_binary_cross_entropy_gradcheck_and_loop(data):
    p = data.draw(arrays(st.tuples(st.integers(1, 3), st.integers(1, 3)), low=0.05, high=0.95))
    target = rng(9).random(p.shape)
    weight = rng(10).uniform(0.5, 2, p.shape)
    expected = np.mean([weight[i] * naive_bce(p[i], target[i]) for i in np.ndindex(p.shape)])
    t = mg.tensor(p, requires_grad=True)
    assert L.binary_cross_entropy(t, target, weight=weight).item() == pytest.approx(expected)
    assert mg.gradcheck(lambda v: L.binary_cross_entropy(v, target, weight), (t,))
    soft = mg.tensor(target, requires_grad=True)
    assert mg.gradcheck(L.binary_cross_entropy, (t, soft))
    assert mg.gradgradcheck(L.binary_cross_entropy, (t, soft))


def test_binary_cross_entropy_clamps_log_at_minus_100():
    loss = L.binary_cross_entropy(mg.tensor([0.0, 1.0]), mg.tensor([1.0, 0.0]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0])
    with pytest.raises(ValueError, match="binary_cross_entropy: input must hold probabilities"):
        L.binary_cross_entropy(mg.tensor([1.5]), mg.tensor([1.0]))


@GRADCHECK
@given(data=st.data(), use_pos_weight=st.booleans())
def test_bce_with_logits_gradcheck_and_loop(data, use_pos_weight):
    x = data.draw(arrays(st.tuples(st.integers(1, 3), st.integers(1, 3)), low=-4, high=4))
    target = rng(11).random(x.shape)
    pos_weight = rng(12).uniform(0.5, 3, x.shape[1]) if use_pos_weight else np.ones(x.shape[1])
    expected = np.mean([-(pos_weight[i[1]] * target[i] * math.log(1 / (1 + math.exp(-x[i])))
                          + (1 - target[i]) * math.log(1 - 1 / (1 + math.exp(-x[i]))))
                        for i in np.ndindex(x.shape)])
    t = mg.tensor(x, requires_grad=True)
    fn = lambda v: L.binary_cross_entropy_with_logits(  # noqa: E731
        v, target, pos_weight=pos_weight if use_pos_weight else None)
    assert fn(t).item() == pytest.approx(expected, rel=1e-10)
    assert mg.gradcheck(fn, (t,))
    assert mg.gradgradcheck(fn, (t,))


@GRADCHECK
@given(data=st.data(), alpha=st.sampled_from([0.25, -1.0]), gamma=st.sampled_from([0.0, 2.0]))
def test_sigmoid_focal_loss_gradcheck_and_formula(data, alpha, gamma):
    x = data.draw(arrays(st.tuples(st.integers(1, 3), st.integers(1, 2))))
    target = (rng(13).random(x.shape) > 0.5).astype(np.float64)
    t = mg.tensor(x, requires_grad=True)
    expected = []
    for i in np.ndindex(x.shape):
        p = 1 / (1 + math.exp(-x[i]))
        p_t = p if target[i] == 1 else 1 - p
        a_t = 1.0 if alpha < 0 else (alpha if target[i] == 1 else 1 - alpha)
        expected.append(-a_t * (1 - p_t) ** gamma * math.log(p_t))
    np.testing.assert_allclose(L.sigmoid_focal_loss(t, target, alpha, gamma).numpy(),
                               np.reshape(expected, x.shape), rtol=1e-10)
    assert mg.gradcheck(lambda v: L.sigmoid_focal_loss(v, target, alpha, gamma, "sum"), (t,))


# ----------------------------------------------------------------- regression
REGRESSION = {
    "mse": (L.mse_loss, {}, lambda d: d * d),
    "l1": (L.l1_loss, {}, abs),
    "smooth_l1": (L.smooth_l1_loss, {"beta": 0.7},
                  lambda d: 0.5 * d * d / 0.7 if abs(d) < 0.7 else abs(d) - 0.35),
    "huber": (L.huber_loss, {"delta": 0.7},
              lambda d: 0.5 * d * d if abs(d) < 0.7 else 0.7 * (abs(d) - 0.35)),
}


@pytest.mark.parametrize("name", sorted(REGRESSION))
@GRADCHECK
@given(data=st.data(), reduction=st.sampled_from(["mean", "sum", "none"]))
def test_regression_losses_gradcheck_and_loop(name, data, reduction):
    fn, kwargs, pointwise = REGRESSION[name]
    shape = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=2).map(tuple))
    x = data.draw(arrays(shape))
    target = x + rng(14).choice([-1.3, -0.4, 0.3, 1.1], size=shape)  # away from kinks
    t = mg.tensor(x, requires_grad=True)
    u = mg.tensor(target, requires_grad=True)
    per = np.array([pointwise(x[i] - target[i]) for i in np.ndindex(shape)]).reshape(shape)
    expected = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    np.testing.assert_allclose(fn(t, u, reduction=reduction, **kwargs).numpy(), expected,
                               rtol=1e-12)
    assert mg.gradcheck(lambda a, b: fn(a, b, reduction=reduction, **kwargs), (t, u))


def test_regression_shape_mismatch_is_an_error():
    with pytest.raises(ShapeError, match=r"mse_loss: input shape \(4, 1\) and target shape "
                                         r"\(4,\) differ"):
        L.mse_loss(mg.zeros(4, 1), mg.zeros(4))


def test_smooth_l1_with_beta_zero_is_l1_and_huber_is_scaled_smooth_l1():
    x, target = rng(15).standard_normal(20), rng(16).standard_normal(20)
    t = mg.tensor(x)
    assert L.smooth_l1_loss(t, target, beta=0.0).item() == pytest.approx(
        L.l1_loss(t, target).item())
    assert L.huber_loss(t, target, delta=0.6).item() == pytest.approx(
        0.6 * L.smooth_l1_loss(t, target, beta=0.6).item())


# ----------------------------------------------------------------- KL
@GRADCHECK
@given(data=st.data(), log_target=st.booleans(),
       reduction=st.sampled_from(["batchmean", "mean", "sum"]))
def test_kl_div_gradcheck_and_loop(data, log_target, reduction):
    x, _ = classification_case(data)
    log_q = np.array([naive_log_softmax(row) for row in x])
    p = rng(17).random(x.shape)
    p[0, 0] = 0.0  # 0 log 0 = 0
    p /= p.sum(1, keepdims=True)
    total = sum(p[i] * (math.log(p[i]) - log_q[i]) for i in np.ndindex(x.shape) if p[i] > 0)
    divisor = {"batchmean": x.shape[0], "mean": x.size, "sum": 1}[reduction]
    target = np.log(np.where(p > 0, p, 1e-300)) if log_target else p
    if log_target:
        total = sum(p[i] * (target[i] - log_q[i]) for i in np.ndindex(x.shape))
    q = mg.tensor(log_q, requires_grad=True)
    fn = lambda v: L.kl_div(v, target, reduction=reduction, log_target=log_target)  # noqa: E731
    assert fn(q).item() == pytest.approx(total / divisor, rel=1e-10, abs=1e-12)
    assert mg.gradcheck(fn, (q,))
    if not log_target:
        positive = mg.tensor(np.where(p > 0, p, 0.3), requires_grad=True)
        assert mg.gradcheck(lambda u: L.kl_div(q, u, reduction=reduction), (positive,))


# ----------------------------------------------------------------- PyTorch parity
@pytest.mark.parity
def test_parity_with_torch():
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    generator = rng(18)
    x, y = generator.standard_normal((6, 4, 3)), generator.integers(0, 4, (6, 3))
    y[1, 2] = -100
    weight = generator.uniform(0.5, 2, 4)
    probs = generator.random((6, 4, 3))
    probs /= probs.sum(1, keepdims=True)
    x2, y2, t2 = generator.standard_normal((6, 4)) * 3, generator.integers(0, 4, 6), \
        generator.random((6, 4))
    cases = []
    for smoothing in (0.0, 0.2):
        for reduction in ("mean", "sum", "none"):
            cases.append((lambda a, b, s=smoothing, r=reduction, m=L: m.cross_entropy(
                a, b, weight=weight, label_smoothing=s, reduction=r),
                lambda a, b, s=smoothing, r=reduction: TF.cross_entropy(
                a, b, weight=torch.tensor(weight), label_smoothing=s, reduction=r), x, y))
    cases += [
        (lambda a, b: L.cross_entropy(a, b, weight=weight, label_smoothing=0.1),
         lambda a, b: TF.cross_entropy(a, b, weight=torch.tensor(weight), label_smoothing=0.1),
         x, probs),
        (lambda a, b: L.nll_loss(a, b, weight=weight),
         lambda a, b: TF.nll_loss(a, b, weight=torch.tensor(weight)), x, y),
        (lambda a, b: L.multi_margin_loss(a, b, p=2, margin=0.7, weight=weight),
         lambda a, b: TF.multi_margin_loss(a, b, p=2, margin=0.7, weight=torch.tensor(weight)),
         x2, y2),
        (lambda a, b: L.binary_cross_entropy_with_logits(a, b, pos_weight=weight),
         lambda a, b: TF.binary_cross_entropy_with_logits(a, b, pos_weight=torch.tensor(weight)),
         x2, t2),
        (lambda a, b: L.binary_cross_entropy(a, b), TF.binary_cross_entropy,
         1 / (1 + np.exp(-x2)), t2),
        (lambda a, b: L.smooth_l1_loss(a, b, beta=0.5),
         lambda a, b: TF.smooth_l1_loss(a, b, beta=0.5), x2, t2),
        (lambda a, b: L.huber_loss(a, b, delta=0.5),
         lambda a, b: TF.huber_loss(a, b, delta=0.5), x2, t2),
        (L.mse_loss, TF.mse_loss, x2, t2),
        (L.l1_loss, TF.l1_loss, x2, t2),
        (lambda a, b: L.kl_div(a, b, reduction="batchmean"),
         lambda a, b: TF.kl_div(a, b, reduction="batchmean"),
         np.log(t2 / t2.sum(1, keepdims=True)), probs[:, :, 0]),
    ]
    for ours_fn, torch_fn, inputs, target in cases:
        ours_in = mg.tensor(inputs, requires_grad=True)
        ours = ours_fn(ours_in, target)
        ours.backward(np.ones(ours.shape))
        theirs_in = torch.tensor(inputs, requires_grad=True)
        theirs = torch_fn(theirs_in, torch.tensor(target))
        theirs.backward(torch.ones(theirs.shape, dtype=torch.float64))
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy(), rtol=1e-9,
                                   atol=1e-12)


def test_float32_inputs_give_float32_losses_whatever_the_target_dtype():
    x = mg.tensor(rng(19).standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    q = mg.tensor(np.full((3, 4), 0.25))  # float64 Tensor
    assert q.dtype == np.float64
    for loss in (L.cross_entropy(x, q), L.mse_loss(x, q), L.kl_div(x, q),
                 L.binary_cross_entropy_with_logits(x, q), L.huber_loss(x, q.numpy())):
        assert loss.dtype == np.float32


# ----------------------------------------------------------------- limits PyTorch defines
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturated_wrong_bce_prediction_still_learns(dtype):
    """p = 0 with t = 1 (and p = 1 with t = 0): the loss is clamped at 100, and the
    gradient is PyTorch's (p - t) / max(p (1 - p), 1e-12) = -+1e12, not the 0 of the
    clamped log, which would stall learning."""
    p = mg.tensor(np.array([0.0, 1.0, 1e-20, 0.5], dtype=dtype), requires_grad=True)
    t = np.array([1.0, 0.0, 1.0, 0.3], dtype=dtype)
    loss = L.binary_cross_entropy(p, t, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0, -math.log(1e-20),
                                              -(0.3 * math.log(0.5) + 0.7 * math.log(0.5))],
                               rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), [-1e12, 1e12, -1e12, 0.2 / 0.25], rtol=1e-6)


@pytest.mark.parity
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturated_bce_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    p_values = np.array([0.0, 1.0, 0.0, 1.0, 1e-7, 0.999], dtype=dtype)
    t_values = np.array([1.0, 0.0, 0.0, 1.0, 0.6, 0.2], dtype=dtype)
    ours_p, ours_t = (mg.tensor(v, requires_grad=True) for v in (p_values, t_values))
    theirs_p, theirs_t = (torch.tensor(v, requires_grad=True) for v in (p_values, t_values))
    ours = L.binary_cross_entropy(ours_p, ours_t, reduction="none")
    theirs = torch.nn.functional.binary_cross_entropy(theirs_p, theirs_t, reduction="none")
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours_p.grad.numpy(), theirs_p.grad.numpy(), rtol=1e-5)
    # d/dt = max(log(1 - p), -100) - max(log p, -100): PyTorch leaves these logs
    # unclamped (+-inf at p = 0 or 1); minigrad differentiates the loss it computes
    np.testing.assert_allclose(ours_t.grad.numpy()[4:], theirs_t.grad.numpy()[4:], rtol=1e-5)
    np.testing.assert_allclose(ours_t.grad.numpy()[:4], [100.0, -100.0, 100.0, -100.0])


ALL_IGNORED = {
    "fused": lambda x, y: L.cross_entropy(x, y),
    "weighted": lambda x, y: L.cross_entropy(x, y, weight=np.array([1.0, 2.0, 3.0])),
    "smoothed": lambda x, y: L.cross_entropy(x, y, label_smoothing=0.1),
    "nll": lambda x, y: L.nll_loss(x, y),
}


@pytest.mark.parametrize("name", sorted(ALL_IGNORED))
def test_mean_loss_with_every_target_ignored_is_nan_with_zero_gradient(name):
    """PyTorch: nothing to average gives a nan loss (0/0) and a zero gradient (every
    position's weight is 0), with no warning."""
    x = mg.tensor(rng(20).standard_normal((2, 3)), requires_grad=True)
    with np.errstate(all="raise"):
        loss = ALL_IGNORED[name](x, np.array([-100, -100]))
        assert np.isnan(loss.item())
        loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


@pytest.mark.parity
def test_every_target_ignored_matches_torch():
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    x = rng(21).standard_normal((2, 3))
    y = np.array([-100, -100])
    for reduction in ("mean", "sum", "none"):
        for ours_fn, torch_fn in ((L.cross_entropy, TF.cross_entropy), (L.nll_loss, TF.nll_loss)):
            ours_in = mg.tensor(x, requires_grad=True)
            theirs_in = torch.tensor(x, requires_grad=True)
            ours = ours_fn(ours_in, y, reduction=reduction)
            theirs = torch_fn(theirs_in, torch.tensor(y), reduction=reduction)
            ours.sum().backward()
            theirs.sum().backward()
            np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy())
            np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy())


GENERAL_PATHS = {  # the cross-entropy cases that go through log_softmax, not the fused op
    "none": {"reduction": "none"},
    "weight": {"weight": np.array([1.0, 2.0, 1.0], dtype=np.float32)},
    "smoothing": {"label_smoothing": 0.2},
}


@pytest.mark.parametrize("name", sorted(GENERAL_PATHS))
def test_cross_entropy_general_paths_keep_precision_at_huge_logits(name):
    """float32 logits [[1e6, 1e6, 0]] with target 0 lose log 2 (0.6875 before the
    log_softmax fix); with smoothing eps the loss is (1 - eps) ln 2 + eps/3 (2 ln 2 +
    1e6 + ln 2); also as a (1, 3, 1) spatial input."""
    kwargs = GENERAL_PATHS[name]
    x = np.array([[1e6, 1e6, 0.0]], dtype=np.float32)
    eps = kwargs.get("label_smoothing", 0.0)
    expected = (1 - eps) * math.log(2) + eps / 3 * (3 * math.log(2) + 1e6)
    for logits, target in ((x, np.array([0])), (x[:, :, None], np.array([[0]]))):
        loss = L.cross_entropy(mg.tensor(logits), target, **kwargs)
        np.testing.assert_allclose(loss.numpy().ravel(), [expected], rtol=1e-6)


@pytest.mark.parity
def test_cross_entropy_general_paths_at_huge_logits_match_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[1e6, 1e6, 0.0], [2e4, -3e4, 2e4 + 1]], dtype=np.float32)
    y = np.array([0, 2])
    for kwargs in GENERAL_PATHS.values():
        torch_kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                        for k, v in kwargs.items()}
        ours = L.cross_entropy(mg.tensor(x), y, **kwargs)
        theirs = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(y),
                                                   **torch_kwargs)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
