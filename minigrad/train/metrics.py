"""Classification metrics computed from logits, in NumPy (no graph is needed).

    top-k accuracy   fraction of samples whose true class is among the k largest logits
    confusion matrix C[t, p] = number of samples of true class t predicted as p
"""

import numpy as np

from minigrad.errors import ShapeError

__all__ = ["hard_labels", "topk_correct", "confusion_matrix", "MetricAccumulator"]


def hard_labels(targets):
    """Integer labels (N,) from integer labels or soft targets (N, K) (their argmax)."""
    targets = np.asarray(targets)
    return targets.argmax(axis=1) if targets.ndim == 2 else targets.astype(np.int64)


def topk_correct(logits, targets, k=1):
    """How many rows of logits (N, K) rank their target class among the top k."""
    logits = np.asarray(logits)
    labels = hard_labels(targets)
    if logits.ndim != 2 or len(labels) != len(logits):
        raise ShapeError(f"topk_correct: expected logits (N, K) and targets (N,), got "
                         f"{logits.shape} and {labels.shape}")
    k = min(k, logits.shape[1])
    # a class is in the top k when fewer than k classes score strictly higher
    target_score = logits[np.arange(len(labels)), labels][:, None]
    higher = (logits > target_score).sum(axis=1)
    return int((higher < k).sum())


def confusion_matrix(targets, predictions, num_classes):
    """C (num_classes, num_classes) with C[t, p] = #samples of class t predicted as p."""
    targets, predictions = hard_labels(targets), np.asarray(predictions, dtype=np.int64)
    flat = targets * num_classes + predictions
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes,
                                                                          num_classes)


class MetricAccumulator:
    """Sums loss, top-1 and top-5 hits and the confusion matrix over the batches of an epoch."""

    def __init__(self, num_classes=None):
        self.num_classes = num_classes
        self.count = 0
        self.loss_sum = 0.0
        self.top1 = 0
        self.top5 = 0
        self.confusion = None

    def update(self, loss, logits, targets):
        logits = np.asarray(logits)
        n = len(logits)
        self.count += n
        self.loss_sum += float(loss) * n
        self.top1 += topk_correct(logits, targets, 1)
        self.top5 += topk_correct(logits, targets, 5)
        classes = self.num_classes or logits.shape[1]
        batch = confusion_matrix(targets, logits.argmax(axis=1), classes)
        self.confusion = batch if self.confusion is None else self.confusion + batch

    def result(self):
        """{"loss", "acc", "top5"} averaged over every sample seen."""
        if self.count == 0:
            return {"loss": float("nan"), "acc": float("nan"), "top5": float("nan")}
        return {"loss": self.loss_sum / self.count, "acc": self.top1 / self.count,
                "top5": self.top5 / self.count}
