def test_linear_probe_and_fine_tune(run_lecture):
    results, _, out = run_lecture("transfer_learning")
    assert (out / "transfer_learning.png").exists()
    assert results["source_acc"] > 0.95
    probe, tuned = results["linear probe"], results["full fine-tune"]
    assert probe["backbone_change"] == 0.0  # frozen: bit-for-bit the pretrained weights
    assert 0 < tuned["backbone_change"] < 0.5
    assert tuned["test_acc"] > probe["test_acc"]
    for label in ("from scratch", "linear probe", "full fine-tune"):
        assert results[label]["test_acc"] > 0.5  # chance is 0.2 on five classes
