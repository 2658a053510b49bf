"""Stands for: "Dive into Deep Learning" (Zhang, Lipton, Li, Smola), the chapter
"Linear Regression Implementation from Scratch" (PyTorch edition).

Written here in our own words. The idioms it relies on: synthetic data from
torch.normal(0, 1, (n, d)) and torch.matmul, y += torch.normal(0, 0.01, y.shape),
y.reshape((-1, 1)), a data iterator that shuffles Python indices with random.shuffle
and indexes with torch.tensor(indices[i: j]), parameters from torch.normal(0, 0.01,
size=(2, 1), requires_grad=True) and torch.zeros(1, requires_grad=True), a squared
loss (y_hat - y.reshape(y_hat.shape)) ** 2 / 2, minibatch SGD written as
`with torch.no_grad(): param -= lr * param.grad / batch_size; param.grad.zero_()`,
and an epoch report with float(train_l.mean()).
"""

import random

import minigrad as torch


def synthetic_data(w, b, num_examples):
    """y = Xw + b + noise."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def main(num_epochs=3):
    random.seed(0)
    true_w = torch.tensor([2, -3.4])
    true_b = 4.2
    features, labels = synthetic_data(true_w, true_b, 300)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    lr, batch_size = 0.03, 10
    losses = []
    for epoch in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels):
            loss = squared_loss(linreg(X, w, b), y)
            loss.sum().backward()
            sgd([w, b], lr, batch_size)
        with torch.no_grad():
            train_l = squared_loss(linreg(features, w, b), labels)
            losses.append(float(train_l.mean()))
            print(f"epoch {epoch + 1}, loss {float(train_l.mean()):f}")
    return {"losses": losses, "w": w, "b": b,
            "w_error": true_w - w.reshape(true_w.shape), "b_error": true_b - b}
