import json
import os

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.data import DataLoader, TensorDataset
from minigrad.data.transforms import GaussianNoise
from minigrad.optim import SGD
from minigrad.optim.lr_scheduler import LinearLR, StepLR
from minigrad.train import EarlyStopping, Trainer, load_checkpoint
from tests.train.conftest import small_mlp


def test_fit_learns_blobs_and_writes_the_run_directory(blobs, tmp_path):
    train, val = blobs
    model = small_mlp()
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    trainer = Trainer(model, opt, out_dir=str(tmp_path), log=None, config={"lr": 0.1})
    history = trainer.fit(train, val, epochs=3)
    assert history["epoch"] == [1, 2, 3]
    assert history["val_acc"][-1] >= 0.9 and history["val_loss"][-1] < history["val_loss"][0]
    for name in ["last.npz", "best.npz", "history.json", "history.csv", "loss.png",
                 "accuracy.png", "lr.png", "config.json", "confusion_matrix.csv"]:
        assert os.path.getsize(tmp_path / name) > 0, name
    rows = json.loads((tmp_path / "history.json").read_text())
    assert rows == history.rows
    confusion = np.loadtxt(tmp_path / "confusion_matrix.csv", delimiter=",")
    assert confusion.sum() == 30 and np.trace(confusion) / 30 == pytest.approx(
        history["val_acc"][-1])
    assert json.loads((tmp_path / "config.json").read_text()) == {"lr": 0.1}


def test_evaluate_matches_a_direct_computation(blobs):
    _, val = blobs
    model = small_mlp()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), log=None)
    result = trainer.evaluate(val)
    x, y = val.dataset.arrays
    logits = model(mg.tensor(x)).numpy()
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    assert result["loss"] == pytest.approx(-log_probs[np.arange(len(y)), y].mean(), rel=1e-5)
    assert result["acc"] == pytest.approx(np.mean(logits.argmax(axis=1) == y))


def run(tmp_path, epochs, resume=False, init_seed=0):
    """A run with every source of randomness: shuffling, dropout, noise augmentation,
    momentum and a per-epoch schedule."""
    mg.manual_seed(123)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((64, 1, 1, 2)).astype(np.float32)
    y = (x[:, 0, 0, 0] > 0).astype(np.int64) + (x[:, 0, 0, 1] > 0)
    loader = DataLoader(TensorDataset(x, y), batch_size=10, shuffle=True,
                        transform=GaussianNoise(0.1))
    model = small_mlp(seed=init_seed, dropout=0.2)
    flat = mg.nn.Sequential(mg.nn.Flatten(), model)
    opt = SGD(flat.parameters(), lr=0.2, momentum=0.9)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    trainer = Trainer(flat, opt, scheduler=sched, out_dir=str(tmp_path), log=None)
    if not resume:
        mg.manual_seed(99)  # the data stream's seed, after the (seeded) init
    trainer.fit(loader, loader, epochs=epochs, resume=resume)
    return flat, trainer


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path):
    straight, _ = run(tmp_path / "a", epochs=4)
    run(tmp_path / "b", epochs=2)
    # a fresh process would build the model with other random weights: resume must fix that
    resumed, trainer = run(tmp_path / "b", epochs=4, resume=True, init_seed=5)
    for (name, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert trainer.history["epoch"] == [1, 2, 3, 4]
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.2 * 0.5 ** 2)


def test_early_stopping_and_best_checkpoint(blobs, tmp_path):
    train, val = blobs
    model = small_mlp()
    opt = SGD(model.parameters(), lr=0.0)  # nothing changes: no epoch after the first improves
    trainer = Trainer(model, opt, out_dir=str(tmp_path), log=None,
                      early_stopping=EarlyStopping("val_loss", patience=2))
    history = trainer.fit(train, val, epochs=10)
    assert history["epoch"] == [1, 2, 3]
    info = load_checkpoint(tmp_path / "best.npz", restore_rng=False)
    assert info["epoch"] == 1


def test_best_checkpoint_holds_the_best_epoch(blobs, tmp_path):
    train, val = blobs
    model = small_mlp()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.5, momentum=0.9), monitor="val_acc",
                      out_dir=str(tmp_path), log=None)
    history = trainer.fit(train, val, epochs=4)
    best_epoch = int(np.argmax(history["val_acc"])) + 1  # first of ties
    info = load_checkpoint(tmp_path / "best.npz", model, restore_rng=False)
    assert info["epoch"] == best_epoch
    assert trainer.evaluate(val)["acc"] == pytest.approx(max(history["val_acc"]))


def test_per_batch_schedule_steps_once_per_batch(blobs):
    train, _ = blobs
    model = small_mlp()
    opt = SGD(model.parameters(), lr=0.1)
    sched = LinearLR(opt, start_factor=0.1, total_iters=100)
    trainer = Trainer(model, opt, scheduler=sched, scheduler_interval="batch", log=None)
    trainer.fit(train, epochs=2)
    assert sched.last_epoch == 2 * len(train)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * (0.1 + 0.9 * 2 * len(train) / 100))


def test_gradient_clipping_bounds_the_step():
    model = small_mlp()
    opt = SGD(model.parameters(), lr=1.0)
    trainer = Trainer(model, opt, grad_clip=0.01, log=None)
    before = [p.numpy().copy() for p in model.parameters()]
    x = mg.tensor(np.full((8, 2), 50.0, np.float32))
    trainer.train_step(x, np.zeros(8, np.int64))
    step = np.sqrt(sum(((p.numpy() - b) ** 2).sum() for p, b in zip(model.parameters(), before)))
    assert 0 < step <= 0.01 * (1 + 1e-4)


def test_soft_targets_from_mixup_train(blobs):
    from minigrad.data.transforms import one_hot

    train, _ = blobs
    x, y = train.dataset.arrays
    soft = DataLoader(TensorDataset(x, one_hot(y, 3)), batch_size=16, shuffle=True)
    model = small_mlp()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), log=None)
    history = trainer.fit(soft, epochs=2)
    assert history["train_acc"][-1] > 0.5


def test_diverging_loss_is_reported(blobs):
    train, _ = blobs
    model = small_mlp()

    def broken_loss(logits, y):
        return F.cross_entropy(logits, y) * float("nan")

    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), loss_fn=broken_loss, log=None)
    with pytest.raises(FloatingPointError, match="loss became nan in epoch 1"):
        trainer.fit(train, epochs=1)


def test_progress_bar_only_when_asked(blobs, capsys):
    train, _ = blobs
    model = small_mlp()
    assert Trainer(model, SGD(model.parameters(), lr=0.1), log=None).progress is False
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), progress=True, log=None)
    trainer.fit(train, epochs=1)
    assert "epoch 1 train" in capsys.readouterr().err
