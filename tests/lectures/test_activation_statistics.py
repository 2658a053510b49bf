import numpy as np


def test_activation_statistics_key_numbers(run_lecture):
    results, printed, out = run_lecture("activation_statistics")
    assert (out / "activation_statistics.png").stat().st_size > 0
    width = results["width"]
    assert width == 2048
    small = results["tanh N(0,0.01^2)"]["std"]
    # every layer multiplies the std by at most 0.01 * sqrt(width) (tanh shrinks further)
    factor = 0.01 * np.sqrt(width)
    for before, after in zip(small, small[1:]):
        assert after < 1.05 * factor * before
    assert small[-1] < 0.03 * small[0] and small[-1] < 0.01  # collapsed towards 0
    saturated = results["tanh N(0,0.05^2)"]["saturated"]
    assert min(saturated) > 0.05  # many units at |tanh| > 0.99
    xavier = results["tanh Xavier"]
    assert max(xavier["saturated"]) < 0.02
    assert min(xavier["std"]) > 0.2 and max(xavier["std"]) < 0.8
    relu_xavier = results["relu Xavier"]["std"]
    # Xavier with ReLU halves the variance per layer: std ratio ~ 1/sqrt(2)
    ratios = np.array(relu_xavier[1:]) / np.array(relu_xavier[:-1])
    np.testing.assert_allclose(ratios, 1 / np.sqrt(2), rtol=0.15)
    kaiming = np.array(results["relu Kaiming"]["std"])
    assert np.ptp(kaiming) < 0.1 * kaiming.mean()
    # half of ReLU's inputs are negative: about half the outputs are exact zeros
    np.testing.assert_allclose(results["relu Kaiming"]["zero"], 0.5, atol=0.05)
    assert "layer 6" in printed


def test_probe_sees_vanishing_gradients(run_lecture):
    results, printed, out = run_lecture("activation_statistics")
    for tag in ("small", "xavier"):
        assert (out / f"activation_statistics_probe_{tag}.png").exists()
    small, xavier = results["probe"]["tanh N(0,0.01^2)"], results["probe"]["tanh Xavier"]
    # the probe on nn modules reproduces the plain-tensor experiment's forward numbers
    assert small["std"][-1] < 0.03 * small["std"][0]
    # backward multiplies by W^T (std 0.01 sqrt(width) < 1): gradients shrink towards the input
    assert small["grad_std"][0] < 0.1 * small["grad_std"][-1]
    assert max(xavier["grad_std"]) < 3 * min(xavier["grad_std"])
    assert "gradients" in printed
