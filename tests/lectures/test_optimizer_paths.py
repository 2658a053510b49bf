def test_optimizer_paths_show_each_weakness(run_lecture):
    results, _, out = run_lecture("optimizer_paths")
    assert (out / "optimizer_paths.png").exists()
    valley = results["ill-conditioned"]
    # momentum and Nesterov cross the narrow valley much faster than plain SGD
    assert valley["momentum"]["distance"] < 0.2 * valley["sgd"]["distance"]
    assert valley["nesterov"]["distance"] < 0.2 * valley["sgd"]["distance"]
    rosen = results["rosenbrock"]
    assert rosen["adam"]["distance"] < 1e-3  # reaches (1, 1)
    assert rosen["sgd"]["distance"] > 0.1
    saddle = results["saddle"]
    # plain SGD barely leaves the ridge: |y| grows only by (1 + 2 lr)^steps = 1.1^40
    assert abs(saddle["sgd"]["final_point"][1]) < 1e-3 * 1.1**40 * 1.01
    for name in ("adagrad", "rmsprop", "adam"):
        assert abs(saddle[name]["final_point"][1]) > 1.0
