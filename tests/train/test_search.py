import csv

import numpy as np
import pytest

from minigrad.train.search import Choice, IntUniform, LogUniform, Uniform, random_search, sample


def test_log_uniform_is_uniform_in_log_space():
    rng = np.random.default_rng(0)
    values = np.array([LogUniform(1e-4, 1e-1).draw(rng) for _ in range(4000)])
    assert values.min() >= 1e-4 and values.max() <= 1e-1
    decades = np.histogram(np.log10(values), bins=[-4, -3, -2, -1])[0]
    np.testing.assert_allclose(decades / 4000, 1 / 3, atol=0.03)
    with pytest.raises(ValueError, match="need 0 < low < high"):
        LogUniform(0, 1)


def test_sample_draws_each_kind_and_keeps_constants():
    rng = np.random.default_rng(1)
    config = sample({"lr": LogUniform(1e-3, 1e-2), "p": Uniform(0.1, 0.2),
                     "width": IntUniform(2, 4), "opt": Choice(["sgd", "adam"]), "epochs": 3},
                    rng)
    assert 1e-3 <= config["lr"] <= 1e-2 and 0.1 <= config["p"] <= 0.2
    assert config["width"] in (2, 3, 4) and config["opt"] in ("sgd", "adam")
    assert config["epochs"] == 3


def test_random_search_writes_table_and_sorts_best_first(tmp_path):
    def objective(config):
        if config["lr"] > 0.01:
            raise FloatingPointError("loss became nan")
        return {"val_loss": (np.log10(config["lr"]) + 2) ** 2}

    path = tmp_path / "search.csv"
    rows = random_search(objective, {"lr": LogUniform(1e-4, 1e-1)}, n_trials=12, out_csv=path,
                         rng=np.random.default_rng(3))
    with open(path) as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 12 and set(table[0]) == {"trial", "lr", "val_loss", "error"}
    finished = [r for r in rows if "val_loss" in r]
    assert [r["val_loss"] for r in finished] == sorted(r["val_loss"] for r in finished)
    failed = [r for r in table if r["error"]]
    assert failed and all(float(r["lr"]) > 0.01 for r in failed)
    assert all("error" in r for r in rows[-len(failed):])  # failures sort last
    assert rows[0]["val_loss"] == min(r["val_loss"] for r in finished)
