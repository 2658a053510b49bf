"""Data augmentation applied to a whole batch at once.

Every transform works on NumPy images x of shape (N, C, H, W), draws one random
setting per image in a single vectorised call, and draws from the global
generator (minigrad.rng.default_generator()) unless given `rng`. Called as

    x = t(x)            image-only transforms
    x, y = t(x, y)      all transforms; MixUp and CutMix need y and turn the
                        integer labels (N,) into soft targets (N, num_classes)
                        that F.cross_entropy accepts.

Pass one (or a `Compose`) to `DataLoader(transform=...)` for the training split only.
"""

import numpy as np

from minigrad.errors import ShapeError
from minigrad.rng import default_generator

__all__ = [
    "BatchTransform", "Compose", "RandomHorizontalFlip", "RandomCrop", "RandomResizedCrop",
    "ColorJitter", "GaussianNoise", "Cutout", "MixUp", "CutMix", "one_hot",
    "bilinear_crop_resize",
]


def _check_images(x, name):
    if x.ndim != 4:
        raise ShapeError(f"{name}: expected images (N, C, H, W), got shape {x.shape}")


def one_hot(y, num_classes, dtype=np.float32):
    """Integer labels (N,) -> one-hot rows (N, num_classes); soft labels pass through."""
    y = np.asarray(y)
    if y.ndim == 2:
        return y.astype(dtype, copy=False)
    return np.eye(num_classes, dtype=dtype)[y]


class BatchTransform:
    """Base: subclasses write `apply(x, rng) -> x`; MixUp/CutMix override __call__."""

    def __init__(self, rng=None):
        self.rng = rng

    def generator(self):
        return self.rng or default_generator()

    def __call__(self, x, y=None):
        x = self.apply(np.asarray(x), self.generator())
        return x if y is None else (x, y)

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k != "rng")
        return f"{type(self).__name__}({fields})"


class Compose(BatchTransform):
    """Apply transforms in order."""

    def __init__(self, transforms):
        super().__init__()
        self.transforms = list(transforms)

    def __call__(self, x, y=None):
        for transform in self.transforms:
            if y is None:
                x = transform(x)
            else:
                x, y = transform(x, y)
        return x if y is None else (x, y)


class RandomHorizontalFlip(BatchTransform):
    """Mirror each image left-right with probability p."""

    def __init__(self, p=0.5, rng=None):
        super().__init__(rng)
        self.p = p

    def apply(self, x, rng):
        _check_images(x, "RandomHorizontalFlip")
        flip = rng.random(len(x)) < self.p
        out = x.copy()
        out[flip] = x[flip][..., ::-1]
        return out


def _gather_windows(x, top, left, height, width):
    """out[n] = x[n, :, top[n]:top[n]+height, left[n]:left[n]+width], by fancy indexing."""
    rows = top[:, None] + np.arange(height)  # (N, height)
    cols = left[:, None] + np.arange(width)  # (N, width)
    n = np.arange(len(x))[:, None, None, None]
    c = np.arange(x.shape[1])[None, :, None, None]
    return x[n, c, rows[:, None, :, None], cols[:, None, None, :]]


class RandomCrop(BatchTransform):
    """Zero-pad by `padding` on every side, then cut a random size x size window
    from each image (the standard CIFAR augmentation, He et al. 2015, arXiv:1512.03385)."""

    def __init__(self, size, padding=0, rng=None):
        super().__init__(rng)
        self.size = (size, size) if np.isscalar(size) else tuple(size)
        self.padding = padding

    def apply(self, x, rng):
        _check_images(x, "RandomCrop")
        p = self.padding
        padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x
        height, width = self.size
        free_h, free_w = padded.shape[2] - height, padded.shape[3] - width
        if free_h < 0 or free_w < 0:
            raise ShapeError(f"RandomCrop: crop {self.size} is larger than the padded "
                             f"image {padded.shape[2:]} (input {x.shape}, padding {p})")
        top = rng.integers(0, free_h + 1, size=len(x))
        left = rng.integers(0, free_w + 1, size=len(x))
        return _gather_windows(padded, top, left, height, width)


def bilinear_crop_resize(x, top, left, height, width, out_size):
    """Resample box n of each image to out_size with bilinear interpolation.

    Output pixel (i, j) samples the input at
        r = top + (i + 0.5) * height / H_out - 0.5,  c = left + (j + 0.5) * width / W_out - 0.5
    (pixel centres aligned, as align_corners=False), mixing the four neighbours.
    Args: x (N, C, H, W); top, left, height, width: (N,) floats; out_size (H_out, W_out).
    Returns: (N, C, H_out, W_out) float
    """
    out_h, out_w = out_size
    rows = top[:, None] + (np.arange(out_h) + 0.5) * (height[:, None] / out_h) - 0.5
    cols = left[:, None] + (np.arange(out_w) + 0.5) * (width[:, None] / out_w) - 0.5
    rows = np.clip(rows, 0, x.shape[2] - 1)
    cols = np.clip(cols, 0, x.shape[3] - 1)
    r0 = np.floor(rows).astype(np.int64)
    c0 = np.floor(cols).astype(np.int64)
    r1 = np.minimum(r0 + 1, x.shape[2] - 1)
    c1 = np.minimum(c0 + 1, x.shape[3] - 1)
    wr = (rows - r0)[:, None, :, None]  # weight of the lower row, (N, 1, H_out, 1)
    wc = (cols - c0)[:, None, None, :]
    n = np.arange(len(x))[:, None, None, None]
    c = np.arange(x.shape[1])[None, :, None, None]

    def at(r, k):
        return x[n, c, r[:, None, :, None], k[:, None, None, :]]

    top_row = at(r0, c0) * (1 - wc) + at(r0, c1) * wc
    bottom_row = at(r1, c0) * (1 - wc) + at(r1, c1) * wc
    return (top_row * (1 - wr) + bottom_row * wr).astype(x.dtype, copy=False)


class RandomResizedCrop(BatchTransform):
    """Cut a box of random area (fraction `scale` of the image) and aspect ratio
    (`ratio`, log-uniform) from each image and resize it to `size` (Szegedy et al.
    2015, arXiv:1409.4842). A box that does not fit is clamped to the image."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), rng=None):
        super().__init__(rng)
        self.size = (size, size) if np.isscalar(size) else tuple(size)
        self.scale = scale
        self.ratio = ratio

    def apply(self, x, rng):
        _check_images(x, "RandomResizedCrop")
        n, _, height, width = x.shape
        area = height * width * rng.uniform(*self.scale, size=n)
        aspect = np.exp(rng.uniform(np.log(self.ratio[0]), np.log(self.ratio[1]), size=n))
        box_w = np.clip(np.sqrt(area * aspect), 1, width)
        box_h = np.clip(np.sqrt(area / aspect), 1, height)
        top = rng.uniform(0, 1, size=n) * (height - box_h)
        left = rng.uniform(0, 1, size=n) * (width - box_w)
        return bilinear_crop_resize(x, top, left, box_h, box_w, self.size)


class ColorJitter(BatchTransform):
    """Random brightness and contrast per image:

    x' = b * x                          b ~ U[1 - brightness, 1 + brightness]
    x' = m + c * (x' - m)               c ~ U[1 - contrast, 1 + contrast],
                                        m = mean of the image (all channels)
    """

    def __init__(self, brightness=0.0, contrast=0.0, rng=None):
        super().__init__(rng)
        self.brightness = brightness
        self.contrast = contrast

    def apply(self, x, rng):
        _check_images(x, "ColorJitter")
        n = len(x)
        b = rng.uniform(1 - self.brightness, 1 + self.brightness, size=(n, 1, 1, 1))
        c = rng.uniform(1 - self.contrast, 1 + self.contrast, size=(n, 1, 1, 1))
        out = x * b
        mean = out.mean(axis=(1, 2, 3), keepdims=True)
        return (mean + c * (out - mean)).astype(x.dtype, copy=False)


class GaussianNoise(BatchTransform):
    """x' = x + std * eps,  eps ~ N(0, 1) independently per pixel."""

    def __init__(self, std=0.1, rng=None):
        super().__init__(rng)
        self.std = std

    def apply(self, x, rng):
        return (x + self.std * rng.standard_normal(x.shape)).astype(x.dtype, copy=False)


class Cutout(BatchTransform):
    """Zero a size x size square at a random centre of each image; the square may
    stick out of the image and is clipped (DeVries & Taylor 2017, arXiv:1708.04552)."""

    def __init__(self, size, rng=None):
        super().__init__(rng)
        self.size = size

    def apply(self, x, rng):
        _check_images(x, "Cutout")
        n, _, height, width = x.shape
        cy = rng.integers(0, height, size=n)[:, None, None]
        cx = rng.integers(0, width, size=n)[:, None, None]
        ys = np.arange(height)[None, :, None]
        xs = np.arange(width)[None, None, :]
        half = self.size // 2
        inside = ((ys >= cy - half) & (ys < cy - half + self.size)
                  & (xs >= cx - half) & (xs < cx - half + self.size))
        return np.where(inside[:, None], np.zeros((), x.dtype), x)


class _Mix(BatchTransform):
    """Shared by MixUp and CutMix: lambda ~ Beta(alpha, alpha), a partner permutation."""

    def __init__(self, num_classes, alpha=1.0, rng=None):
        super().__init__(rng)
        self.num_classes = num_classes
        self.alpha = alpha

    def __call__(self, x, y=None):
        if y is None:
            raise ValueError(f"{type(self).__name__}: needs the labels: call it as t(x, y)")
        x = np.asarray(x)
        rng = self.generator()
        lam = float(rng.beta(self.alpha, self.alpha))
        partner = rng.permutation(len(x))
        x_mixed, lam = self.mix(x, partner, lam, rng)
        targets = one_hot(y, self.num_classes)
        return x_mixed, (lam * targets + (1 - lam) * targets[partner]).astype(np.float32)


class MixUp(_Mix):
    """x' = lam x + (1 - lam) x[perm],  y' = lam y + (1 - lam) y[perm]
    with lam ~ Beta(alpha, alpha), one lam per batch (Zhang et al. 2018, arXiv:1710.09412)."""

    def mix(self, x, partner, lam, rng):
        return (lam * x + (1 - lam) * x[partner]).astype(x.dtype, copy=False), lam


class CutMix(_Mix):
    """Paste a box from the partner image x[perm] into x; the box covers about 1 - lam
    of the area, and the targets are weighted by the area actually kept
    (Yun et al. 2019, arXiv:1905.04899)."""

    def mix(self, x, partner, lam, rng):
        _check_images(x, "CutMix")
        height, width = x.shape[2:]
        cut = np.sqrt(1.0 - lam)
        box_h, box_w = int(height * cut), int(width * cut)
        cy, cx = int(rng.integers(0, height)), int(rng.integers(0, width))
        y0, y1 = np.clip([cy - box_h // 2, cy + box_h - box_h // 2], 0, height)
        x0, x1 = np.clip([cx - box_w // 2, cx + box_w - box_w // 2], 0, width)
        out = x.copy()
        out[:, :, y0:y1, x0:x1] = x[partner, :, y0:y1, x0:x1]
        kept = 1.0 - (y1 - y0) * (x1 - x0) / (height * width)
        return out, kept
