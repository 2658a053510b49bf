import numpy as np


def test_preprocessing_stages_and_conditioning(run_lecture):
    results, _, out = run_lecture("preprocessing")
    assert (out / "preprocessing.png").exists()
    stages = results["stages"]
    np.testing.assert_allclose(stages["original"]["mean"], [6.0, -4.0], atol=0.3)
    for name in ("zero-centred", "standardised", "PCA (decorrelated)", "PCA whitened"):
        np.testing.assert_allclose(stages[name]["mean"], 0.0, atol=1e-9)
    np.testing.assert_allclose(np.diag(stages["standardised"]["covariance"]), 1.0, atol=1e-6)
    pca = np.array(stages["PCA (decorrelated)"]["covariance"])
    assert abs(pca[0, 1]) < 1e-9 and pca[0, 0] > pca[1, 1]
    # PCA variances are the eigenvalues of the original covariance
    np.testing.assert_allclose(sorted(np.diag(pca)),
                               np.linalg.eigvalsh(stages["original"]["covariance"]), rtol=1e-6)
    np.testing.assert_allclose(stages["PCA whitened"]["covariance"], np.eye(2), atol=1e-6)
    sens = results["sensitivity"]
    assert sens["raw"]["condition_number"] > 100 * sens["standardised"]["condition_number"]
    assert sens["whitened"]["condition_number"] < 2
    assert sens["raw"]["final_loss"] > sens["standardised"]["final_loss"] + 0.1
    assert sens["raw"]["steps_to_target_loss"] is None
    assert sens["whitened"]["steps_to_target_loss"] < sens["standardised"]["steps_to_target_loss"]
