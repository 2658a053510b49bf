"""The three models the `minigrad` command trains: an MLP, a small CNN and a small ResNet.

Each builder takes the input shape (C, H, W) or (D,) and the number of classes
and returns an nn.Module mapping (N, *input_shape) to logits (N, num_classes).
"""

import minigrad.nn as nn

__all__ = ["mlp", "cnn", "resnet", "build_model", "MODELS"]


def _flat_size(input_shape):
    size = 1
    for dim in input_shape:
        size *= dim
    return size


def mlp(input_shape, num_classes, hidden=(256, 128)):
    """Flatten -> [Linear -> ReLU] per hidden width -> Linear."""
    layers = [nn.Flatten()]
    width = _flat_size(input_shape)
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


def cnn(input_shape, num_classes, channels=(32, 64), hidden=128):
    """[conv3x3(pad 1) -> ReLU -> maxpool2] x 2 -> Linear -> ReLU -> Linear (LeCun et al.
    1998 in today's form). On 28x28 inputs this is the benchmark CNN of issue 6."""
    in_channels, height, width = input_shape
    layers = []
    for out_channels in channels:
        layers += [nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.ReLU(),
                   nn.MaxPool2d(2)]
        in_channels = out_channels
        height, width = height // 2, width // 2
    layers += [nn.Flatten(), nn.Linear(in_channels * height * width, hidden), nn.ReLU(),
               nn.Linear(hidden, num_classes)]
    return nn.Sequential(*layers)


class SmallResNet(nn.Module):
    """conv3x3 -> BN -> ReLU, then one nn.BasicBlock per width (He et al. 2015,
    arXiv:1512.03385; the first keeps the resolution, each later one halves it),
    global average pooling, Linear."""

    def __init__(self, input_shape, num_classes, widths=(16, 32, 64)):
        super().__init__()
        in_channels = input_shape[0]
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU())
        blocks = []
        for index, width in enumerate(widths):
            blocks.append(nn.BasicBlock(widths[max(index - 1, 0)], width,
                                     stride=1 if index == 0 else 2))
        self.layers = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(widths[-1], num_classes)

    def forward(self, x):
        return self.fc(self.flatten(self.pool(self.layers(self.stem(x)))))


def resnet(input_shape, num_classes, widths=(16, 32, 64)):
    return SmallResNet(input_shape, num_classes, widths)


MODELS = {"mlp": mlp, "cnn": cnn, "resnet": resnet}


def build_model(name, input_shape, num_classes):
    """One of MODELS by name; an image model on flat (D,) inputs is an error."""
    if name not in MODELS:
        raise ValueError(f"build_model: unknown model {name!r}; choose one of {sorted(MODELS)}")
    if name != "mlp" and len(input_shape) != 3:
        raise ValueError(f"build_model: {name} needs images (C, H, W), but the data has "
                         f"samples of shape {tuple(input_shape)}; use --model mlp")
    return MODELS[name](tuple(input_shape), num_classes)
