import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.data import DataLoader, TensorDataset
from minigrad.data.transforms import GaussianNoise
from minigrad.errors import CheckpointError
from minigrad.optim import SGD
from minigrad.optim.lr_scheduler import LinearLR, StepLR
from minigrad.train import EarlyStopping, Trainer, load_checkpoint
from minigrad.train.checkpoint import read_checkpoint
from minigrad.train.history import History
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


def run(tmp_path, epochs, resume=False, init_seed=0, monitor=None):
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
    trainer = Trainer(flat, opt, scheduler=sched, out_dir=str(tmp_path), log=None,
                      monitor=monitor)
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


# --------------------------------------------------------------------------- crashes
class Killed(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing in the trainer can catch it."""


def count_or_kill_after_replace(patch, kill_at=None):
    """Patch os.replace to count the files put in place, raising Killed just after the
    `kill_at`-th: the instants between two writes, where a kill can fall."""
    real_replace, done = os.replace, []

    def replace(source, target):
        real_replace(source, target)
        done.append(os.path.basename(target))
        if len(done) == kill_at:
            raise Killed(target)

    patch.setattr(os, "replace", replace)
    return done


def model_and_optimizer_arrays(path):
    with np.load(path, allow_pickle=False) as archive:
        return {k: archive[k] for k in archive.files if k.startswith(("model/", "optimizer/st"))}


def test_a_kill_between_any_two_writes_loses_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(History, "plot", lambda self, directory: [])  # slow, and not the point
    epochs, monitor = 6, "val_acc"
    with monkeypatch.context() as patch:
        written = count_or_kill_after_replace(patch)
        run(tmp_path / "straight", epochs, monitor=monitor)
    straight_last = model_and_optimizer_arrays(tmp_path / "straight" / "last.npz")
    straight_best = read_checkpoint(tmp_path / "straight" / "best.npz")
    assert straight_best.epoch < epochs  # so a stale best.npz would never be rewritten
    kill_points = range(1, len(written) + 1)
    assert written.count("last.npz") == epochs and len(written) >= 3 * epochs
    for kill_at in kill_points:
        out = tmp_path / f"killed-after-write-{kill_at}"
        with monkeypatch.context() as patch:
            count_or_kill_after_replace(patch, kill_at)
            with pytest.raises(Killed):
                run(out, epochs, monitor=monitor)
        run(out, epochs, resume=(out / "last.npz").exists(), init_seed=5, monitor=monitor)
        for key, value in model_and_optimizer_arrays(out / "last.npz").items():
            np.testing.assert_array_equal(value, straight_last[key], err_msg=f"{kill_at}: {key}")
        best = read_checkpoint(out / "best.npz")
        assert best.epoch == straight_best.epoch, f"killed after write {kill_at}"
        for key, value in best.model_state.items():
            np.testing.assert_array_equal(value, straight_best.model_state[key], err_msg=key)


def test_resume_refuses_a_best_checkpoint_that_is_not_the_best_epoch(tmp_path):
    run(tmp_path, epochs=6, monitor="val_acc")
    best_epoch = read_checkpoint(tmp_path / "best.npz").epoch
    assert best_epoch < 6
    shutil.copy(tmp_path / "last.npz", tmp_path / "best.npz")  # say, copied over by hand
    model, trainer = run(tmp_path / "elsewhere", epochs=0, init_seed=5, monitor="val_acc")
    before = {k: v.copy() for k, v in model.state_dict().items()}
    rng_before = mg.get_rng_state()
    with pytest.raises(CheckpointError, match=f"records epoch {best_epoch} as the best, but "
                                              f".*best.npz does not hold it"):
        trainer.resume(tmp_path / "last.npz")
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)
    assert trainer.epoch == 0 and mg.get_rng_state() == rng_before


def test_resume_into_another_directory_takes_the_best_checkpoint_along(tmp_path):
    run(tmp_path / "a", epochs=5, monitor="val_acc")
    run(tmp_path / "b", epochs=5, resume=str(tmp_path / "a" / "last.npz"), init_seed=5,
        monitor="val_acc")
    assert (tmp_path / "b" / "best.npz").read_bytes() == (tmp_path / "a" / "best.npz").read_bytes()


def test_the_next_run_removes_partial_files_of_a_killed_one(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / ".last.npz.abc123.minigrad-partial").write_bytes(b"half a zip")
    (tmp_path / ".keep").write_text("the user's")
    run(tmp_path, epochs=1)
    assert (tmp_path / ".keep").exists()
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".minigrad-partial")]


# --------------------------------------------------------------------------- SIGKILL
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# the smallest run of the command: embedded digits, the MLP, short epochs (50 ms here)
# whose validation loss is best before the last one (lr 0.2: epochs 1, 2 and 5 improve)
CLI_RUN = ["--dataset", "digits", "--model", "mlp", "--limit", "300", "--batch-size", "32",
           "--lr", "0.2", "--schedule", "none", "--no-progress"]


# one thread everywhere: the same sums in the same order in every process, and no
# spinning BLAS workers on a loaded machine (twice as fast here)
ONE_THREAD = {"PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}


class CommandRun:
    """`python -m minigrad train` in a subprocess, its output lines read as they come."""

    def __init__(self, out, resume, epochs):
        command = [sys.executable, "-m", "minigrad", "train", *CLI_RUN, "--epochs", str(epochs),
                   "--out", str(out)]
        if resume:
            command += ["--resume", str(out / "last.npz")]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True,
                                        env=dict(os.environ, **ONE_THREAD))
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for_training(self, timeout=120):
        """Until the first epoch is reported or the process is over."""
        deadline = time.monotonic() + timeout
        while not any(line.startswith("epoch") for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                return
            time.sleep(0.005)

    def kill_when_a_partial_file_appears(self, out, timeout=120):
        """SIGKILL as soon as a write is under way (a temporary file exists)."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            if partial_files(out):
                self.process.send_signal(signal.SIGKILL)
                return
        return

    def finish(self, timeout=180):
        code = self.process.wait(timeout)
        self.reader.join(timeout)
        return code


def without_times(rows):
    return [{k: v for k, v in row.items() if k != "time"} for row in rows]


def assert_consistent_after_a_kill(out, straight_rows):
    """What a kill may leave: files that read, a best.npz that is the best epoch's or
    one that resume repairs from last.npz, and a history that is the straight run's."""
    if not (out / "last.npz").exists():
        assert not (out / "best.npz").exists()
        return
    last = read_checkpoint(out / "last.npz")
    assert without_times(last.trainer["history"]) == straight_rows[:last.epoch]
    best_epoch = last.trainer["best_epoch"]
    best = read_checkpoint(out / "best.npz") if (out / "best.npz").exists() else None
    if best_epoch != last.epoch:  # else a kill between the two writes is repaired on resume
        assert best is not None and best.epoch == best_epoch


def kill_and_resume(tmp_path, epochs, kills, partial_file_kills=0, at_least=None, seed=0):
    """Run the command straight through, then again with SIGKILLs (`kills` at seeded
    random moments once training has begun, `partial_file_kills` as soon as a file is
    being written), resuming after each; compare the two runs' files."""
    straight = tmp_path / "straight"
    assert CommandRun(straight, resume=False, epochs=epochs).finish() == 0
    straight_rows = without_times(json.loads((straight / "history.json").read_text()))
    out = tmp_path / "killed"
    rng = np.random.default_rng(seed)
    outcomes = []
    for how in rng.permutation(["timed"] * kills + ["on a write"] * partial_file_kills):
        run = CommandRun(out, resume=(out / "last.npz").exists(), epochs=epochs)
        if how == "timed":
            run.wait_for_training()
            time.sleep(rng.uniform(0.0, 0.25))
            run.process.send_signal(signal.SIGKILL)
        else:
            run.kill_when_a_partial_file_appears(out)
        outcomes.append((how, run.finish(), partial_files(out)))
        assert_consistent_after_a_kill(out, straight_rows)
        if outcomes[-1][1] == 0:
            break  # the run got to its end before the kill
    killed = sum(code == -signal.SIGKILL for _, code, _ in outcomes)
    assert killed >= (at_least or kills + partial_file_kills), outcomes
    if partial_file_kills:  # some kill came mid-write, so the next run had to clean up
        assert any(left for how, _, left in outcomes if how == "on a write"), outcomes
    final = CommandRun(out, resume=(out / "last.npz").exists(), epochs=epochs)
    assert final.finish() == 0, "".join(final.lines)

    assert without_times(json.loads((out / "history.json").read_text())) == straight_rows
    ours, theirs = read_checkpoint(out / "last.npz"), read_checkpoint(straight / "last.npz")
    assert ours.rng_state == theirs.rng_state
    for key, value in model_and_optimizer_arrays(out / "last.npz").items():
        np.testing.assert_array_equal(value, model_and_optimizer_arrays(
            straight / "last.npz")[key], err_msg=key)
    ours, theirs = read_checkpoint(out / "best.npz"), read_checkpoint(straight / "best.npz")
    assert ours.epoch == theirs.epoch < epochs
    for key, value in ours.model_state.items():
        np.testing.assert_array_equal(value, theirs.model_state[key], err_msg=key)
    assert not partial_files(out)


def partial_files(directory):
    return [n for n in os.listdir(directory) if n.endswith(".minigrad-partial")] \
        if os.path.isdir(directory) else []


def test_the_command_killed_twice_and_resumed_ends_as_an_uninterrupted_run(tmp_path):
    kill_and_resume(tmp_path, epochs=8, kills=2, seed=0)


@pytest.mark.slow
def test_the_command_killed_many_times_and_resumed_ends_as_an_uninterrupted_run(tmp_path):
    kill_and_resume(tmp_path, epochs=24, kills=8, partial_file_kills=4, at_least=10, seed=1)
