import csv

from minigrad.train.history import History


def test_save_json_csv_and_plots(tmp_path):
    history = History()
    history.append({"epoch": 1, "lr": 0.1, "train_loss": 2.0})
    history.append({"epoch": 2, "lr": 0.05, "train_loss": 1.0, "val_loss": 1.5})
    history.save(tmp_path)
    assert History.load(tmp_path / "history.json").rows == history.rows
    with open(tmp_path / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["val_loss"] == "" and float(rows[1]["val_loss"]) == 1.5
    assert history["val_loss"] == [None, 1.5]
    paths = history.plot(tmp_path)
    for path in paths:
        with open(path, "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
