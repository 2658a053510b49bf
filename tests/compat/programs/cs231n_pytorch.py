"""Stands for: Stanford CS231n, assignment 2, PyTorch.ipynb ("What's this PyTorch
business?"): the barebones part (flatten, two_layer_fc, three_layer_convnet,
random_weight, check_accuracy, train), the Module API part and the Sequential part,
on generated 3x16x16 images instead of the downloaded CIFAR-10.

Written here in our own words. The idioms it relies on: USE_GPU with
torch.cuda.is_available(), dtype = torch.float32, torch.device, x.view(N, -1),
x.mm(w), F.conv2d(x, w, b, padding=2), torch.randn(shape, device=..., dtype=...) *
np.sqrt(2. / fan_in) with w.requires_grad = True, torch.zeros(shape, device=...,
dtype=..., requires_grad=True), x.to(device=device, dtype=dtype), y.to(...,
dtype=torch.long), `_, preds = scores.max(1)`, (preds == y).sum(), float(num_correct),
preds.size(0), w.grad.zero_() under torch.no_grad(), an nn.Module with
nn.init.kaiming_normal_ and nn.init.zeros_, model.to(device=device), model.train(),
nn.Sequential with nn.Flatten(), and optim.SGD(momentum=0.9, nesterov=True).
"""

import numpy as np

import minigrad as torch
import minigrad.nn as nn
import minigrad.nn.functional as F
import minigrad.optim as optim
from minigrad.utils.data import DataLoader, TensorDataset

USE_GPU = True
dtype = torch.float32
device = torch.device("cuda") if USE_GPU and torch.cuda.is_available() else torch.device("cpu")


def generated_images(count, seed):
    rng = np.random.default_rng(seed)
    patterns = np.random.default_rng(99).normal(0, 1, (10, 3, 16, 16))
    labels = rng.integers(0, 10, count)
    images = patterns[labels] + 0.5 * rng.normal(0, 1, (count, 3, 16, 16))
    return images.astype(np.float32), labels


def flatten(x):
    N = x.shape[0]
    return x.view(N, -1)


def two_layer_fc(x, params):
    x = flatten(x)
    w1, w2 = params
    x = F.relu(x.mm(w1))
    return x.mm(w2)


def three_layer_convnet(x, params):
    conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b = params
    x = F.relu(F.conv2d(x, conv_w1, conv_b1, padding=2))
    x = F.relu(F.conv2d(x, conv_w2, conv_b2, padding=1))
    return flatten(x).mm(fc_w) + fc_b


def random_weight(shape):
    """Kaiming normal: std sqrt(2 / fan_in)."""
    fan_in = shape[0] if len(shape) == 2 else np.prod(shape[1:])
    w = torch.randn(shape, device=device, dtype=dtype) * np.sqrt(2.0 / fan_in)
    w.requires_grad = True
    return w


def zero_weight(shape):
    return torch.zeros(shape, device=device, dtype=dtype, requires_grad=True)


def check_accuracy(loader, model_fn, params=None):
    num_correct, num_samples = 0, 0
    with torch.no_grad():
        for x, y in loader:
            x = x.to(device=device, dtype=dtype)
            y = y.to(device=device, dtype=torch.int64)
            scores = model_fn(x, params) if params is not None else model_fn(x)
            _, preds = scores.max(1)
            num_correct += (preds == y).sum()
            num_samples += preds.size(0)
    return float(num_correct) / num_samples


def train_barebones(model_fn, params, loader, learning_rate, losses):
    for x, y in loader:
        x = x.to(device=device, dtype=dtype)
        y = y.to(device=device, dtype=torch.long)
        loss = F.cross_entropy(model_fn(x, params), y)
        loss.backward()
        losses.append(loss.item())
        with torch.no_grad():
            for w in params:
                w -= learning_rate * w.grad
                w.grad.zero_()


class ThreeLayerConvNet(nn.Module):
    def __init__(self, in_channel, channel_1, channel_2, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channel, channel_1, 5, padding=2)
        self.conv2 = nn.Conv2d(channel_1, channel_2, 3, padding=1)
        self.fc = nn.Linear(channel_2 * 16 * 16, num_classes)
        for layer in (self.conv1, self.conv2, self.fc):
            nn.init.kaiming_normal_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        return self.fc(flatten(x))


def train_module(model, optimizer, loader, losses):
    model = model.to(device=device)
    for x, y in loader:
        model.train()
        x = x.to(device=device, dtype=dtype)
        y = y.to(device=device, dtype=torch.long)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())


def main():
    torch.manual_seed(0)
    x, y = generated_images(192, seed=5)
    loader = DataLoader(TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=32,
                        shuffle=True)
    losses, accuracies = [], []

    fc_params = [random_weight((3 * 16 * 16, 64)), random_weight((64, 10))]
    train_barebones(two_layer_fc, fc_params, loader, 1e-2, losses)
    accuracies.append(check_accuracy(loader, two_layer_fc, fc_params))

    conv_params = [random_weight((8, 3, 5, 5)), zero_weight((8,)), random_weight((4, 8, 3, 3)),
                   zero_weight((4,)), random_weight((4 * 16 * 16, 10)), zero_weight((10,))]
    train_barebones(three_layer_convnet, conv_params, loader, 3e-3, losses)
    accuracies.append(check_accuracy(loader, three_layer_convnet, conv_params))

    model = ThreeLayerConvNet(3, 8, 4, 10)
    train_module(model, optim.SGD(model.parameters(), lr=3e-3), loader, losses)
    accuracies.append(check_accuracy(loader, model))

    sequential = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Flatten(),
                               nn.Linear(8 * 16 * 16, 10))
    optimizer = optim.SGD(sequential.parameters(), lr=1e-2, momentum=0.9, nesterov=True)
    train_module(sequential, optimizer, loader, losses)
    train_module(sequential, optimizer, loader, losses)
    accuracies.append(check_accuracy(loader, sequential))
    return {"losses": losses, "accuracies": accuracies, "fc_w2": fc_params[1],
            "sequential_last": sequential[3].weight}
