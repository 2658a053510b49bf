"""Tests of assignment 4. Run them with `python -m minigrad grade .`"""

import numpy as np
import practice

import minigrad as mg
import minigrad.nn as nn
from minigrad.assign.checks import assert_close, assert_shape, task


# ----------------------------------------------------------------- 4.1
@task("4.1")
def test_init_weight_standard_deviations():
    rng = np.random.default_rng(0)
    for scheme, expected in [("normal0.01", 0.01), ("normal0.05", 0.05),
                             ("xavier", np.sqrt(2 / 700)), ("kaiming", np.sqrt(2 / 400))]:
        w = practice.init_weight(400, 300, scheme, rng)
        assert_shape(w, (400, 300), f"init_weight(400, 300, {scheme!r})")
        assert abs(w.std() / expected - 1) < 0.02, (
            f"init_weight {scheme}: std {w.std():.5f}, expected {expected:.5f}")


@task("4.1")
def test_small_init_makes_tanh_activations_vanish():
    stds = practice.layer_stds("normal0.01", "tanh")
    assert len(stds) == 10, f"layer_stds returned {len(stds)} values for 10 layers"
    assert stds[-1] < 1e-6, (
        f"N(0, 0.01^2) with tanh: last layer std {stds[-1]:.3g}, expected < 1e-6")


### BEGIN HIDDEN TESTS
@task("4.1")
def test_xavier_tanh_and_kaiming_relu_keep_the_scale():
    xavier = practice.layer_stds("xavier", "tanh")
    kaiming = practice.layer_stds("kaiming", "relu")
    assert 0.1 < xavier[-1] < 1.0, f"Xavier with tanh: last layer std {xavier[-1]:.3g}"
    ratio = kaiming[-1] / kaiming[0]
    assert 0.5 < ratio < 2.0, (
        f"Kaiming with ReLU: last/first layer std {ratio:.3g}, expected about 1 (the factor 2 "
        f"in sqrt(2 / fan_in) makes up for ReLU halving the variance)")


@task("4.1")
def test_layer_stds_matches_the_recipe():
    rng = np.random.default_rng(3)
    h = rng.standard_normal((500, 256))
    expected = []
    for _ in range(10):
        h = np.tanh(h @ rng.normal(0.0, 0.05, (256, 256)))
        expected.append(h.std())
    assert_close(practice.layer_stds("normal0.05", "tanh", seed=3), expected,
                 "layer_stds('normal0.05', 'tanh', seed=3)")
### END HIDDEN TESTS


# ----------------------------------------------------------------- 4.2
def bowl_step(lr):
    """A loss that falls until lr ~ 0.1 and explodes beyond 1."""
    return 1.0 / (1.0 + 10 * lr) + lr ** 3


@task("4.2")
def test_lr_range_test_is_geometric():
    lrs, losses = practice.lr_range_test(lambda lr: 1.0, 1e-4, 1.0, 5)
    assert_close(lrs, [1e-4, 1e-3, 1e-2, 1e-1, 1.0], "the learning rates of a 5-step sweep")
    assert len(losses) == len(lrs), "lr_range_test: lrs and losses differ in length"


### BEGIN HIDDEN TESTS
@task("4.2")
def test_lr_range_test_stops_on_divergence_and_suggests():
    lrs, losses = practice.lr_range_test(bowl_step, 1e-3, 100.0, 26)
    assert lrs[-1] < 100.0, "lr_range_test did not stop when the loss exploded"
    assert losses[-1] > 4 * min(losses), "lr_range_test stopped before the loss diverged"
    suggestion = practice.suggest_lr(lrs, losses)
    assert_close(suggestion, lrs[int(np.argmin(losses))] / 10, "suggest_lr")
### END HIDDEN TESTS


# ----------------------------------------------------------------- 4.3
@task("4.3")
def test_early_stopping_waits_for_patience():
    stopper = practice.EarlyStopping(patience=2)
    decisions = [stopper.step(loss) for loss in [1.0, 0.8, 0.9, 0.85]]
    assert decisions == [False, False, False, True], f"stop decisions {decisions}"
    assert stopper.best_epoch == 1, f"best_epoch {stopper.best_epoch}, expected 1"


### BEGIN HIDDEN TESTS
@task("4.3")
def test_early_stopping_resets_on_improvement_and_min_delta():
    stopper = practice.EarlyStopping(patience=2)
    decisions = [stopper.step(loss) for loss in [1.0, 1.1, 0.9, 1.0, 0.8, 0.85, 0.86]]
    assert decisions == [False] * 6 + [True], f"stop decisions {decisions}"
    strict = practice.EarlyStopping(patience=1, min_delta=0.1)
    assert [strict.step(v) for v in [1.0, 0.95]] == [False, True], (
        "an improvement smaller than min_delta must count as no improvement")
### END HIDDEN TESTS


# ----------------------------------------------------------------- 4.4
@task("4.4")
def test_flip_all_or_nothing():
    images = np.arange(2 * 1 * 3 * 4, dtype=np.float32).reshape(2, 1, 3, 4)
    assert_close(practice.horizontal_flip(images, np.random.default_rng(0), p=1.0),
                 images[..., ::-1], "horizontal_flip with p = 1")
    assert_close(practice.horizontal_flip(images, np.random.default_rng(0), p=0.0), images,
                 "horizontal_flip with p = 0")


### BEGIN HIDDEN TESTS
@task("4.4")
def test_random_crop_is_a_shifted_window():
    rng = np.random.default_rng(1)
    images = rng.standard_normal((6, 2, 5, 5)).astype(np.float32)
    crops = practice.random_crop(images, 2, np.random.default_rng(2))
    assert_shape(crops, images.shape, "random_crop output")
    padded = np.pad(images, ((0, 0), (0, 0), (2, 2), (2, 2)))
    offsets = np.random.default_rng(2)
    for index in range(6):
        dy, dx = offsets.integers(0, 5, size=2)
        assert_close(crops[index], padded[index, :, dy:dy + 5, dx:dx + 5],
                     f"crop {index} (offsets drawn with rng.integers(0, 2p + 1, size=2))")


@task("4.4")
def test_flip_fraction():
    images = np.arange(1000 * 4, dtype=np.float32).reshape(1000, 1, 2, 2)
    flipped = practice.horizontal_flip(images, np.random.default_rng(3), p=0.3)
    changed = np.mean(np.any(flipped != images, axis=(1, 2, 3)))
    assert abs(changed - 0.3) < 0.05, f"horizontal_flip p=0.3 flipped {changed:.3f}"
    kept_rows = np.all(np.sort(flipped, axis=-1) == np.sort(images, axis=-1))
    assert kept_rows, "horizontal_flip must mirror columns within each row, not swap rows"
### END HIDDEN TESTS


# ----------------------------------------------------------------- 4.5
def backbone_and_head():
    mg.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU()), nn.Linear(8, 2)


def one_step(backbone, head, optimizer):
    x = mg.tensor(np.random.default_rng(4).standard_normal((16, 4)).astype(np.float32))
    loss = nn.functional.cross_entropy(head(backbone(x)), np.arange(16) % 2)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


@task("4.5")
def test_frozen_backbone_does_not_move():
    backbone, head = backbone_and_head()
    practice.freeze(backbone)
    before = [p.numpy().copy() for p in backbone.parameters()]
    head_before = head.weight.numpy().copy()
    one_step(backbone, head, mg.optim.SGD(head.parameters(), lr=0.5))
    for index, (b, p) in enumerate(zip(before, backbone.parameters())):
        assert_close(p, b, f"frozen backbone parameter {index} after a step")
    assert not np.allclose(head.weight.numpy(), head_before), "the head did not train"


### BEGIN HIDDEN TESTS
@task("4.5")
def test_finetune_groups_scale_the_backbone_lr():
    backbone, head = backbone_and_head()
    groups = practice.finetune_param_groups(backbone, head, 0.1, backbone_lr_scale=0.01)
    assert_close([g["lr"] for g in groups], [0.001, 0.1], "param group learning rates")
    before = backbone[0].weight.numpy().copy()
    optimizer = mg.optim.SGD(groups, lr=0.1)
    x = mg.tensor(np.random.default_rng(5).standard_normal((16, 4)).astype(np.float32))
    loss = nn.functional.cross_entropy(head(backbone(x)), np.arange(16) % 2)
    optimizer.zero_grad()
    loss.backward()
    grad = backbone[0].weight.grad.numpy().copy()
    optimizer.step()
    assert_close(backbone[0].weight, before - 0.001 * grad, "backbone weight after one step",
                 rtol=1e-4, atol=1e-7)
### END HIDDEN TESTS


# ----------------------------------------------------------------- 4.6
@task("4.6")
def test_reaches_95_percent():
    accuracy = practice.train_to_accuracy(seed=1)
    assert 0.0 <= accuracy <= 1.0, f"train_to_accuracy returned {accuracy}, not in [0, 1]"
    assert accuracy >= 0.95, f"test accuracy {accuracy:.3f}; the target is 0.95"
