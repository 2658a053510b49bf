import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.errors import ShapeError
from minigrad.train.metrics import MetricAccumulator, confusion_matrix, topk_correct


def naive_topk(logits, labels, k):
    hits = 0
    for row, label in zip(logits, labels):
        ranked = sorted(range(len(row)), key=lambda c: -row[c])[:k]
        hits += label in ranked
    return hits


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 20), classes=st.integers(2, 8), k=st.integers(1, 6),
       seed=st.integers(0, 10_000))
def test_topk_matches_sorting(n, classes, k, seed):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, classes))  # continuous: no ties
    labels = rng.integers(0, classes, n)
    assert topk_correct(logits, labels, k) == naive_topk(logits, labels, k)


def test_topk_accepts_soft_targets_and_checks_shapes():
    logits = np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1]])
    soft = np.array([[0.3, 0.7, 0.0], [0.1, 0.0, 0.9]])
    assert topk_correct(logits, soft, 1) == 1
    with pytest.raises(ShapeError, match=r"got \(2, 3\) and \(3,\)"):
        topk_correct(logits, np.array([0, 1, 2]), 1)


def test_confusion_matrix_counts_pairs():
    targets = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 0, 2])
    expected = np.zeros((3, 3), int)
    for t, p in zip(targets, predicted):
        expected[t, p] += 1
    np.testing.assert_array_equal(confusion_matrix(targets, predicted, 3), expected)


def test_accumulator_weights_batches_by_size():
    meter = MetricAccumulator(num_classes=2)
    meter.update(1.0, np.array([[1.0, 0.0]] * 3), np.array([0, 0, 1]))
    meter.update(4.0, np.array([[0.0, 1.0]]), np.array([1]))
    result = meter.result()
    assert result["loss"] == pytest.approx((3 * 1.0 + 4.0) / 4)
    assert result["acc"] == pytest.approx(3 / 4)
    assert result["top5"] == 1.0
    np.testing.assert_array_equal(meter.confusion, [[2, 0], [1, 1]])
