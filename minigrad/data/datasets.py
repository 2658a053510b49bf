"""Where the image data sets live, how they are fetched, and how they load.

Every loader looks for its files, in order, in
    1. $MINIGRAD_DATA/<name>/ and $MINIGRAD_DATA/
    2. ~/.cache/minigrad/<name>/
    3. the system location of a Debian package, where there is one
       (`apt-get install dataset-fashion-mnist` puts Fashion-MNIST in
       /usr/share/datasets/fashion-mnist).
If they are not there and `download=True`, it downloads them into
~/.cache/minigrad/<name>/ and checks each file's MD5 against the published sum
(the sums torchvision and the data sets' authors publish; MD5 guards against a
damaged transfer here, not against an attacker). Without a network this fails
at once with a `DatasetNotFoundError` that lists every place it looked.

The embedded default, `load_digits`, needs neither network nor package: it is
the UCI "Optical Recognition of Handwritten Digits" test set (Alpaydin & Kaynak
1998; 1,797 images of 8x8 pixels with values 0..16, ten classes), shipped in
minigrad/data/embedded/digits.npz. Source: UCI Machine Learning Repository,
https://archive.ics.uci.edu/dataset/80, licence CC BY 4.0.

Every `load_*` returns a `Splits` named tuple
    (x_train, y_train, x_test, y_test, classes)
with images as float32 in [0, 1] shaped (N, C, H, W) and labels as int64 (N,).
"""

import hashlib
import os
import shutil
import tarfile
import urllib.error
import urllib.request
from collections import namedtuple
from pathlib import Path

import numpy as np

from minigrad.data.formats import FormatError, load_cifar_batch, read_idx
from minigrad.errors import MinigradError

__all__ = [
    "Splits", "DatasetNotFoundError", "search_dirs", "find_files", "download_files",
    "load_mnist", "load_fashion_mnist", "load_cifar10", "load_digits", "load_dataset",
    "DATASETS",
]

Splits = namedtuple("Splits", "x_train y_train x_test y_test classes")

EMBEDDED_DIR = Path(__file__).resolve().parent / "embedded"


class DatasetNotFoundError(MinigradError, FileNotFoundError):
    """The files of a data set are nowhere on this machine and could not be downloaded."""


# name -> where to get it. `files` maps each file we need to its MD5.
_SOURCES = {
    "mnist": {
        "url": "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "files": {
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
        "system": [],
        "hint": "  - Debian packages no MNIST, but Fashion-MNIST (same format and size):\n"
                "    sudo apt-get install dataset-fashion-mnist, then --dataset fashion-mnist\n",
    },
    "fashion-mnist": {
        "url": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "files": {
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
        "system": ["/usr/share/datasets/fashion-mnist"],
        "hint": "  - on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist\n",
    },
    "cifar10": {
        "url": "https://www.cs.toronto.edu/~kriz/",
        "archive": ("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a"),
        "files": {f"data_batch_{i}": None for i in range(1, 6)} | {"test_batch": None},
        "system": [],
        "hint": "",
    },
}


def search_dirs(name):
    """The directories searched for data set `name`, in order."""
    dirs = []
    env = os.environ.get("MINIGRAD_DATA")
    if env:
        dirs += [Path(env) / name, Path(env)]
    dirs.append(Path.home() / ".cache" / "minigrad" / name)
    if name == "cifar10":  # the archive unpacks into this folder
        dirs = [d for base in dirs for d in (base, base / "cifar-10-batches-py")]
    dirs += [Path(p) for p in _SOURCES[name]["system"]]
    return dirs


def _locate(directory, filename):
    """`filename`, or its uncompressed twin when the name ends in .gz (and vice versa)."""
    stem = filename[:-3] if filename.endswith(".gz") else filename
    for candidate in (directory / filename, directory / stem, directory / (stem + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def find_files(name):
    """Paths of all files of `name` from the first directory that has them all, or None."""
    for directory in search_dirs(name):
        found = [_locate(directory, f) for f in _SOURCES[name]["files"]]
        if all(found):
            return found
    return None


def _not_found_message(name, download_error):
    source = _SOURCES[name]
    looked = "".join(f"  - {d}\n" for d in search_dirs(name))
    files = ", ".join(source.get("archive", (None,))[:1] if "archive" in source
                      else source["files"])
    reason = f"Download failed: {download_error}\n" if download_error else \
        "Download was not requested (pass download=True or --download).\n"
    return (f"{name}: data files not found. Looked in:\n{looked}{reason}"
            f"To get them:\n{source['hint']}"
            f"  - download {files} from {source['url']}\n"
            f"    into $MINIGRAD_DATA/{name}/ or ~/.cache/minigrad/{name}/\n"
            f"  - or train on the embedded data set, which needs nothing: --dataset digits")


def _md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(url, target, md5, timeout):
    """Download `url` to `target` through a temporary file; keep it only if the MD5 matches."""
    partial = target.with_name(target.name + ".part")
    with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
        shutil.copyfileobj(response, out)
        out.flush()
        os.fsync(out.fileno())  # on disk before the rename makes it the real file
    actual = _md5(partial)
    if md5 is not None and actual != md5:
        partial.unlink()
        raise OSError(f"checksum mismatch for {url}: got md5 {actual}, expected {md5}")
    os.replace(partial, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def download_files(name, base_url=None, timeout=10.0):
    """Download data set `name` into ~/.cache/minigrad/<name>/ (or $MINIGRAD_DATA/<name>/).

    Raises OSError (URLError, checksum mismatch) on failure; leaves no partial file.
    """
    source = _SOURCES[name]
    base_url = base_url or source["url"]
    env = os.environ.get("MINIGRAD_DATA")
    target_dir = (Path(env) if env else Path.home() / ".cache" / "minigrad") / name
    target_dir.mkdir(parents=True, exist_ok=True)
    if "archive" in source:
        archive_name, md5 = source["archive"]
        archive = target_dir / archive_name
        _fetch(base_url + archive_name, archive, md5, timeout)
        with tarfile.open(archive) as tar:
            tar.extractall(target_dir, filter="data")
        return
    for filename, md5 in source["files"].items():
        target = target_dir / filename
        if not target.is_file():
            _fetch(base_url + filename, target, md5, timeout)


def _find_or_download(name, download, base_url=None):
    paths = find_files(name)
    if paths is not None:
        return paths
    error = None
    if download:
        try:
            download_files(name, base_url)
            paths = find_files(name)
        except (OSError, urllib.error.URLError, tarfile.TarError) as exc:
            error = exc
    if paths is None:
        raise DatasetNotFoundError(_not_found_message(name, error))
    return paths


def _images(array):
    """uint8 (N, H, W) or (N, H, W, C) -> float32 (N, C, H, W) in [0, 1]."""
    if array.ndim == 3:
        array = array[:, None]
    else:
        array = array.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(array, dtype=np.float32) / np.float32(255.0)


def _read_idx_pair(images_path, labels_path, num_classes):
    """Images (N, H, W) uint8 and labels (N,) int64 in 0..num_classes-1, or FormatError."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise FormatError(f"{images_path}: expected images (N, H, W) of uint8, got "
                          f"{images.shape} of {images.dtype}")
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise FormatError(f"{labels_path}: expected labels (N,) of integers, got "
                          f"{labels.shape} of {labels.dtype}")
    if len(labels) != len(images):
        raise FormatError(f"{labels_path} has {len(labels)} labels but {images_path} has "
                          f"{len(images)} images")
    outside = (labels < 0) | (labels >= num_classes)
    if outside.any():
        raise FormatError(f"{labels_path}: label {labels[np.argmax(outside)]} at index "
                          f"{np.argmax(outside)}; expected 0..{num_classes - 1}")
    return images, labels.astype(np.int64)


def _load_idx_set(name, classes, download, base_url):
    train_x, train_y, test_x, test_y = _find_or_download(name, download, base_url)
    x_train, y_train = _read_idx_pair(train_x, train_y, len(classes))
    x_test, y_test = _read_idx_pair(test_x, test_y, len(classes))
    return Splits(_images(x_train), y_train, _images(x_test), y_test, classes)


def load_mnist(download=True, base_url=None):
    """MNIST (LeCun et al. 1998): 60,000 + 10,000 images (1, 28, 28), ten digits."""
    return _load_idx_set("mnist", tuple(str(d) for d in range(10)), download, base_url)


FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                   "Shirt", "Sneaker", "Bag", "Ankle boot")


def load_fashion_mnist(download=True, base_url=None):
    """Fashion-MNIST (Xiao et al. 2017, arXiv:1708.07747): 60,000 + 10,000 images
    (1, 28, 28) of Zalando articles in ten classes, a drop-in for MNIST."""
    return _load_idx_set("fashion-mnist", FASHION_CLASSES, download, base_url)


CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")


def load_cifar10(download=True, base_url=None):
    """CIFAR-10 (Krizhevsky 2009): 50,000 + 10,000 colour images (3, 32, 32), ten classes."""
    paths = _find_or_download("cifar10", download, base_url)
    train = [load_cifar_batch(p) for p in paths[:5]]
    test_x, test_y = load_cifar_batch(paths[5])
    return Splits(_images(np.concatenate([x for x, _ in train])),
                  np.concatenate([y for _, y in train]), _images(test_x), test_y,
                  CIFAR10_CLASSES)


def load_digits(test_fraction=0.2):
    """The embedded UCI optical digits (1,797 images (1, 8, 8), values scaled to [0, 1]).

    The split is stratified and fixed (its own seed, not the global generator), so
    every run and every machine sees the same test set.
    """
    with np.load(EMBEDDED_DIR / "digits.npz", allow_pickle=False) as archive:
        images, labels = archive["images"], archive["labels"].astype(np.int64)
    x = images[:, None].astype(np.float32) / np.float32(16.0)
    split_rng = np.random.default_rng(1998)
    test = np.zeros(len(labels), dtype=bool)
    for label in range(10):
        members = np.flatnonzero(labels == label)
        n_test = int(round(test_fraction * len(members)))
        test[split_rng.choice(members, size=n_test, replace=False)] = True
    return Splits(x[~test], labels[~test], x[test], labels[test],
                  tuple(str(d) for d in range(10)))


DATASETS = {
    "digits": load_digits,
    "mnist": load_mnist,
    "fashion-mnist": load_fashion_mnist,
    "cifar10": load_cifar10,
}


def load_dataset(name, download=True):
    """Load a data set by name: one of DATASETS, or spiral / moons / blobs (2-D points)."""
    from minigrad.data import synthetic

    key = name.lower().replace("_", "-")
    if key in synthetic.GENERATORS:
        return synthetic.as_splits(key)
    if key not in DATASETS:
        raise ValueError(f"load_dataset: unknown data set {name!r}; choose one of "
                         f"{sorted(DATASETS) + sorted(synthetic.GENERATORS)}")
    if key == "digits":
        return load_digits()
    return DATASETS[key](download=download)
