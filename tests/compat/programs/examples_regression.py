"""Stands for: pytorch/examples, regression/main.py: fitting a random polynomial with
one linear layer on polynomial features, until the smooth L1 loss is small.

Written here in our own words. The idioms it relies on: torch.randn(POLY_DEGREE, 1)
* 5 targets, x.unsqueeze(1) and torch.cat([x ** i for i in range(1, n + 1)], 1),
x.mm(W_target) + b_target.item(), torch.nn.Linear(W_target.size(0), 1),
fc.zero_grad(), F.smooth_l1_loss(fc(batch_x), batch_y), loss.item(),
`for param in fc.parameters(): param.data.add_(-0.1 * param.grad)`, an
iteration count with itertools.count(1), and a readable polynomial made from
W.view(-1) with .tolist().
"""

from itertools import count

import minigrad as torch
import minigrad.nn.functional as F

POLY_DEGREE = 4


def make_features(x):
    """Build features, i.e. a matrix with columns [x, x^2, x^3, x^4]."""
    x = x.unsqueeze(1)
    return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)


def poly_desc(W, b):
    result = "y = "
    for i, w in enumerate(W):
        result += f"{w:+.2f} x^{i + 1} "
    result += f"{b[0]:+.2f}"
    return result


def main(max_iterations=200):
    torch.manual_seed(0)
    W_target = torch.randn(POLY_DEGREE, 1) * 5
    b_target = torch.randn(1) * 5

    def f(x):
        return x.mm(W_target) + b_target.item()

    def get_batch(batch_size=32):
        random = torch.randn(batch_size)
        x = make_features(random)
        return x, f(x)

    fc = torch.nn.Linear(W_target.size(0), 1)
    losses = []
    for batch_idx in count(1):
        batch_x, batch_y = get_batch()
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        losses.append(loss)
        output.backward()
        for param in fc.parameters():
            param.data.add_(-0.1 * param.grad)
        if loss < 1e-3 or batch_idx >= max_iterations:
            break
    print(f"Loss: {loss:.6f} after {batch_idx} batches")
    print("==> Learned function:\t" + poly_desc(fc.weight.view(-1).tolist(), fc.bias.tolist()))
    print("==> Actual function:\t" + poly_desc(W_target.view(-1).tolist(), b_target.tolist()))
    return {"losses": losses, "weight": fc.weight, "bias": fc.bias, "batches": batch_idx}
