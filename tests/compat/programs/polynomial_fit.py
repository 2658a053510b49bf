"""Stands for: PyTorch's tutorial "Learning PyTorch with Examples" (Justin Johnson),
fitting y = sin(x) on [-pi, pi] with a third-order polynomial four ways: tensors and
autograd by hand, nn.Sequential with an optimiser, a custom autograd Function
(the Legendre polynomial P3), and a module of one's own.

Written here in our own words, with fewer points and steps. The idioms it relies on:
torch.linspace with dtype=, torch.randn((), dtype=..., requires_grad=True) scalars,
(y_pred - y).pow(2).sum(), loss.item() in an f-string, with torch.no_grad(): a -= lr *
a.grad, a.grad = None, x.unsqueeze(-1).pow(p) with an int64 tensor p, nn.Linear,
nn.Flatten(0, 1), nn.MSELoss(reduction="sum"), model.zero_grad(), model[0],
layer.bias.item(), layer.weight[:, 0].item(), optim.RMSprop, a torch.autograd.Function
with @staticmethod forward(ctx, input) / backward(ctx, grad_output),
ctx.save_for_backward and ctx.saved_tensors, Function.apply, and optim.SGD on a
module's parameters().
"""

import math

import minigrad as torch


class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = (5 x^3 - 3 x) / 2;  P3'(x) = 1.5 (5 x^2 - 1)."""

    @staticmethod
    def forward(ctx, input):  # noqa: A002
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors  # noqa: A001
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class Polynomial3(torch.nn.Module):
    def __init__(self, a, b, c, d):
        super().__init__()
        self.a = torch.nn.Parameter(a)
        self.b = torch.nn.Parameter(b)
        self.c = torch.nn.Parameter(c)
        self.d = torch.nn.Parameter(d)

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3


def by_hand(x, y, steps, learning_rate):
    dtype = torch.float
    a = torch.randn((), dtype=dtype, requires_grad=True)
    b = torch.randn((), dtype=dtype, requires_grad=True)
    c = torch.randn((), dtype=dtype, requires_grad=True)
    d = torch.randn((), dtype=dtype, requires_grad=True)
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        if t % 50 == 49:
            print(f"{t} {loss.item():.4f}")
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return losses, [a.item(), b.item(), c.item(), d.item()]


def with_nn_and_rmsprop(x, y, steps):
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(xx), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    linear = model[0]
    return losses, [linear.bias.item(), linear.weight[:, 0].item(),
                    linear.weight[:, 1].item(), linear.weight[:, 2].item()]


def with_custom_function(x, y, steps, learning_rate):
    a = torch.full((), 0.0, requires_grad=True)
    b = torch.full((), -1.0, requires_grad=True)
    c = torch.full((), 0.0, requires_grad=True)
    d = torch.full((), 0.3, requires_grad=True)
    losses = []
    for _ in range(steps):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for parameter in (a, b, c, d):
                parameter -= learning_rate * parameter.grad
                parameter.grad = None
    return losses


def with_own_module(x, y, steps):
    model = Polynomial3(torch.randn(()), torch.randn(()), torch.randn(()), torch.randn(()))
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
    losses = []
    for _ in range(steps):
        loss = criterion(model(x), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


def main(steps=120):
    torch.manual_seed(0)
    x = torch.linspace(-math.pi, math.pi, 500, dtype=torch.float)
    y = torch.sin(x)
    hand_losses, hand_coefficients = by_hand(x, y, steps, 4e-6)
    nn_losses, nn_coefficients = with_nn_and_rmsprop(x, y, steps)
    custom_losses = with_custom_function(x, y, steps, 2e-6)
    module_losses = with_own_module(x, y, steps)
    return {"losses": hand_losses, "hand_coefficients": hand_coefficients,
            "nn_losses": nn_losses, "nn_coefficients": nn_coefficients,
            "custom_losses": custom_losses, "module_losses": module_losses}
