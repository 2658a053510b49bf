"""Preprocessing fitted on the training set only, then applied unchanged to every split.

Fitting statistics on the test set too leaks information about it into the
model; so each class here has `fit(x_train)` that stores the statistics and
`transform(x)` that only applies them (cs231n notes, "Data preprocessing").

Shapes: x is (N, D) features or (N, C, H, W) images. Standardisation works per
feature for (N, D) and per channel for images; PCA and ZCA flatten each sample to
D = C*H*W values and return the same shape they were given (PCA: (N, k)).
"""

import numpy as np

from minigrad.errors import ShapeError

__all__ = ["Standardize", "ZeroCenter", "PCA", "ZCA"]


def _stat_axes(x):
    """Axes the statistics are taken over: all but features (2-D) or channels (4-D)."""
    if x.ndim == 2:
        return (0,)
    if x.ndim == 4:
        return (0, 2, 3)
    raise ShapeError(f"preprocessing: expected (N, D) or (N, C, H, W), got shape {x.shape}")


class _Fitted:
    """fit / transform / fit_transform, and an error when transform comes first."""

    def fit_transform(self, x):
        return self.fit(x).transform(x)

    def _check_fitted(self):
        if getattr(self, "mean_", None) is None:
            raise RuntimeError(f"{type(self).__name__}: call fit(x_train) before transform")


class ZeroCenter(_Fitted):
    """x' = x - mu, with mu the training mean per feature (2-D) or channel (4-D)."""

    def __init__(self):
        self.mean_ = None

    def fit(self, x):
        x = np.asarray(x, dtype=np.float64)
        self.mean_ = x.mean(axis=_stat_axes(x), keepdims=True)[0]
        return self

    def transform(self, x):
        self._check_fitted()
        return (np.asarray(x) - self.mean_).astype(np.asarray(x).dtype, copy=False)


class Standardize(_Fitted):
    """x' = (x - mu) / (sigma + eps) per feature (2-D) or channel (4-D), from training data."""

    def __init__(self, eps=1e-8):
        self.eps = eps
        self.mean_ = None
        self.std_ = None

    def fit(self, x):
        x = np.asarray(x, dtype=np.float64)
        axes = _stat_axes(x)
        self.mean_ = x.mean(axis=axes, keepdims=True)[0]
        self.std_ = x.std(axis=axes, keepdims=True)[0]
        return self

    def transform(self, x):
        self._check_fitted()
        x = np.asarray(x)
        return ((x - self.mean_) / (self.std_ + self.eps)).astype(x.dtype, copy=False)

    def inverse_transform(self, z):
        self._check_fitted()
        return np.asarray(z) * (self.std_ + self.eps) + self.mean_


def _covariance_eig(flat):
    """Eigen-decomposition of the (D, D) covariance of centred rows, largest first."""
    cov = flat.T @ flat / len(flat)
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    order = np.argsort(eigenvalues)[::-1]
    return np.clip(eigenvalues[order], 0.0, None), eigenvectors[:, order]


class PCA(_Fitted):
    """Project onto the top-k principal directions of the training data.

    z = (x - mu) U_k                  (N, k)
    z = (x - mu) U_k / sqrt(l_k + eps)  when whiten=True (unit variance per component)
    U_k: eigenvectors of Cov(x) with the k largest eigenvalues l_k (Pearson 1901).
    """

    def __init__(self, n_components=None, whiten=False, eps=1e-5):
        self.n_components = n_components
        self.whiten = whiten
        self.eps = eps
        self.mean_ = None

    def fit(self, x):
        flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        self.mean_ = flat.mean(axis=0)
        eigenvalues, eigenvectors = _covariance_eig(flat - self.mean_)
        k = self.n_components or flat.shape[1]
        self.explained_variance_ = eigenvalues[:k]
        self.components_ = eigenvectors[:, :k].T  # (k, D), rows are directions
        return self

    def transform(self, x):
        self._check_fitted()
        x = np.asarray(x)
        z = (x.reshape(len(x), -1) - self.mean_) @ self.components_.T
        if self.whiten:
            z = z / np.sqrt(self.explained_variance_ + self.eps)
        return z.astype(x.dtype if x.dtype.kind == "f" else np.float32, copy=False)

    def inverse_transform(self, z):
        self._check_fitted()
        z = np.asarray(z, dtype=np.float64)
        if self.whiten:
            z = z * np.sqrt(self.explained_variance_ + self.eps)
        return z @ self.components_ + self.mean_


class ZCA(_Fitted):
    """Zero-phase whitening: decorrelate features but stay as close to x as possible.

    W = U diag(1 / sqrt(l + eps)) U^T,   x' = (x - mu) W    (W symmetric)
    (Bell & Sejnowski 1997; used on CIFAR-10 by Krizhevsky 2009). Among all
    whitening matrices, W's output is nearest to the input in squared error, so
    whitened images still look like images. `eps` keeps the smallest eigenvalues
    from blowing up noise.
    """

    def __init__(self, eps=1e-2):
        self.eps = eps
        self.mean_ = None

    def fit(self, x):
        flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        self.mean_ = flat.mean(axis=0)
        eigenvalues, eigenvectors = _covariance_eig(flat - self.mean_)
        self.whitening_ = (eigenvectors / np.sqrt(eigenvalues + self.eps)) @ eigenvectors.T
        return self

    def transform(self, x):
        self._check_fitted()
        x = np.asarray(x)
        out = (x.reshape(len(x), -1) - self.mean_) @ self.whitening_
        return out.reshape(x.shape).astype(x.dtype if x.dtype.kind == "f" else np.float32,
                                          copy=False)
