"""The learning-rate range test: find a usable lr in one short run.

Train for a few hundred steps while the lr grows exponentially from start_lr to
end_lr, recording the loss at each step (Smith 2017, "Cyclical learning rates for
training neural networks", arXiv:1506.01186, sec. 3.3; the exponential sweep and
the smoothing follow common practice). The loss first stays flat (lr too small
to matter), then falls, then blows up (lr too large). A good lr lies on the
falling part: we suggest the lr where the smoothed loss falls fastest per unit
of log(lr).

    result = lr_range_test(params=model.parameters(), optimizer=opt, closure=closure)
    result.suggested_lr
    plot_lr_range_test(result).figure.savefig("lr_range.png")

`closure()` runs forward and backward on a fresh batch and returns the loss. For
training code that is not a (params, optimiser) pair, pass `step_fn(lr) -> loss`
instead: it must take one training step at that lr (and the caller restores).
"""

import math
from typing import NamedTuple

import numpy as np

__all__ = ["LRRangeTestResult", "lr_range_test", "exponential_lrs", "smooth_losses", "suggest_lr",
           "plot_lr_range_test"]


class LRRangeTestResult(NamedTuple):
    lrs: list
    losses: list
    suggested_lr: float


def exponential_lrs(start_lr, end_lr, num_steps):
    """lr_i = start_lr * (end_lr / start_lr) ** (i / (num_steps - 1)),  i = 0..num_steps-1."""
    return [start_lr * (end_lr / start_lr) ** (i / (num_steps - 1)) for i in range(num_steps)]


def smooth_losses(losses, beta=0.98):
    """Bias-corrected exponential moving average, as Adam corrects its moments:

        a_i = beta * a_{i-1} + (1 - beta) * loss_i,   a_{-1} = 0;   s_i = a_i / (1 - beta^(i+1))
    """
    smoothed, average = [], 0.0
    for i, loss in enumerate(losses):
        average = beta * average + (1 - beta) * loss
        smoothed.append(average / (1 - beta ** (i + 1)))
    return smoothed


def suggest_lr(lrs, losses, beta=0.98, skip_start=10, skip_end=5):
    """The lr at the steepest descent of the smoothed loss against log(lr).

    The first `skip_start` points (where the average is still settling) and the
    last `skip_end` (the blow-up) are ignored. With too few points left, falls
    back to a tenth of the lr with the lowest smoothed loss.
    """
    smoothed = np.asarray(smooth_losses(losses, beta))
    log_lrs = np.log(np.asarray(lrs, dtype=np.float64))
    stop = len(lrs) - skip_end
    if stop - skip_start < 3:
        return float(lrs[int(np.nanargmin(smoothed))]) / 10
    slope = np.gradient(smoothed[skip_start:stop], log_lrs[skip_start:stop])
    return float(lrs[skip_start + int(np.nanargmin(slope))])


def lr_range_test(step_fn=None, *, params=None, optimizer=None, closure=None,
                  start_lr=1e-7, end_lr=10.0, num_steps=200, beta=0.98, diverge_factor=4.0):
    """Sweep the lr exponentially and record the loss; stop early once it diverges.

    Args:
        step_fn: callable lr -> loss (float or 0-d Tensor) that takes one training
            step; or leave None and give `optimizer` and `closure`.
        params: the Tensors whose values are saved and restored afterwards (default:
            the optimiser's parameters; add e.g. BatchNorm buffers here).
        optimizer: its groups all get the swept lr; its state and the groups'
            options (lr, momentum, ...) are restored afterwards.
        closure: callable () -> loss that runs forward and backward (the optimiser's
            gradients are zeroed before each call).
        start_lr, end_lr, num_steps: the sweep (num_steps >= 2).
        beta: smoothing of the loss for the stopping rule and the suggestion.
        diverge_factor: stop once the smoothed loss exceeds this times its minimum
            (or any loss is nan/inf).
    Returns:
        LRRangeTestResult(lrs, losses, suggested_lr): lrs and raw losses of the
        steps actually taken.
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"lr_range_test: need 0 < start_lr < end_lr, got start_lr={start_lr}, "
                         f"end_lr={end_lr}")
    if num_steps < 2:
        raise ValueError(f"lr_range_test: num_steps must be >= 2, got {num_steps}")
    if step_fn is None:
        if optimizer is None or closure is None:
            raise ValueError("lr_range_test: give step_fn, or both optimizer and closure")
        return _with_restore(optimizer, params, lambda: _sweep(
            _optimizer_step_fn(optimizer, closure), start_lr, end_lr, num_steps, beta,
            diverge_factor))
    return _sweep(step_fn, start_lr, end_lr, num_steps, beta, diverge_factor)


def _optimizer_step_fn(optimizer, closure):
    def step(lr):
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad()
        return optimizer.step(closure)
    return step


def _with_restore(optimizer, params, run):
    optimised = [p for group in optimizer.param_groups for p in group["params"]]
    tensors = optimised if params is None else list(params)
    saved_values = [t._data.copy() for t in tensors]
    saved_grads = [p.grad for p in optimised]
    saved_state = optimizer.state_dict()
    try:
        return run()
    finally:
        for tensor, value in zip(tensors, saved_values):
            tensor._data[...] = value
            tensor._version.value += 1  # saved copies of the old value are stale
        for p, grad in zip(optimised, saved_grads):
            p.grad = grad
        optimizer.load_state_dict(saved_state)


def _sweep(step_fn, start_lr, end_lr, num_steps, beta, diverge_factor):
    lrs, losses = [], []
    best = math.inf
    for lr in exponential_lrs(start_lr, end_lr, num_steps):
        loss = float(step_fn(lr))
        lrs.append(lr)
        losses.append(loss)
        smoothed = smooth_losses(losses, beta)[-1]
        if not math.isfinite(loss) or smoothed > diverge_factor * best:
            break
        best = min(best, smoothed)
    finite = [i for i, loss in enumerate(losses) if math.isfinite(loss)]
    lrs_ok, losses_ok = [lrs[i] for i in finite], [losses[i] for i in finite]
    suggested = suggest_lr(lrs_ok, losses_ok, beta) if losses_ok else start_lr
    return LRRangeTestResult(lrs, losses, suggested)


def plot_lr_range_test(result, ax=None, beta=0.98):
    """Loss (raw and smoothed) against lr on a log axis, the suggestion marked.

    Draws on `ax` if given, else on a new matplotlib Figure (no pyplot, so no
    window and no backend needed: save it with ax.figure.savefig). Returns ax.
    """
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(6, 4)).add_subplot()
    finite = [(lr, loss) for lr, loss in zip(result.lrs, result.losses) if math.isfinite(loss)]
    lrs = [lr for lr, _ in finite]
    losses = [loss for _, loss in finite]
    ax.plot(lrs, losses, alpha=0.3, label="loss")
    ax.plot(lrs, smooth_losses(losses, beta), label="smoothed loss")
    ax.axvline(result.suggested_lr, color="tab:red", linestyle="--",
               label=f"suggested lr = {result.suggested_lr:.2g}")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    ax.set_title("LR range test")
    ax.legend()
    return ax
