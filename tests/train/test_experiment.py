import numpy as np
import pytest

import minigrad as mg
from minigrad.optim import SGD, Adam
from minigrad.optim.lr_scheduler import CosineAnnealingLR, OneCycleLR, StepLR
from minigrad.train.experiment import (
    DEFAULTS,
    build_augmentation,
    build_optimizer,
    build_scheduler,
    prepare_data,
)
from tests.train.conftest import small_mlp


def test_standardisation_is_fitted_on_the_training_part_only():
    mg.manual_seed(0)
    data = prepare_data(dict(DEFAULTS, val_fraction=0.2))
    assert abs(data.x_train.mean()) < 1e-5 and abs(data.x_train.std() - 1) < 1e-4
    assert len(data.y_val) == round(0.2 * 1438) and len(data.y_test) == 359
    # applying the stored statistics again reproduces the same arrays
    mg.manual_seed(0)
    again = prepare_data(dict(DEFAULTS, val_fraction=0.2), stats=data.stats)
    np.testing.assert_array_equal(again.x_test, data.x_test)
    np.testing.assert_array_equal(again.y_val, data.y_val)


def test_augmentation_names():
    transform = build_augmentation("flip, crop,mixup", (1, 8, 8), 10)
    x, y = transform(np.zeros((4, 1, 8, 8), np.float32), np.arange(4))
    assert x.shape == (4, 1, 8, 8) and y.shape == (4, 10)
    assert build_augmentation("none", (2,), 3) is None
    with pytest.raises(ValueError, match="unknown augmentation 'rotate'"):
        build_augmentation("rotate", (1, 8, 8), 10)


def test_optimizers_and_schedules_by_name():
    model = small_mlp()
    config = dict(DEFAULTS, epochs=6)
    assert isinstance(build_optimizer(model, dict(config, optimizer="adam")), Adam)
    opt = build_optimizer(model, config)
    assert isinstance(opt, SGD) and opt.param_groups[0]["momentum"] == 0.9
    kinds = {name: build_scheduler(opt, dict(config, schedule=name), steps_per_epoch=10)
             for name in ["step", "cosine", "onecycle"]}
    assert isinstance(kinds["step"][0], StepLR) and kinds["step"][1] == "epoch"
    assert isinstance(kinds["cosine"][0], CosineAnnealingLR) and kinds["cosine"][1] == "batch"
    assert kinds["cosine"][0].T_max == 60
    assert isinstance(kinds["onecycle"][0], OneCycleLR)
    with pytest.raises(ValueError, match="unknown optimiser 'lbfgs'"):
        build_optimizer(model, dict(config, optimizer="lbfgs"))
    for name in ("adagrad", "adadelta", "adamax", "nadam", "radam"):
        built = build_optimizer(model, dict(config, optimizer=name, lr=0.3))
        assert type(built).__name__.lower() == name and built.param_groups[0]["lr"] == 0.3
