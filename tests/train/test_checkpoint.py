import io
import json
import os
import signal
import subprocess
import sys

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
    read_checkpoint,
    remove_partial_files,
    save_checkpoint,
)
from tests.train.conftest import small_mlp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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


def test_a_damaged_compression_field_is_a_clear_error_too(tmp_path):
    """A flipped byte in the zip's central directory can name a compression method
    zipfile does not know: that NotImplementedError is a damaged file, not a bug."""
    model, _, _ = trained()
    save_checkpoint(tmp_path / "c.npz", model)
    raw = bytearray((tmp_path / "c.npz").read_bytes())
    entry = raw.index(b"PK\x01\x02")  # the first central directory entry
    raw[entry + 10] ^= 0xFF  # its compression method: 0 (stored) -> 255
    (tmp_path / "flipped.npz").write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="flipped.npz is truncated or not a checkpoint"):
        load_checkpoint(tmp_path / "flipped.npz", model)


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


# --------------------------------------------------------------------------- all or nothing
def snapshot(model, opt, sched):
    from minigrad.optim.optimizer import flatten_state_dict

    return (model.state_dict(), flatten_state_dict(opt.state_dict()), sched.state_dict(),
            mg.get_rng_state())


def assert_same_snapshot(before, after):
    for a, b in zip(before[:2], after[:2]):
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert before[2:] == after[2:]


def replace(key, value):
    def garble(arrays):
        arrays[key] = np.asarray(value)
    return garble


def delete(key):
    def garble(arrays):
        del arrays[key]
    return garble


def edit_json(key, change):
    def garble(arrays):
        value = json.loads(str(arrays[key]))
        change(value)
        arrays[key] = np.array(json.dumps(value))
    return garble


def set_item(path, value):
    """A change for edit_json: set value[path[0]][path[1]]... = value."""
    def change(tree):
        for step in path[:-1]:
            tree = tree[step]
        tree[path[-1]] = value
    return change


GARBLED = {
    "no epoch": (delete("epoch"), "no 'epoch' entry"),
    "epoch text": (replace("epoch", "seven"), "'epoch'"),
    "negative epoch": (replace("epoch", -1), "'epoch'"),
    "no rng": (delete("rng"), "no 'rng' entry"),
    "rng not json": (replace("rng", '{"bit_generator": "PCG64", '), "'rng' .* not valid JSON"),
    "rng of another generator": (replace("rng", '{"bit_generator": "MT19937", "state": {}}'),
                                 "'rng' .* not a PCG64 state"),
    "scheduler not json": (replace("scheduler", "[1, 2"), "'scheduler' .* not valid JSON"),
    "scheduler of another class": (replace("scheduler", '{"T_max": 3}'),
                                   "'scheduler' .* does not fit ReduceLROnPlateau"),
    "scheduler with a text count": (edit_json("scheduler", set_item(["num_bad_epochs"], "3")),
                                    r"'scheduler'.*\['num_bad_epochs'\] is '3', expected a int"),
    "config not json": (replace("config", "{model: mlp}"), "'config' .* not valid JSON"),
    "config a number array": (replace("config", 3.0), "'config' .* 0-d text array"),
    "trainer a list": (replace("trainer", "[]"), "'trainer' .* should hold a JSON object"),
    "model weights as text": (replace("model/2.weight", np.full((3, 16), "w")),
                              "'model/2.weight' .* <U1 values, not numbers"),
    "model entry missing": (delete("model/2.bias"), r"missing \['2.bias'\]"),
    "optimiser meta not json": (replace("optimizer/meta", '{"param_groups": '),
                                "'optimizer/meta' .* not valid JSON"),
    "optimiser moment of another shape": (replace("optimizer/state/0/exp_avg", np.zeros(3)),
                                          r"'exp_avg' of parameter 0 has shape \(3,\)"),
    "optimiser moment as text": (replace("optimizer/state/0/exp_avg", np.full((16, 2), "m")),
                                 "'optimizer/state/0/exp_avg' .* not numbers"),
    "optimiser lr as text": (edit_json("optimizer/meta", set_item(
        ["param_groups", 0, "lr"], "0.01")), r"param group 0\['lr'\] is '0.01', expected a"),
    "optimiser state for a parameter it lacks": (
        edit_json("optimizer/meta", set_item(["scalars", "9"], {"step": 3})),
        "state for parameter 9, but the optimiser has 4"),
    "optimiser step as text": (edit_json("optimizer/meta", set_item(["scalars", "0", "step"],
                                                                      "3")),
                               "state 'step' of parameter 0 is '3', not a number"),
    "unknown entry": (replace("surprise", 1), r"entries no checkpoint has: \['surprise'\]"),
}


@pytest.mark.parametrize("case", sorted(GARBLED))
def test_failed_load_changes_nothing_and_names_the_entry(tmp_path, case):
    garble, message = GARBLED[case]
    model, opt, sched = trained()
    save_checkpoint(tmp_path / "good.npz", model, opt, sched, epoch=3, config={"a": 1})
    with np.load(tmp_path / "good.npz", allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    garble(arrays)
    np.savez(tmp_path / "bad.npz", **arrays)
    other, other_opt, other_sched = trained(seed=1)
    mg.manual_seed(5)
    before = snapshot(other, other_opt, other_sched)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(tmp_path / "bad.npz", other, other_opt, other_sched)
    assert_same_snapshot(before, snapshot(other, other_opt, other_sched))


def test_a_load_failing_midway_is_rolled_back(tmp_path, monkeypatch):
    model, opt, sched = trained()
    save_checkpoint(tmp_path / "c.npz", model, opt, sched)
    other, other_opt, other_sched = trained(seed=1)
    before = snapshot(other, other_opt, other_sched)
    real_load = type(other_sched).load_state_dict
    calls = []

    def load_then_fail(self, state):  # a scheduler that half loads, then fails once
        calls.append(state)
        real_load(self, state)
        if len(calls) == 1:
            raise ValueError("scheduler refuses")

    monkeypatch.setattr(type(other_sched), "load_state_dict", load_then_fail)
    with pytest.raises(CheckpointError, match="nothing was changed .*scheduler refuses"):
        load_checkpoint(tmp_path / "c.npz", other, other_opt, other_sched)
    assert len(calls) == 2  # loaded, failed, put back
    assert_same_snapshot(before, snapshot(other, other_opt, other_sched))


def test_read_checkpoint_changes_nothing_and_gives_the_entries(tmp_path):
    model, opt, sched = trained()
    save_checkpoint(tmp_path / "c.npz", model, opt, sched, epoch=4, trainer_state={"best": 1})
    before = mg.get_rng_state()
    checkpoint = read_checkpoint(tmp_path / "c.npz")
    assert mg.get_rng_state() == before
    assert checkpoint.epoch == 4 and checkpoint.trainer == {"best": 1}
    assert checkpoint.scheduler_state == json.loads(json.dumps(sched.state_dict()))
    np.testing.assert_array_equal(checkpoint.model_state["0.weight"], model[0].weight.numpy())


def test_partial_files_of_a_killed_write_are_found_and_removed(tmp_path):
    # a real SIGKILL in the middle of atomic_write, then the clean-up
    script = ("import os, signal, sys\n"
              "from minigrad.train.checkpoint import atomic_write\n"
              "def die(handle):\n"
              "    handle.write(b'half')\n"
              "    handle.flush()\n"
              "    os.kill(os.getpid(), signal.SIGKILL)\n"
              "atomic_write(sys.argv[1], die)\n")
    (tmp_path / "last.npz").write_bytes(b"the previous checkpoint")
    (tmp_path / ".notes").write_text("a user's file")
    (tmp_path / "x.minigrad-partial").write_text("not hidden: not ours")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "last.npz")],
                          cwd=ROOT, timeout=120)
    assert done.returncode == -signal.SIGKILL
    assert (tmp_path / "last.npz").read_bytes() == b"the previous checkpoint"
    left = [name for name in os.listdir(tmp_path) if name.startswith(".last.npz.")]
    assert len(left) == 1 and left[0].endswith(".minigrad-partial")
    assert remove_partial_files(tmp_path) == left
    assert sorted(os.listdir(tmp_path)) == [".notes", "last.npz", "x.minigrad-partial"]


def test_an_entry_declaring_more_than_it_holds_is_refused_before_allocating(tmp_path):
    import tracemalloc
    import zipfile

    header = io.BytesIO()  # a 512 MB float64 array in the header, no data after it
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (8192, 8192)})
    with zipfile.ZipFile(tmp_path / "hostile.npz", "w") as archive:
        archive.writestr("format.npy", header.getvalue())
    assert (tmp_path / "hostile.npz").stat().st_size < 400
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=r"entry 'format.npy' of .* declares shape "
                                                  r"\(8192, 8192\) of float64 \(536870912 bytes\)"):
            load_checkpoint(tmp_path / "hostile.npz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # np.load alone allocates the 512 MB, then finds no data
