"""Stands for: Andrej Karpathy's micrograd, test/test_engine.py (test_sanity_check and
test_more_ops), which checks micrograd's Value against PyTorch.

Written here in our own words. The idioms it relies on: torch.Tensor([x]) from a
Python list, .double(), setting requires_grad = True on a leaf, in-place += on
non-leaf tensors inside the graph (c += c + 1; d += d * 2 + (b + a).relu()), ** with
a Python exponent, a Python scalar divided by a tensor (10.0 / f), .relu(),
backward() of a one-element tensor, .data.item() and .grad.item().
"""

import minigrad as torch


def sanity_check():
    x = torch.Tensor([-4.0]).double()
    x.requires_grad = True
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return y.data.item(), x.grad.item()


def more_ops():
    a = torch.Tensor([-4.0]).double()
    b = torch.Tensor([2.0]).double()
    a.requires_grad = True
    b.requires_grad = True
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g.data.item(), a.grad.item(), b.grad.item()


def main():
    y, x_grad = sanity_check()
    g, a_grad, b_grad = more_ops()
    return {"sanity": [y, x_grad], "more_ops": [g, a_grad, b_grad]}
