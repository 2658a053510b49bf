def test_walkthrough_accepts_the_right_layer_and_rejects_the_broken_one(run_lecture):
    results, printed, out = run_lecture("gradcheck_walkthrough")
    assert (out / "gradcheck_walkthrough.png").exists()
    assert results["correct"]["passed"] is True
    assert max(results["correct"]["rel_errors"].values()) < 1e-7
    assert results["broken"]["passed"] is False
    assert "gradcheck failed for input" in results["broken"]["report"]
    assert min(results["broken"]["rel_errors"].values()) > 1e-2
    # float32 finite differences are far too noisy for a 1e-7 check
    assert max(results["correct_float32_rel_errors"].values()) > 1e-5
    assert "analytic" in printed and "numeric" in printed
