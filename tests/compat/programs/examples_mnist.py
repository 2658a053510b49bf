"""Stands for: pytorch/examples, mnist/main.py (the basic MNIST convnet example),
on the embedded 8x8 digits instead of the downloaded MNIST, so the first linear layer
takes 64 * 2 * 2 features where the original takes 9216.

Written here in our own words. The idioms it relies on: argparse-style settings,
torch.accelerator.is_available() and torch.device, torch.manual_seed, a Net(nn.Module)
with nn.Conv2d(1, 32, 3, 1), nn.Dropout, nn.Linear, F.relu, F.max_pool2d(x, 2),
torch.flatten(x, 1), F.log_softmax(x, dim=1), model.to(device), a DataLoader over a
TensorDataset with shuffle=True and **kwargs (num_workers, pin_memory), data.to(device),
optimizer.zero_grad(), F.nll_loss, optim.Adadelta(lr=1.0), StepLR(step_size=1,
gamma=0.7), scheduler.step(), model.train()/model.eval(), torch.no_grad(),
F.nll_loss(output, target, reduction="sum").item(), output.argmax(dim=1, keepdim=True),
pred.eq(target.view_as(pred)).sum().item(), len(loader.dataset), and
torch.save-free checkpointing via model.state_dict().
"""

import minigrad as torch
import minigrad.nn as nn
import minigrad.nn.functional as F
import minigrad.optim as optim
from minigrad.optim.lr_scheduler import StepLR
from minigrad.utils.data import DataLoader, TensorDataset

from minigrad.data import load_digits  # the data that ships with minigrad


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(256, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def train(model, device, train_loader, optimizer, losses):
    model.train()
    for data, target in train_loader:
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())


def test(model, device, test_loader):
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    print(f"Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/"
          f"{len(test_loader.dataset)} ({100.0 * correct / len(test_loader.dataset):.0f}%)")
    return test_loss, correct


def main(epochs=3, train_size=512):
    use_accel = torch.accelerator.is_available()
    torch.manual_seed(1)
    device = torch.device("cuda") if use_accel else torch.device("cpu")
    train_kwargs = {"batch_size": 64}
    test_kwargs = {"batch_size": 200}
    if use_accel:
        train_kwargs.update({"num_workers": 1, "pin_memory": True, "shuffle": True})
    train_kwargs["shuffle"] = True

    digits = load_digits()
    train_set = TensorDataset(torch.tensor(digits.x_train[:train_size]),
                              torch.tensor(digits.y_train[:train_size]))
    test_set = TensorDataset(torch.tensor(digits.x_test), torch.tensor(digits.y_test))
    train_loader = DataLoader(train_set, **train_kwargs)
    test_loader = DataLoader(test_set, **test_kwargs)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    losses, test_losses, corrects, lrs = [], [], [], []
    for _ in range(1, epochs + 1):
        train(model, device, train_loader, optimizer, losses)
        test_loss, correct = test(model, device, test_loader)
        test_losses.append(test_loss)
        corrects.append(correct)
        lrs.append(scheduler.get_last_lr()[0])
        scheduler.step()
    state = model.state_dict()
    return {"losses": losses, "test_losses": test_losses, "correct": corrects, "lrs": lrs,
            "fc2.weight": state["fc2.weight"], "conv1.bias": state["conv1.bias"]}
