"""The large-batch recipe: linear learning-rate scaling with gradual warmup.

Goyal et al. 2017, "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour"
(arXiv:1706.02677), section 2:

  * Linear scaling rule. When the minibatch grows k-fold, multiply the learning
    rate by k:   lr = base_lr * global_batch / base_batch.
    (k small steps of size lr on batches of B approximately equal one step of
    size k*lr on their union, as long as the gradient changes slowly.)
  * Gradual warmup. Early on the weights change fast and the rule breaks down,
    so start at base_lr and raise the rate by a constant amount each iteration
    until it reaches k * base_lr after the warmup (5 epochs in the paper):
        lr_t = k*base_lr * (1/k + (1 - 1/k) * min(t, T) / T)

For layer-wise rates on top (LARS, You et al. 2017) see minigrad.optim.LARS.
"""

from minigrad.optim.lr_scheduler import LinearLR, SequentialLR

__all__ = ["scale_lr", "warmup_scheduler"]


def scale_lr(base_lr, global_batch_size, base_batch_size=256):
    """Linear scaling rule: base_lr * global_batch_size / base_batch_size."""
    if global_batch_size <= 0 or base_batch_size <= 0:
        raise ValueError(f"scale_lr: batch sizes must be positive, got global "
                         f"{global_batch_size} and base {base_batch_size}")
    return base_lr * global_batch_size / base_batch_size


def warmup_scheduler(optimizer, warmup_steps, scale, after=None):
    """Gradual warmup from lr/scale to the optimiser's lr over `warmup_steps` steps,
    then `after` (another scheduler built on the same optimiser) or a constant rate.

    Args:
        optimizer: its param groups' lr is the target k*base_lr (see scale_lr).
        warmup_steps: T, iterations of warmup (Goyal et al.: 5 epochs' worth).
        scale: k = global_batch / base_batch; the first step uses lr / k.
        after: scheduler to run from step T on (it starts at its own step 0).
    Step it once per iteration.
    """
    if warmup_steps < 1:
        raise ValueError(f"warmup_scheduler: warmup_steps must be >= 1, got {warmup_steps}")
    if scale < 1:
        raise ValueError(f"warmup_scheduler: scale (global / base batch) must be >= 1, got "
                         f"{scale}")
    warmup = LinearLR(optimizer, start_factor=1.0 / scale, end_factor=1.0,
                      total_iters=warmup_steps)
    if after is None:
        return warmup
    return SequentialLR(optimizer, [warmup, after], milestones=[warmup_steps])
