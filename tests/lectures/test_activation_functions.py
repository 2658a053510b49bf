import math

import numpy as np


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_autodiff_derivatives_match_closed_forms(run_lecture):
    results, _, out = run_lecture("activation_functions")
    assert (out / "activation_functions.png").exists()
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    big_phi = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    expected = {
        "sigmoid": [sigmoid(x) * (1 - sigmoid(x)) for x in (-2, 0, 2)],
        "tanh": [1 - math.tanh(x) ** 2 for x in (-2, 0, 2)],
        "ReLU": [0.0, 0.0, 1.0],
        "LeakyReLU": [0.01, 0.01, 1.0],
        "PReLU": [0.25, 0.25, 1.0],
        "ELU": [math.exp(-2), 1.0, 1.0],
        "SELU": [scale * alpha * math.exp(-2), scale * alpha, scale],
        "GELU": [big_phi(x) + x * phi(x) for x in (-2, 0, 2)],
        "SiLU": [sigmoid(x) * (1 + x * (1 - sigmoid(x))) for x in (-2, 0, 2)],
        "Softplus": [sigmoid(x) for x in (-2, 0, 2)],
    }
    for name, values in expected.items():
        np.testing.assert_allclose(results[name]["derivative_at_-2_0_2"], values, rtol=1e-5,
                                   atol=1e-7, err_msg=name)
    assert abs(results["sigmoid"]["max_derivative"] - 0.25) < 1e-6
    grid = np.linspace(-5.0, 5.0, 201)
    assert abs(results["PReLU"]["grad_slope"] - grid[grid < 0].sum()) < 1e-6
    assert results["ReLU"]["min_value"] == 0.0
    assert abs(results["ELU"]["min_value"] - (math.exp(-5) - 1)) < 1e-6
