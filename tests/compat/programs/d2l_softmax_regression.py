"""Stands for: "Dive into Deep Learning", the chapter "Softmax Regression
Implementation from Scratch" (PyTorch edition), with the embedded 8x8 digits in
place of Fashion-MNIST.

Written here in our own words. The idioms it relies on: softmax written as
X_exp = torch.exp(X); partition = X_exp.sum(1, keepdim=True), a cross-entropy that
picks y_hat[range(len(y_hat)), y] with an int64 label tensor, torch.log, accuracy with
y_hat.argmax(axis=1) and cmp = y_hat.type(y.dtype) == y, float(cmp.type(y.dtype).sum()),
y.numel(), parameters from torch.normal(0, 0.01, size=(d, k), requires_grad=True),
X.reshape((-1, W.shape[0])), a DataLoader over a TensorDataset with shuffle=True, and
SGD as `with torch.no_grad(): param -= lr * param.grad / batch_size`.
"""

import minigrad as torch
from minigrad.utils import data

from minigrad.data import load_digits  # the data that ships with minigrad


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def main(num_epochs=3):
    torch.manual_seed(0)
    digits = load_digits()
    X_train = torch.tensor(digits.x_train.reshape(len(digits.x_train), -1))
    y_train = torch.tensor(digits.y_train).long()
    train_iter = data.DataLoader(data.TensorDataset(X_train, y_train), batch_size=64,
                                 shuffle=True)
    num_inputs, num_outputs = 64, 10
    W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
    b = torch.zeros(num_outputs, requires_grad=True)

    def net(X):
        return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

    lr, losses, accuracies = 0.5, [], []
    for _ in range(num_epochs):
        total_loss, total_correct, total_count = 0.0, 0.0, 0
        for X, y in train_iter:
            y_hat = net(X)
            loss = cross_entropy(y_hat, y)
            loss.sum().backward()
            with torch.no_grad():
                for param in (W, b):
                    param -= lr * param.grad / X.shape[0]
                    param.grad.zero_()
            total_loss += float(loss.sum())
            total_correct += accuracy(y_hat, y)
            total_count += y.numel()
        losses.append(total_loss / total_count)
        accuracies.append(total_correct / total_count)
    return {"losses": losses, "accuracies": accuracies, "W": W, "b": b}
