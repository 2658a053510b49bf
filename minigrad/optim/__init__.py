"""Optimisers, learning-rate schedules, the LR range test and gradient noise.

    import minigrad.optim as optim
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)

Each algorithm is a pure update function on NumPy arrays (`sgd_update`,
`adam_update`, ...) with its math in the docstring; the classes keep the param
groups and state (see optimizer.py).
"""

from minigrad.optim import lr_scheduler
from minigrad.optim.adadelta import Adadelta, adadelta_update
from minigrad.optim.adagrad import Adagrad, adagrad_update
from minigrad.optim.adam import Adam, AdamW, adam_update
from minigrad.optim.adamax import Adamax, adamax_update
from minigrad.optim.deep_learning_book import TextbookRMSprop, TextbookSGD
from minigrad.optim.lars import LARS, lars_update
from minigrad.optim.lr_finder import LRRangeTestResult, lr_range_test, plot_lr_range_test
from minigrad.optim.nadam import NAdam, nadam_update
from minigrad.optim.noise import GradientNoise, add_gradient_noise_, annealed_noise_std
from minigrad.optim.optimizer import Optimizer, flatten_state_dict, unflatten_state_dict
from minigrad.optim.radam import RAdam, radam_update
from minigrad.optim.rmsprop import RMSprop, rmsprop_update
from minigrad.optim.sgd import SGD, sgd_update

__all__ = [
    "Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "TextbookSGD",
    "TextbookRMSprop", "sgd_update", "adagrad_update", "rmsprop_update", "adam_update",
    "lr_scheduler", "lr_range_test", "plot_lr_range_test", "LRRangeTestResult",
    "GradientNoise", "add_gradient_noise_", "annealed_noise_std", "flatten_state_dict",
    "unflatten_state_dict", "LARS", "lars_update", "Adadelta", "Adamax", "NAdam", "RAdam",
    "adadelta_update", "adamax_update", "nadam_update", "radam_update",
]
