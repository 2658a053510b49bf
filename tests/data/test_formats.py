import gzip
import pickle
import struct
import tracemalloc

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


# --------------------------------------------------------------------------- hostile files
def peak_bytes_of(function, *args, **kwargs):
    """Peak memory traced (Python and NumPy allocations) while function runs, and the
    exception it raised."""
    tracemalloc.start()
    try:
        function(*args, **kwargs)
    except FormatError as exc:
        raised = exc
    else:
        raised = None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, raised


def gzip_bomb(path, header, zeros):
    """`header`, then `zeros` zero bytes, gzipped a megabyte at a time (no big buffer)."""
    with gzip.open(path, "wb", compresslevel=9) as handle:
        handle.write(header)
        block = bytes(1 << 20)
        for _ in range(zeros >> 20):
            handle.write(block)
    return path


def idx_header(code, shape):
    return struct.pack(">BBBB", 0, 0, code, len(shape)) + struct.pack(f">{len(shape)}I", *shape)


def test_gzip_bomb_declaring_huge_dims_is_refused_after_reading_the_header(tmp_path):
    # 64 MB of zeros in 64 kB of file, declaring 4 GiB
    bomb = gzip_bomb(tmp_path / "bomb.gz", idx_header(0x08, (1 << 16, 1 << 16)), 64 << 20)
    assert bomb.stat().st_size < 100_000
    peak, raised = peak_bytes_of(read_idx, bomb)
    assert peak < 1 << 20  # the old reader inflated all 64 MB first
    assert "(65536, 65536) of uint8 (4294967296 bytes), more than max_bytes" in str(raised)


def test_gzip_stream_longer_than_its_header_says_is_refused_early(tmp_path):
    bomb = gzip_bomb(tmp_path / "bomb.gz", idx_header(0x08, (1000, 28, 28)), 64 << 20)
    peak, raised = peak_bytes_of(read_idx, bomb)
    assert peak < 4 << 20  # the declared 784 kB and a chunk, not the 64 MB
    assert "has more data bytes than its header announces shape (1000, 28, 28)" in str(raised)


def test_gzip_declaring_more_than_deflate_can_hold_is_refused(tmp_path):
    path = tmp_path / "small.gz"
    path.write_bytes(gzip.compress(idx_header(0x08, (100, 1000, 1000)) + bytes(1000)))
    with pytest.raises(FormatError, match=r"gzip file of \d+ bytes, which cannot inflate to "
                                          r"more than \d+, but .*\(100, 1000, 1000\)"):
        read_idx(path, max_bytes=1 << 40)


def test_gzip_stream_shorter_than_its_header_says_is_refused(tmp_path):
    path = tmp_path / "short.gz"
    path.write_bytes(gzip.compress(idx_header(0x0C, (10, 10)) + bytes(396)))
    with pytest.raises(FormatError, match=r"has 396 data bytes but .*\(10, 10\) of int32 "
                                          r"\(400 bytes\)"):
        read_idx(path)


@pytest.mark.parametrize("gz", [False, True])
def test_dimensions_whose_product_overflows_int64_are_refused(tmp_path, gz):
    # 2^22 * 2^21 * 2^21 = 2^64: 0 in int64 arithmetic, which an empty body matched
    raw = idx_header(0x08, (1 << 22, 1 << 21, 1 << 21))
    path = tmp_path / "overflow"
    path.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(FormatError, match=r"\(4194304, 2097152, 2097152\) of uint8 "
                                          r"\(18446744073709551616 bytes\)"):
        read_idx(path, max_bytes=1 << 70)


class HugeEmptyArray:
    """Pickles as NumPy's array reconstructor asked for `shape`, with no data to fill it."""

    def __init__(self, shape, typecode):
        self.shape, self.typecode = shape, typecode

    def __reduce__(self):
        from numpy._core.multiarray import _reconstruct

        return (_reconstruct, (np.ndarray, self.shape, self.typecode))


def test_tiny_cifar_pickle_cannot_allocate_huge_uninitialised_images(tmp_path):
    count = 100_000  # 307 MB of "images"
    with open(tmp_path / "data_batch_1", "wb") as handle:
        pickle.dump({b"data": HugeEmptyArray((count, 3072), b"B"),
                     b"labels": HugeEmptyArray((count,), b"b")}, handle, protocol=2)
    assert (tmp_path / "data_batch_1").stat().st_size < 300
    peak, raised = peak_bytes_of(load_cifar_batch, tmp_path / "data_batch_1")
    assert peak < 1 << 20  # the old loader returned 307 MB of uninitialised memory
    assert isinstance(raised, pickle.UnpicklingError)
    assert f"refusing an array of shape ({count}, 3072) and {count * 3072} bytes" in str(raised)
    assert str(tmp_path / "data_batch_1") in str(raised)


@pytest.mark.parametrize("labels, message", [
    ([0, 10], "label 10 at index 1; expected 0..9"),
    ([-1, 3], "label -1 at index 0"),
    ([1.0, 2.0], "dtype float64; expected 2 integers"),
    ([True, False], "dtype bool"),
    ([1], r"labels of shape \(1,\)"),
])
def test_cifar_labels_must_be_class_numbers(tmp_path, labels, message):
    with open(tmp_path / "b", "wb") as handle:
        pickle.dump({b"data": np.zeros((2, 3072), np.uint8), b"labels": labels}, handle)
    with pytest.raises(FormatError, match=message):
        load_cifar_batch(tmp_path / "b")


@pytest.mark.parametrize("value, message", [
    (256.0, "data value 256.0; pixels are integers 0..255"),
    (-3, "data value -3"),
    (0.5, "data value 0.5"),
    (np.nan, "data value nan"),
])
def test_cifar_pixels_that_would_wrap_are_refused(tmp_path, value, message):
    data = np.zeros((1, 3072), dtype=np.float64 if isinstance(value, float) else np.int64)
    data[0, 1234] = value
    with open(tmp_path / "b", "wb") as handle:
        pickle.dump({b"data": data, b"labels": [0]}, handle)
    with pytest.raises(FormatError, match=message):
        load_cifar_batch(tmp_path / "b")


def test_cifar_pixels_stored_as_whole_floats_are_taken(tmp_path):
    data = np.arange(3072, dtype=np.float32).reshape(1, 3072) % 256
    with open(tmp_path / "b", "wb") as handle:
        pickle.dump({b"data": data, b"labels": [7]}, handle)
    images, labels = load_cifar_batch(tmp_path / "b")
    assert images.dtype == np.uint8 and images[0, 0, 1, 0] == 1 and labels.tolist() == [7]
