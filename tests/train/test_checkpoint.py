import os

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.optim import Adam
from minigrad.optim.lr_scheduler import ReduceLROnPlateau
from minigrad.train.checkpoint import (
    CheckpointError,
    atomic_write,
    load_checkpoint,
    save_checkpoint,
)
from tests.train.conftest import small_mlp


def trained(seed=0):
    model = small_mlp(seed)
    opt = Adam(model.parameters(), lr=0.01)
    sched = ReduceLROnPlateau(opt, patience=0)
    for _ in range(3):
        loss = (model(mg.tensor(np.ones((4, 2), np.float32))) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step(1.0)
    return model, opt, sched


def test_round_trip_restores_everything(tmp_path):
    model, opt, sched = trained()
    mg.manual_seed(42)
    state = mg.get_rng_state()
    save_checkpoint(tmp_path / "c.npz", model, opt, sched, epoch=7, config={"model": "mlp"},
                    trainer_state={"best": 0.5})
    mg.manual_seed(0)
    other, other_opt, other_sched = trained(seed=1)
    info = load_checkpoint(tmp_path / "c.npz", other, other_opt, other_sched)
    assert info == {"epoch": 7, "config": {"model": "mlp"}, "trainer": {"best": 0.5}}
    for (k, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=k)
    for p, q in zip(model.parameters(), other.parameters()):
        np.testing.assert_array_equal(opt.state[p]["exp_avg_sq"], other_opt.state[q]["exp_avg_sq"])
    assert other_sched.state_dict() == sched.state_dict()
    assert other_opt.param_groups[0]["lr"] == opt.param_groups[0]["lr"] < 0.01
    assert mg.get_rng_state() == state


def test_file_holds_no_pickles(tmp_path):
    model, opt, sched = trained()
    save_checkpoint(tmp_path / "c.npz", model, opt, sched)
    with np.load(tmp_path / "c.npz", allow_pickle=False) as archive:
        arrays = [archive[key] for key in archive.files]  # raises on any object array
    assert all(a.dtype != object for a in arrays)


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    model, opt, _ = trained()
    save_checkpoint(tmp_path / "c.npz", model, opt)
    raw = (tmp_path / "c.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="cut.npz is truncated or not a checkpoint"):
        load_checkpoint(tmp_path / "cut.npz", model, opt)
    np.savez(tmp_path / "other.npz", weights=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a minigrad checkpoint"):
        load_checkpoint(tmp_path / "other.npz", model)


def test_mismatched_model_names_the_differences(tmp_path):
    model, opt, _ = trained()
    save_checkpoint(tmp_path / "c.npz", model, opt)
    wider = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 3))
    with pytest.raises(CheckpointError, match=r"0.weight: checkpoint \(16, 2\), model \(32, 2\)"):
        load_checkpoint(tmp_path / "c.npz", wider)
    deeper = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3), nn.Linear(3, 3))
    with pytest.raises(CheckpointError, match=r"missing \['3.bias', '3.weight'\]"):
        load_checkpoint(tmp_path / "c.npz", deeper)


def test_failed_write_keeps_the_last_good_checkpoint(tmp_path):
    model, opt, _ = trained()
    path = tmp_path / "last.npz"
    save_checkpoint(path, model, opt, epoch=1)
    good = path.read_bytes()

    def crash_midway(handle):
        handle.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, crash_midway)
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["last.npz"]  # no temporary file left behind
    assert load_checkpoint(path, model, restore_rng=False)["epoch"] == 1


def test_mismatched_optimiser_is_refused_before_the_model_changes(tmp_path):
    model, opt, _ = trained()
    save_checkpoint(tmp_path / "c.npz", model, opt)
    fresh = small_mlp(seed=3)
    before = {k: v.copy() for k, v in fresh.state_dict().items()}
    two_groups = Adam([{"params": list(fresh.parameters())[:2]},
                       {"params": list(fresh.parameters())[2:]}])
    with pytest.raises(CheckpointError, match="optimiser state in .* does not fit: .*1 param"):
        load_checkpoint(tmp_path / "c.npz", fresh, two_groups)
    for key, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    save_checkpoint(tmp_path / "model_only.npz", model)
    with pytest.raises(CheckpointError, match="holds no optimiser state"):
        load_checkpoint(tmp_path / "model_only.npz", fresh, opt)
