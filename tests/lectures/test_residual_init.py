import numpy as np


def test_residual_variance_growth_and_zero_init(run_lecture):
    results, _, out = run_lecture("residual_init")
    assert (out / "residual_init.png").exists()
    he, zero = results["He init"], results["zero-init last layer"]
    # Var(x_{l+1}) = 3 Var(x_l): std grows by sqrt(3) per block (sampling noise ~10%)
    ratios = np.array(he["std"][1:]) / np.array(he["std"][:-1])
    assert abs(ratios.mean() - np.sqrt(3)) < 0.1 * np.sqrt(3)
    depth = results["depth"]
    assert he["std"][-1] > 0.3 * np.sqrt(3) ** depth
    # gradients explode towards the input
    assert he["grad_std"][0] > 100 * he["grad_std"][-1]
    # zero-init: every block is the identity, so all outputs are the input exactly
    assert max(zero["std"]) == min(zero["std"])
    assert abs(zero["std"][0] - 1.0) < 0.05
    assert max(zero["grad_std"]) == min(zero["grad_std"])
    # ... and the zeroed layers still get a gradient
    assert zero["first_w2_grad_norm"] > 0 and zero["last_w2_grad_norm"] > 0
