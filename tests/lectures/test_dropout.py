import pytest


def test_inverted_dropout_expectation(run_lecture):
    results, _, out = run_lecture("dropout")
    assert (out / "dropout.png").exists()
    for p, stats in results["expectation"].items():
        p = float(p)
        n = 200_000
        sigma = (p * (1 - p) / n) ** 0.5
        assert abs(stats["frac_zero"] - p) < 5 * sigma
        assert stats["survivor_value"] == pytest.approx(2 / (1 - p), rel=1e-6)
        # mean of n draws of 2 m / (1 - p): std 2 sqrt(p / ((1 - p) n))
        assert abs(stats["mean"] - 2.0) < 5 * 2 * (p / ((1 - p) * n)) ** 0.5
    averaged = results["averaged_passes"]
    assert averaged["max_gap"] < 0.2 * averaged["output_scale"]


def test_dropout_reduces_overfitting(run_lecture):
    results, _, _ = run_lecture("dropout")
    plain, dropped = results["training"]["0.0"], results["training"]["0.5"]
    assert plain["train_acc"][-1] == 1.0 and plain["train_loss"][-1] < 0.02
    # without dropout the test loss climbs well above its best value: overfitting
    assert plain["test_loss"][-1] > 2 * min(plain["test_loss"])
    assert dropped["test_loss"][-1] < 0.75 * plain["test_loss"][-1]
    gap = lambda h: h["train_acc"][-1] - h["test_acc"][-1]  # noqa: E731
    assert gap(dropped) < gap(plain)
