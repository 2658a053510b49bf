"""Stands for: PyTorch's "Deep Learning with PyTorch: A 60 Minute Blitz", part 4,
"Training a Classifier" (cifar10_tutorial), on generated 3x32x32 images of ten
classes instead of the downloaded CIFAR-10.

Written here in our own words. The idioms it relies on: a Net(nn.Module) with
nn.Conv2d(3, 6, 5), nn.MaxPool2d(2, 2), nn.Linear(16 * 5 * 5, 120),
self.pool(F.relu(self.conv1(x))), torch.flatten(x, 1), nn.CrossEntropyLoss(),
optim.SGD(net.parameters(), lr=..., momentum=0.9), `for i, data in
enumerate(trainloader, 0): inputs, labels = data`, running_loss += loss.item() with a
report every few mini-batches, `_, predicted = torch.max(outputs.data, 1)`,
labels.size(0), (predicted == labels).sum().item(), a per-class count indexed by
classes[label] with 0-d integer tensors, and iter(testloader) / next(dataiter).
"""

import numpy as np

import minigrad as torch
import minigrad.nn as nn
import minigrad.nn.functional as F
import minigrad.optim as optim
from minigrad.utils.data import DataLoader, TensorDataset

CLASSES = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def generated_images(count, seed):
    """Ten classes, each a fixed random colour pattern plus noise, normalised as the
    tutorial's transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)) does."""
    rng = np.random.default_rng(seed)
    patterns = np.random.default_rng(123).uniform(0, 1, (10, 3, 32, 32))
    labels = rng.integers(0, 10, count)
    images = 0.8 * patterns[labels] + 0.2 * rng.uniform(0, 1, (count, 3, 32, 32))
    return ((images - 0.5) / 0.5).astype(np.float32), labels.astype(np.int64)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def main(epochs=4):
    torch.manual_seed(0)
    x_train, y_train = generated_images(240, seed=1)
    x_test, y_test = generated_images(80, seed=2)
    trainloader = DataLoader(TensorDataset(torch.tensor(x_train), torch.tensor(y_train)),
                             batch_size=8, shuffle=True, num_workers=0)
    testloader = DataLoader(TensorDataset(torch.tensor(x_test), torch.tensor(y_test)),
                            batch_size=8, shuffle=False, num_workers=0)
    net = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.02, momentum=0.9)

    losses = []
    for epoch in range(epochs):
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            inputs, labels = data
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            losses.append(loss.item())
            if i % 10 == 9:
                print(f"[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 10:.3f}")
                running_loss = 0.0

    dataiter = iter(testloader)
    images, labels = next(dataiter)
    first_outputs = net(images)

    correct, total = 0, 0
    correct_pred = {name: 0 for name in CLASSES}
    with torch.no_grad():
        for data in testloader:
            images, labels = data
            outputs = net(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
            for label, prediction in zip(labels, predicted):
                if label == prediction:
                    correct_pred[CLASSES[label]] += 1
    print(f"Accuracy of the network on the {total} test images: {100 * correct // total} %")
    return {"losses": losses, "correct": correct, "per_class": list(correct_pred.values()),
            "first_outputs": first_outputs, "fc3.weight": net.fc3.weight}
