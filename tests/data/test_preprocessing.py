import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.data import PCA, ZCA, Standardize, ZeroCenter
from minigrad.errors import ShapeError


def correlated(n, d, seed):
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((d, d))
    return rng.standard_normal((n, d)) @ mixing + rng.standard_normal(d) * 5


@settings(max_examples=15, deadline=None)
@given(n=st.integers(20, 60), c=st.integers(1, 3), seed=st.integers(0, 1000))
def test_standardize_per_channel_matches_loop(n, c, seed):
    x = np.random.default_rng(seed).normal(3.0, 2.0, size=(n, c, 4, 5))
    z = Standardize(eps=0).fit_transform(x)
    for channel in range(c):
        values = z[:, channel]
        assert abs(values.mean()) < 1e-9 and abs(values.std() - 1) < 1e-9


def test_statistics_come_from_training_data_only():
    train = np.array([[0.0, 10.0], [2.0, 30.0]])
    test = np.array([[100.0, -5.0]])
    scaler = Standardize(eps=0).fit(train)
    np.testing.assert_allclose(scaler.transform(test), [[(100 - 1) / 1, (-5 - 20) / 10]])
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test)
    np.testing.assert_allclose(ZeroCenter().fit(train).transform(test), [[99.0, -25.0]])


def test_transform_before_fit_and_bad_shape():
    with pytest.raises(RuntimeError, match="Standardize: call fit"):
        Standardize().transform(np.zeros((2, 2)))
    with pytest.raises(ShapeError, match=r"got shape \(2, 3, 4\)"):
        Standardize().fit(np.zeros((2, 3, 4)))


def test_pca_matches_svd_and_whitening_gives_identity_covariance():
    x = correlated(500, 6, seed=1)
    pca = PCA(n_components=3).fit(x)
    centred = x - x.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    # each component agrees with the SVD's right singular vector up to sign
    for k in range(3):
        assert abs(abs(pca.components_[k] @ vt[k]) - 1) < 1e-8
    np.testing.assert_allclose(pca.explained_variance_, singular[:3] ** 2 / 500, rtol=1e-8)
    z = PCA(whiten=True, eps=0).fit_transform(x)
    np.testing.assert_allclose(z.T @ z / len(z), np.eye(6), atol=1e-8)
    full = PCA().fit(x)
    np.testing.assert_allclose(full.inverse_transform(full.transform(x)), x, atol=1e-8)


def test_zca_whitens_and_is_symmetric_for_images():
    x = correlated(400, 12, seed=2).reshape(400, 3, 2, 2)
    zca = ZCA(eps=0).fit(x)
    np.testing.assert_allclose(zca.whitening_, zca.whitening_.T, atol=1e-10)
    z = zca.transform(x)
    assert z.shape == x.shape
    flat = z.reshape(400, -1)
    np.testing.assert_allclose(flat.T @ flat / 400, np.eye(12), atol=1e-7)
    # ZCA is the inverse square root of the covariance: W @ W = Cov^-1
    centred = x.reshape(400, -1) - x.reshape(400, -1).mean(axis=0)
    cov = centred.T @ centred / 400
    np.testing.assert_allclose(zca.whitening_ @ zca.whitening_, np.linalg.inv(cov), rtol=1e-6,
                               atol=1e-8)
