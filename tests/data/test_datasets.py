import gzip
import hashlib

import numpy as np
import pytest

import minigrad.data.datasets as datasets
from minigrad.data import load_dataset, load_digits, load_fashion_mnist, write_idx
from minigrad.data.datasets import DatasetNotFoundError
from minigrad.data.formats import FormatError

IDX_NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No $MINIGRAD_DATA, an empty home, no system directories: nothing is found."""
    monkeypatch.delenv("MINIGRAD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setitem(datasets._SOURCES["fashion-mnist"], "system", [])
    return tmp_path


def write_tiny_mnist(directory, gz=True, n_train=6, n_test=4):
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              rng.integers(0, 10, n_train).astype(np.uint8),
              rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              rng.integers(0, 10, n_test).astype(np.uint8)]
    for name, array in zip(IDX_NAMES, arrays):
        write_idx(directory / (name + (".gz" if gz else "")), array)
    return arrays


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_from_minigrad_data(isolated, monkeypatch, gz):
    monkeypatch.setenv("MINIGRAD_DATA", str(isolated / "data"))
    arrays = write_tiny_mnist(isolated / "data" / "fashion-mnist", gz=gz)
    splits = load_fashion_mnist(download=False)
    assert splits.x_train.shape == (6, 1, 28, 28) and splits.x_train.dtype == np.float32
    np.testing.assert_allclose(splits.x_train[:, 0] * 255, arrays[0], atol=1e-4)
    np.testing.assert_array_equal(splits.y_test, arrays[3])
    assert splits.y_train.dtype == np.int64 and splits.classes[9] == "Ankle boot"


@pytest.mark.parametrize("name, array, message", [
    ("train-labels-idx1-ubyte", np.array([0, 1, 2, 3, 4, 12], np.uint8),
     "label 12 at index 5; expected 0..9"),
    ("t10k-labels-idx1-ubyte", np.array([0, 1, 2], np.uint8), "has 3 labels but .* 4 images"),
    ("t10k-labels-idx1-ubyte", np.zeros(4, np.float32), r"labels \(N,\) of integers"),
    ("train-images-idx3-ubyte", np.zeros((6, 28, 28), np.float64), r"\(N, H, W\) of uint8"),
    ("train-images-idx3-ubyte", np.zeros((6, 784), np.uint8), r"got \(6, 784\) of uint8"),
])
def test_idx_files_that_do_not_make_a_data_set_are_refused(isolated, monkeypatch, name, array,
                                                           message):
    monkeypatch.setenv("MINIGRAD_DATA", str(isolated / "data"))
    write_tiny_mnist(isolated / "data" / "fashion-mnist", gz=False)
    write_idx(isolated / "data" / "fashion-mnist" / name, array)
    with pytest.raises(FormatError, match=message) as raised:
        load_fashion_mnist(download=False)
    assert name in str(raised.value)


def test_system_location_is_searched_last(isolated, monkeypatch):
    write_tiny_mnist(isolated / "system", n_train=3)
    write_tiny_mnist(isolated / "home" / ".cache" / "minigrad" / "fashion-mnist", n_train=5)
    monkeypatch.setitem(datasets._SOURCES["fashion-mnist"], "system", [str(isolated / "system")])
    assert len(load_fashion_mnist(download=False).x_train) == 5
    import shutil

    shutil.rmtree(isolated / "home" / ".cache")
    assert len(load_fashion_mnist(download=False).x_train) == 3


def test_missing_data_fails_fast_with_places_and_apt_hint(isolated, monkeypatch):
    monkeypatch.setenv("MINIGRAD_DATA", str(isolated / "data"))
    with pytest.raises(DatasetNotFoundError) as info:
        load_fashion_mnist(download=False)
    message = str(info.value)
    assert str(isolated / "data" / "fashion-mnist") in message
    assert str(isolated / "home" / ".cache" / "minigrad" / "fashion-mnist") in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "--dataset digits" in message


def serve_as_file_url(tmp_path, monkeypatch, corrupt=False):
    """Put gzipped IDX files in a folder and point the download at it via file://."""
    served = tmp_path / "served"
    arrays = write_tiny_mnist(served)
    sums = {}
    for name in IDX_NAMES:
        raw = (served / (name + ".gz")).read_bytes()
        sums[name + ".gz"] = hashlib.md5(raw).hexdigest()
    if corrupt:
        sums["t10k-images-idx3-ubyte.gz"] = "0" * 32
    monkeypatch.setitem(datasets._SOURCES["mnist"], "files", sums)
    return served.as_uri() + "/", arrays


def test_download_checks_md5_and_then_loads(isolated, monkeypatch):
    url, arrays = serve_as_file_url(isolated, monkeypatch)
    splits = datasets.load_mnist(download=True, base_url=url)
    np.testing.assert_array_equal(splits.y_train, arrays[1])
    cached = isolated / "home" / ".cache" / "minigrad" / "mnist" / "train-images-idx3-ubyte.gz"
    assert gzip.decompress(cached.read_bytes())[:4] == b"\x00\x00\x08\x03"


def test_download_with_bad_checksum_keeps_no_file(isolated, monkeypatch):
    url, _ = serve_as_file_url(isolated, monkeypatch, corrupt=True)
    with pytest.raises(DatasetNotFoundError, match="checksum mismatch .* expected 0{32}"):
        datasets.load_mnist(download=True, base_url=url)
    cache = isolated / "home" / ".cache" / "minigrad" / "mnist"
    assert not (cache / "t10k-images-idx3-ubyte.gz").exists()
    assert not list(cache.glob("*.part"))


def test_unreachable_server_reports_the_error(isolated):
    with pytest.raises(DatasetNotFoundError, match="Download failed"):
        datasets.load_mnist(download=True, base_url=(isolated / "nowhere").as_uri() + "/")


def test_embedded_digits_are_complete_and_split_stratified():
    splits = load_digits()
    assert len(splits.x_train) + len(splits.x_test) == 1797
    assert splits.x_train.shape[1:] == (1, 8, 8)
    assert splits.x_train.min() >= 0.0 and splits.x_train.max() == 1.0
    counts = np.bincount(splits.y_test, minlength=10)
    assert counts.min() >= 34 and counts.max() <= 37  # 20 % of 174..183 per class
    again = load_digits()
    np.testing.assert_array_equal(again.y_test, splits.y_test)
    # train and test images are disjoint samples: no test image appears in train
    train_rows = {row.tobytes() for row in splits.x_train.reshape(len(splits.x_train), -1)}
    duplicates = sum(row.tobytes() in train_rows
                     for row in splits.x_test.reshape(len(splits.x_test), -1))
    assert duplicates <= 3  # the UCI set has a few identical images; not a split leak


def test_load_dataset_by_name():
    assert load_dataset("digits").x_train.shape[1:] == (1, 8, 8)
    spiral = load_dataset("spiral")
    assert spiral.x_train.shape[1] == 2 and len(spiral.x_train) + len(spiral.x_test) == 300
    with pytest.raises(ValueError, match="unknown data set 'nope'.*digits"):
        load_dataset("nope")


def write_tiny_cifar(directory):
    """Six batch files of two images each; image k of batch b has every pixel 10*b + k
    in its red plane and 200 in the blue plane."""
    import pickle

    directory.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for b, name in enumerate(names):
        data = np.zeros((2, 3, 32, 32), np.uint8)
        data[0, 0], data[1, 0] = 10 * b, 10 * b + 1
        data[:, 2] = 200
        with open(directory / name, "wb") as handle:
            pickle.dump({b"data": data.reshape(2, -1), b"labels": [b, 9 - b]}, handle, protocol=2)


def test_cifar10_from_minigrad_data(isolated, monkeypatch):
    monkeypatch.setenv("MINIGRAD_DATA", str(isolated / "data"))
    write_tiny_cifar(isolated / "data" / "cifar10" / "cifar-10-batches-py")
    splits = datasets.load_cifar10(download=False)
    assert splits.x_train.shape == (10, 3, 32, 32) and splits.x_test.shape == (2, 3, 32, 32)
    np.testing.assert_allclose(splits.x_train[:, 0, 5, 5] * 255, [0, 1, 10, 11, 20, 21, 30, 31,
                                                                 40, 41], atol=1e-4)
    np.testing.assert_allclose(splits.x_train[:, 2] * 255, 200, atol=1e-4)
    np.testing.assert_array_equal(splits.y_test, [5, 4])
    assert splits.classes[0] == "airplane"


def test_cifar10_archive_download_is_checked_and_unpacked(isolated, monkeypatch):
    import tarfile

    write_tiny_cifar(isolated / "build" / "cifar-10-batches-py")
    archive = isolated / "served" / "cifar-10-python.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(isolated / "build" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    monkeypatch.setitem(datasets._SOURCES["cifar10"], "archive", (archive.name, md5))
    splits = datasets.load_cifar10(download=True, base_url=archive.parent.as_uri() + "/")
    assert len(splits.y_train) == 10
