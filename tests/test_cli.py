import csv
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from minigrad.__main__ import main

QUICK = ["--epochs", "2", "--limit", "400", "--no-progress", "--model", "mlp"]


def test_train_writes_checkpoints_plots_and_reports_them(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--epochs", "4", "--limit", "400", "--no-progress", "--out", str(out),
                 "--model", "mlp", "--augment", "noise,mixup"]) == 0
    printed = capsys.readouterr().out
    for name in ["best.npz", "last.npz", "loss.png", "accuracy.png", "lr.png", "history.csv"]:
        assert (out / name).is_file() and str(out / name) in printed
    test_acc = float(re.search(r"test: +loss [\d.]+ +acc ([\d.]+)", printed).group(1))
    assert test_acc > 0.5  # 400 digits, four epochs: far above the 0.1 of guessing
    rows = list(csv.DictReader((out / "history.csv").read_text().splitlines()))
    assert [r["epoch"] for r in rows] == ["1", "2", "3", "4"]
    config = json.loads((out / "config.json").read_text())
    assert config["augment"] == "noise,mixup" and config["num_classes"] == 10

    assert main(["evaluate", str(out / "best.npz")]) == 0
    evaluated = capsys.readouterr().out
    assert f"acc {test_acc:.4f}" in evaluated  # same weights, same data, same number
    matrix = [line.split()[1:] for line in evaluated.splitlines()[-10:]]
    assert sum(int(v) for row in matrix for v in row) == 359


def test_resume_continues_where_the_run_stopped(tmp_path, capsys):
    # no schedule: a schedule's length depends on --epochs, which differs between the runs
    options = ["--limit", "400", "--no-progress", "--model", "mlp", "--schedule", "none",
               "--augment", "noise,mixup"]
    main(["train", *options, "--epochs", "3", "--out", str(tmp_path / "straight")])
    out = tmp_path / "run"
    main(["train", *options, "--epochs", "2", "--out", str(out)])
    main(["train", *options, "--epochs", "3", "--resume", str(out / "last.npz")])
    history = json.loads((out / "history.json").read_text())
    assert [row["epoch"] for row in history] == [1, 2, 3]
    with np.load(tmp_path / "straight" / "last.npz") as a, np.load(out / "last.npz") as b:
        for key in [k for k in a.files if k.startswith("model/")]:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    capsys.readouterr()


def test_lr_find_and_search(tmp_path, capsys):
    assert main(["lr-find", "--limit", "300", "--steps", "30", "--no-progress", "--model", "mlp",
                 "--out", str(tmp_path / "lr")]) == 0
    printed = capsys.readouterr().out
    suggested = float(re.search(r"suggested lr: ([\d.e+-]+)", printed).group(1))
    assert 1e-5 <= suggested <= 10 and (tmp_path / "lr" / "lr_find.png").is_file()
    assert main(["search", "--trials", "3", "--epochs", "1", "--limit", "300", "--model", "mlp",
                 "--out", str(tmp_path / "s")]) == 0
    rows = list(csv.DictReader((tmp_path / "s" / "search.csv").read_text().splitlines()))
    assert len(rows) == 3 and {"lr", "weight_decay", "batch_size", "val_acc"} <= set(rows[0])
    assert all(1e-3 <= float(r["lr"]) <= 0.3 for r in rows)


def test_missing_dataset_fails_fast_with_instructions(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["train", "--dataset", "mnist", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "mnist: data files not found" in err and str(tmp_path / "mnist") in err


def test_bad_options_are_named(tmp_path, capsys):
    with pytest.raises(ValueError, match="--augment crop needs images"):
        main(["train", "--dataset", "blobs", "--augment", "crop", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        main(["train", "--model", "vgg"])
    assert "invalid choice: 'vgg'" in capsys.readouterr().err


def test_python_dash_m_runs_the_command(tmp_path):
    done = subprocess.run([sys.executable, "-m", "minigrad", "train", "--dataset", "moons",
                           "--epochs", "3", "--no-progress", "--out", str(tmp_path / "m")],
                          capture_output=True, text=True, timeout=120,
                          cwd=os.path.dirname(os.path.dirname(__file__)))
    assert done.returncode == 0, done.stderr
    assert "trained mlp on moons" in done.stdout
    assert np.load(tmp_path / "m" / "best.npz", allow_pickle=False)["epoch"] >= 1


def test_default_model_is_the_cnn_for_images(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--epochs", "1", "--limit", "200", "--no-progress", "--augment",
                 "flip,crop,cutout", "--out", str(out)]) == 0
    assert "trained cnn on digits" in capsys.readouterr().out
    assert json.loads((out / "config.json").read_text())["model"] == "cnn"


@pytest.mark.slow
def test_make_train_default_reaches_high_accuracy(tmp_path, capsys):
    """What `make train` runs: the CNN on the embedded digits, 15 epochs."""
    assert main(["train", "--no-progress", "--out", str(tmp_path / "run")]) == 0
    printed = capsys.readouterr().out
    test_acc = float(re.search(r"test: +loss [\d.]+ +acc ([\d.]+)", printed).group(1))
    assert test_acc >= 0.97
