import numpy as np


def test_schedules_and_learning_rate_choice(run_lecture):
    results, _, out = run_lecture("learning_rates")
    for name in ("lr_schedules.png", "lr_loss_curves.png", "lr_range_test.png"):
        assert (out / name).exists()
    schedules = results["schedules"]  # lr at steps 0, 10, 50, 99
    np.testing.assert_allclose(schedules["StepLR(30, 0.5)"], [0.1, 0.1, 0.05, 0.0125])
    np.testing.assert_allclose(schedules["ExponentialLR(0.97)"],
                               [0.1 * 0.97**k for k in (0, 10, 50, 99)])
    np.testing.assert_allclose(schedules["CosineAnnealingLR"],
                               [0.05 * (1 + np.cos(np.pi * k / 100)) for k in (0, 10, 50, 99)],
                               atol=1e-12)
    curves = results["loss_curves"]
    right, low, high = curves["about right"], curves["too low"], curves["too high"]
    assert right[-1] < 0.5 * right[0] and right[-1] < 0.5
    assert low[-1] > 0.95 * low[0]  # barely moves
    assert high[-1] > 3 * right[-1]  # bounces around a high loss
    suggested = results["range_test"]["suggested_lr"]
    lrs = results["learning_rates"]
    assert lrs["too low"] < suggested < lrs["too high"]


def test_update_ratios_follow_the_learning_rate(run_lecture):
    results, printed, _ = run_lecture("learning_rates")
    ratios = results["update_ratios"]
    assert set(ratios["too low"]) == {"0.weight", "2.weight"}
    for name in ratios["too low"]:
        assert ratios["too low"][name] < 1e-3 < ratios["about right"][name]
    assert "update/weight ratio" in printed
