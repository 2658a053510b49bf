"""nn.functional exports every name of the API contract with PyTorch's argument names."""

import inspect

import minigrad.nn as nn
import minigrad.nn.functional as F

API_FUNCTIONS = """linear conv2d conv_transpose2d max_pool2d avg_pool2d adaptive_avg_pool2d relu
leaky_relu prelu elu selu gelu silu softplus sigmoid tanh softmax log_softmax dropout
batch_norm layer_norm group_norm cross_entropy nll_loss mse_loss l1_loss smooth_l1_loss
huber_loss multi_margin_loss kl_div binary_cross_entropy binary_cross_entropy_with_logits"""


API_MODULES = """Module Parameter Sequential ModuleList ModuleDict Linear Conv2d MaxPool2d AvgPool2d
AdaptiveAvgPool2d Flatten Identity BatchNorm1d BatchNorm2d LayerNorm GroupNorm Dropout
Dropout2d Sigmoid Tanh ReLU LeakyReLU PReLU ELU SELU GELU SiLU Softplus Softmax LogSoftmax
Maxout CrossEntropyLoss"""



def test_every_api_function_and_module_exists():
    assert [name for name in API_FUNCTIONS.split() if not callable(getattr(F, name, None))] == []
    assert [name for name in API_MODULES.split() if not hasattr(nn, name)] == []
    assert callable(nn.utils.clip_grad_norm_) and callable(nn.init.kaiming_uniform_)


def test_pytorch_argument_names_and_defaults():
    def defaults(fn):
        return {k: v.default for k, v in inspect.signature(fn).parameters.items()
                if v.default is not inspect.Parameter.empty}

    assert defaults(F.cross_entropy) == {"weight": None, "ignore_index": -100,
                                         "reduction": "mean", "label_smoothing": 0.0}
    assert defaults(F.dropout) == {"p": 0.5, "training": True}
    assert defaults(F.smooth_l1_loss)["beta"] == 1.0
    assert defaults(F.huber_loss)["delta"] == 1.0
    assert defaults(F.batch_norm) == {"weight": None, "bias": None, "training": False,
                                      "momentum": 0.1, "eps": 1e-5}
    assert defaults(F.leaky_relu) == {"negative_slope": 0.01}
    assert defaults(F.softplus) == {"beta": 1.0, "threshold": 20.0}
    assert defaults(nn.BatchNorm2d.__init__)["momentum"] == 0.1
    assert defaults(nn.PReLU.__init__) == {"num_parameters": 1, "init": 0.25, "device": None,
                                           "dtype": defaults(nn.PReLU.__init__)["dtype"]}


def test_conv_and_pool_are_the_kernels_issue_ops():
    from minigrad.ops import conv, pool

    assert F.conv2d is conv.conv2d and F.conv_transpose2d is conv.conv_transpose2d
    assert F.max_pool2d is pool.max_pool2d and F.avg_pool2d is pool.avg_pool2d
    assert F.adaptive_avg_pool2d is pool.adaptive_avg_pool2d
