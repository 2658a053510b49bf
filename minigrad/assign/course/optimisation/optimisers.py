"""Assignment 3: optimisers as small pure functions, with PyTorch's update rules.

Each step function updates the parameter array w in place from its gradient g and
a dict `state` it keeps between steps (empty at the first step), exactly as
torch.optim (and minigrad.optim) does, so the tests can compare whole trajectories.
"""

import numpy as np


# ----------------------------------------------------------------- 3.1 SGD
def sgd_step(w, g, state, lr, momentum=0.0, nesterov=False):
    """b <- momentum * b + g (b = g at the first step);  w <- w - lr * d,
    d = g + momentum * b with Nesterov, b otherwise, and d = g without momentum."""
    ### BEGIN SOLUTION
    if momentum:
        buf = state.get("buf")
        buf = g.copy() if buf is None else momentum * buf + g
        state["buf"] = buf
        direction = g + momentum * buf if nesterov else buf
    else:
        direction = g
    w -= lr * direction
    ### END SOLUTION


# ----------------------------------------------------------------- 3.2 AdaGrad, RMSProp
def adagrad_step(w, g, state, lr, eps=1e-10):
    """r <- r + g*g ;  w <- w - lr * g / (sqrt(r) + eps)     (Duchi et al. 2011)"""
    ### BEGIN SOLUTION
    total = state.setdefault("sum", np.zeros_like(w))
    total += g * g
    w -= lr * g / (np.sqrt(total) + eps)
    ### END SOLUTION


def rmsprop_step(w, g, state, lr, alpha=0.99, eps=1e-8):
    """s <- alpha s + (1 - alpha) g*g ;  w <- w - lr * g / (sqrt(s) + eps)   (Hinton 2012)"""
    ### BEGIN SOLUTION
    sq = state.setdefault("square_avg", np.zeros_like(w))
    sq[...] = alpha * sq + (1 - alpha) * g * g
    w -= lr * g / (np.sqrt(sq) + eps)
    ### END SOLUTION


# ----------------------------------------------------------------- 3.3 Adam
def adam_step(w, g, state, lr, betas=(0.9, 0.999), eps=1e-8):
    """t <- t + 1;  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g*g;
    m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t);  w <- w - lr m_hat / (sqrt(v_hat) + eps)
    (Kingma & Ba 2015, arXiv:1412.6980)."""
    ### BEGIN SOLUTION
    beta1, beta2 = betas
    t = state["step"] = state.get("step", 0) + 1
    m = state["m"] = beta1 * state.get("m", np.zeros_like(w)) + (1 - beta1) * g
    v = state["v"] = beta2 * state.get("v", np.zeros_like(w)) + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    w -= lr * m_hat / (np.sqrt(v_hat) + eps)
    ### END SOLUTION


# ----------------------------------------------------------------- 3.4 schedules
def step_lr(lr0, epoch, step_size, gamma=0.1):
    """lr0 * gamma ** floor(epoch / step_size)   (PyTorch's StepLR)"""
    ### BEGIN SOLUTION
    return lr0 * gamma ** (epoch // step_size)
    ### END SOLUTION


def inverse_time_lr(lr0, t, decay):
    """lr0 / (1 + decay * t)"""
    ### BEGIN SOLUTION
    return lr0 / (1 + decay * t)
    ### END SOLUTION


def warmup_cosine_lr(lr0, t, warmup, total, min_lr=0.0):
    """Linear warmup lr0 * (t + 1) / warmup for t < warmup, then cosine decay
    min_lr + (lr0 - min_lr) (1 + cos(pi (t - warmup) / (total - warmup))) / 2
    (Loshchilov & Hutter 2017; Goyal et al. 2017 for the warmup)."""
    ### BEGIN SOLUTION
    if t < warmup:
        return lr0 * (t + 1) / warmup
    progress = (t - warmup) / max(1, total - warmup)
    return min_lr + (lr0 - min_lr) * (1 + np.cos(np.pi * progress)) / 2
    ### END SOLUTION


# ----------------------------------------------------------------- 3.5 clipping
def clip_grad_norm(grads, max_norm):
    """Scale all arrays in `grads` (in place) by max_norm / (total + 1e-6) when the
    global norm total = sqrt(sum_i ||g_i||^2) exceeds max_norm. Returns total."""
    ### BEGIN SOLUTION
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    if total > max_norm:
        for g in grads:
            scale = max_norm / (total + 1e-6)
            g *= scale
    return total
    ### END SOLUTION


# ----------------------------------------------------------------- 3.6 trajectories
def quadratic_grad(w):
    """f(w) = 0.5 (w0^2 + 10 w1^2): an ill-conditioned bowl."""
    return np.array([w[0], 10.0 * w[1]])


def rosenbrock_grad(w):
    """Gradient of f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 (minimum at (1, 1))."""
    ### BEGIN SOLUTION
    x, y = w
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
    ### END SOLUTION


def optimise(step, w0, grad_fn, steps, **hyper):
    """Run `step(w, grad_fn(w), state, **hyper)` `steps` times from a copy of w0.
    Returns the path: an array (steps + 1, len(w0)), w0 first."""
    ### BEGIN SOLUTION
    w, state = np.array(w0, dtype=np.float64), {}
    path = [w.copy()]
    for _ in range(steps):
        step(w, grad_fn(w), state, **hyper)
        path.append(w.copy())
    return np.array(path)
    ### END SOLUTION
