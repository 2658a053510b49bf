import numpy as np


def test_batch_norm_lecture(run_lecture):
    results, _, out = run_lecture("batch_norm")
    assert (out / "batch_norm.png").exists()
    change = results["change_of_sample_0"]
    assert change["train"] > 1e-3 and change["eval"] == 0.0
    noise, sigma = results["batch_mean_noise"], results["feature_std"]
    for b, measured in noise.items():  # 200 draws: ~10% sampling error, without replacement
        assert 0.6 * sigma / np.sqrt(int(b)) < measured < 1.25 * sigma / np.sqrt(int(b))
    sizes = results["batch_size"]
    assert sizes["64"]["eval_acc"] > 0.85
    # tiny batches: noisy statistics, and eval-mode (running) statistics disagree with them
    assert sizes["2"]["train_mode_acc"] < sizes["64"]["train_mode_acc"] - 0.2
    folding = results["folding"]
    assert folding["layers"] == ["Linear", "Identity", "ReLU", "Linear"]
    assert folding["max_abs_difference"] < 1e-4
    two = results["batch_of_two"]
    assert two["batchnorm_median_dev_from_pm1"] < 1e-3
    assert two["batchnorm_max_abs_y0_plus_y1"] < 1e-12
    assert two["layernorm_batch_vs_alone"] < 1e-12
    assert two["groupnorm_batch_vs_alone"] < 1e-12
