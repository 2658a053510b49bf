"""`minigrad train --distributed` in one process (a world of one rank); the 2-rank
command is run under mpiexec in test_mpi.py."""

import argparse
import json

import pytest

from minigrad.data import load_dataset
from minigrad.distributed.experiment import add_distributed_arguments, run_distributed_training

QUICK = {"dataset": "digits", "limit": 240, "epochs": 2, "model": "mlp", "progress": False}


def test_options_parse_into_the_config_keys():
    parser = argparse.ArgumentParser()
    add_distributed_arguments(parser)
    args = parser.parse_args(["--distributed", "--sync-bn", "--lr-scaling", "linear",
                              "--warmup-epochs", "0.5", "--lars", "--dist-timeout", "30"])
    assert vars(args) == {"distributed": True, "sync_bn": True, "lr_scaling": "linear",
                          "warmup_epochs": 0.5, "lars": True, "dist_timeout": 30.0}


def test_a_world_of_one_trains_writes_its_run_and_records_the_world(tmp_path):
    result = run_distributed_training(dict(QUICK, out=str(tmp_path), lars=True, lr=20.0,
                                           lr_scaling="linear", warmup_epochs=1,
                                           schedule="cosine"), log=None)
    assert result["world_size"] == 1 and result["is_main"]
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["world_size"] == 1 and config["global_batch_size"] == 64
    assert config["lr"] == config["base_lr"] == 20.0  # x K with K = 1
    assert type(result["trainer"].optimizer).__name__ == "LARS"
    rows = result["history"].rows
    assert [row["epoch"] for row in rows] == [1, 2]
    assert rows[1]["train_loss"] < rows[0]["train_loss"]
    assert all(0 <= row["allreduce_time"] < row["time"] for row in rows)
    # the sharded test set: every test sample counted once
    assert result["confusion"].sum() == len(load_dataset("digits").y_test)
    assert (tmp_path / "last.npz").is_file() and (tmp_path / "loss.png").is_file()


def test_plain_sgd_in_a_world_of_one_learns_the_digits(tmp_path):
    result = run_distributed_training(dict(QUICK, out=str(tmp_path), epochs=3), log=None)
    assert result["test"]["acc"] > 0.25  # 10 classes, 3 short epochs: well above 0.1


def test_warmup_refuses_per_epoch_schedules(tmp_path):
    with pytest.raises(ValueError, match="--warmup-epochs counts iterations; .* not 'step'"):
        run_distributed_training(dict(QUICK, out=str(tmp_path), warmup_epochs=1,
                                      schedule="step"), log=None)
