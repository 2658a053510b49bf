"""Layers: `import minigrad.nn as nn` and `import minigrad.nn.functional as F`.

Modules hold parameters and call the stateless functions of nn.functional.
"""

from minigrad.nn import functional, init, utils
from minigrad.nn.activation import (
    ELU,
    GELU,
    SELU,
    LeakyReLU,
    LogSoftmax,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Swish,
    Tanh,
)
from minigrad.nn.attention import MultiheadAttention
from minigrad.nn.container import ModuleDict, ModuleList, Sequential
from minigrad.nn.conv import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    MaxPool2d,
)
from minigrad.nn.dropout import Dropout, Dropout2d
from minigrad.nn.lazy import (
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyConv2d,
    LazyLinear,
    UninitializedParameter,
)
from minigrad.nn.linear import DropConnect, DropConnectLinear, Flatten, Identity, Linear, Maxout
from minigrad.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    FocalLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    SmoothL1Loss,
)
from minigrad.nn.module import Module, Parameter, RemovableHandle
from minigrad.nn.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    GroupNorm,
    LayerNorm,
    fold_batchnorm,
)
from minigrad.nn.recurrent import GRU, LSTM, RNN
from minigrad.nn.regularization import elastic_net_penalty, l1_penalty, l2_penalty
from minigrad.nn.residual import BasicBlock, StochasticDepth, stochastic_depth
from minigrad.nn.sparse import Embedding
from minigrad.nn.upsample import Upsample

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "RemovableHandle", "Sequential",
    "ModuleList", "ModuleDict", "Linear", "DropConnectLinear", "DropConnect", "Maxout",
    "Identity", "Flatten", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "SiLU", "Swish",
    "Softplus", "Softmax", "LogSoftmax", "BatchNorm1d", "BatchNorm2d", "LayerNorm",
    "GroupNorm", "fold_batchnorm", "Dropout", "Dropout2d", "StochasticDepth",
    "stochastic_depth", "BasicBlock", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss",
    "SmoothL1Loss", "HuberLoss", "MultiMarginLoss", "BCELoss", "BCEWithLogitsLoss",
    "KLDivLoss", "FocalLoss", "l1_penalty", "l2_penalty", "elastic_net_penalty",
    "Embedding", "MultiheadAttention", "RNN", "LSTM", "GRU", "Conv1d", "ConvTranspose2d",
    "Upsample",
    "LazyLinear", "LazyConv2d", "LazyBatchNorm1d", "LazyBatchNorm2d",
    "UninitializedParameter",
]
