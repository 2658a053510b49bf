def test_checkpointing_memory_and_gradients(run_lecture):
    results, _, out = run_lecture("gradient_checkpointing")
    assert (out / "gradient_checkpointing.png").exists()
    depth, activation = results["depth"], results["activation_mb"]
    runs = {int(k): v for k, v in results["runs"].items()}
    # without checkpointing the graph keeps (at least) one activation per block
    assert runs[1]["held_mb"] > 0.9 * depth * activation
    for segments, run in runs.items():
        assert run["max_grad_difference"] < 1e-6
        if segments > 1:  # only the segment inputs are kept: ~ one activation each
            assert abs(run["held_mb"] / activation - segments) < 0.5
    best = min(runs, key=lambda k: runs[k]["peak_mb"])
    assert best > 1 and runs[best]["peak_mb"] < runs[1]["peak_mb"]
