def test_fgsm_hurts_far_more_than_random_noise(run_lecture):
    results, _, out = run_lecture("adversarial_examples")
    assert (out / "adversarial_examples.png").exists()
    clean = results["clean_acc"]
    assert clean > 0.9
    fgsm, noise = results["fgsm"], results["random"]
    assert fgsm["0.0"] == clean == noise["0.0"]
    eps = sorted(fgsm, key=float)
    accuracies = [fgsm[e] for e in eps]
    assert accuracies == sorted(accuracies, reverse=True)
    for e in eps[1:]:
        assert fgsm[e] < noise[e]
    assert fgsm["0.1"] < clean - 0.2 and noise["0.1"] > clean - 0.05
    assert fgsm["0.2"] < 0.2
    example = results["example"]
    assert example["adversarial_prediction"] != example["label"]
    assert example["max_pixel_change"] <= 0.1 + 1e-6
