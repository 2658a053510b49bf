import pytest

from minigrad.train.callbacks import EarlyStopping


def test_stops_after_patience_epochs_without_improvement():
    stopper = EarlyStopping("val_loss", patience=2, min_delta=0.01)
    improved = [stopper.update({"val_loss": v}) for v in [1.0, 0.9, 0.895, 0.95]]
    assert improved == [True, True, False, False]  # 0.895 is within min_delta
    assert stopper.should_stop and stopper.best == 0.9


def test_accuracy_is_maximised_and_state_round_trips():
    stopper = EarlyStopping("val_acc", patience=1)
    assert stopper.mode == "max"
    stopper.update({"val_acc": 0.5})
    assert not stopper.update({"val_acc": 0.4}) and stopper.should_stop
    other = EarlyStopping("val_acc", patience=1)
    other.load_state_dict(stopper.state_dict())
    assert other.best == 0.5 and other.should_stop


def test_missing_metric_is_named():
    with pytest.raises(KeyError, match=r"'val_acc' is not in the epoch's metrics \['loss'\]"):
        EarlyStopping("val_acc").update({"loss": 1.0})
