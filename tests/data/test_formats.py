import gzip
import pickle
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.data.formats import FormatError, load_cifar_batch, read_idx, write_idx


def idx_bytes_by_hand(array, code):
    """An independent IDX encoder: struct for the header, big-endian tobytes for data."""
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@settings(max_examples=20, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3),
       kind=st.sampled_from([(np.uint8, 0x08), (np.int16, 0x0B), (np.int32, 0x0C),
                             (np.float32, 0x0D), (np.float64, 0x0E)]),
       gz=st.booleans())
def test_read_idx_matches_hand_encoded_file(tmp_path_factory, shape, kind, gz):
    dtype, code = kind
    rng = np.random.default_rng(0)
    array = (rng.standard_normal(shape) * 100).astype(dtype)
    raw = idx_bytes_by_hand(array, code)
    path = tmp_path_factory.mktemp("idx") / "file.idx"
    path.write_bytes(gzip.compress(raw) if gz else raw)
    out = read_idx(path)
    assert out.shape == tuple(shape) and out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, array)


def test_write_idx_produces_the_hand_encoding(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a.idx", array)
    assert (tmp_path / "a.idx").read_bytes() == idx_bytes_by_hand(array, 0x08)
    write_idx(tmp_path / "a.idx.gz", array)
    assert gzip.decompress((tmp_path / "a.idx.gz").read_bytes()) == idx_bytes_by_hand(array, 8)


def test_truncated_idx_is_reported_with_sizes(tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, (10, 28, 28), dtype=np.uint8)
    raw = idx_bytes_by_hand(noise, 0x08)
    (tmp_path / "cut").write_bytes(raw[:-5])
    with pytest.raises(FormatError, match=r"7835 data bytes .* shape \(10, 28, 28\)"):
        read_idx(tmp_path / "cut")
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01")
    with pytest.raises(FormatError, match="magic"):
        read_idx(tmp_path / "bad")
    (tmp_path / "gz").write_bytes(gzip.compress(raw)[:1000])
    with pytest.raises(FormatError, match="damaged gzip"):
        read_idx(tmp_path / "gz")


def write_cifar_batch(path, images_chw, labels, protocol=2):
    batch = {b"batch_label": b"testing batch 1 of 1", b"labels": list(map(int, labels)),
             b"data": images_chw.reshape(len(labels), -1), b"filenames": [b"a.png"] * len(labels)}
    with open(path, "wb") as handle:
        pickle.dump(batch, handle, protocol=protocol)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar_batch_roundtrip(tmp_path, protocol):
    rng = np.random.default_rng(1)
    images_chw = rng.integers(0, 256, size=(4, 3, 32, 32), dtype=np.uint8)
    labels = [3, 1, 4, 1]
    write_cifar_batch(tmp_path / "data_batch_1", images_chw, labels, protocol)
    images, out_labels = load_cifar_batch(tmp_path / "data_batch_1")
    assert images.shape == (4, 32, 32, 3)
    # pixel (row 5, col 7) of image 2: red/green/blue from the three planes
    for channel in range(3):
        assert images[2, 5, 7, channel] == images_chw[2, channel, 5, 7]
    np.testing.assert_array_equal(out_labels, labels)


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_cifar_loader_refuses_code_execution(tmp_path):
    marker = tmp_path / "pwned"
    with open(tmp_path / "evil", "wb") as handle:
        pickle.dump({b"data": Evil(marker), b"labels": []}, handle, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match=r"refusing .* '(posix|os)\.system'"):
        load_cifar_batch(tmp_path / "evil")
    assert not marker.exists()


def test_cifar_loader_rejects_truncated_and_wrong_content(tmp_path):
    write_cifar_batch(tmp_path / "b", np.zeros((2, 3, 32, 32), np.uint8), [0, 1])
    raw = (tmp_path / "b").read_bytes()
    (tmp_path / "cut").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(FormatError, match="not a readable pickle"):
        load_cifar_batch(tmp_path / "cut")
    with open(tmp_path / "shape", "wb") as handle:
        pickle.dump({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]}, handle)
    with pytest.raises(FormatError, match=r"data \(2, 10\).*expected \(N, 3072\)"):
        load_cifar_batch(tmp_path / "shape")
