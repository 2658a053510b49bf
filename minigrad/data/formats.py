"""File formats of the classic image data sets, read without trusting the file.

IDX (MNIST, Fashion-MNIST; LeCun et al. 1998, http://yann.lecun.com/exdb/mnist/):

    bytes 0-1   zero
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    4*d bytes   the dimensions, big-endian uint32
    the rest    the elements, big-endian, row-major

Either plain or gzip-compressed (recognised by the gzip magic bytes 1f 8b, not by
the file name).

CIFAR-10 "python version" batches (Krizhevsky 2009, "Learning Multiple Layers of
Features from Tiny Images") are Python pickles. Unpickling can run arbitrary
code, so `load_cifar_batch` uses an unpickler that resolves only the handful of
globals a dict of NumPy arrays needs, and refuses everything else.
"""

import gzip
import io
import math
import numbers
import os
import pickle
import zlib

import numpy as np

from minigrad.errors import MinigradError

__all__ = ["FormatError", "UnsafePickleError", "read_idx", "write_idx", "load_cifar_batch",
           "SafeUnpickler"]


class FormatError(MinigradError, ValueError):
    """A data file is truncated, corrupt, or not in the format expected."""


_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES = {dtype.newbyteorder("="): code for code, dtype in _IDX_TYPES.items()}


# Deflate cannot expand data by more than 1032:1 (zlib's technical details, "maximum
# compression factor"); a gzip file that declares more is lying, whatever it holds.
DEFLATE_MAX_RATIO = 1032
MAX_IDX_BYTES = 1 << 30  # 1 GiB of elements; MNIST's largest file holds 47 MB
_CHUNK = 1 << 20


def _read_idx_header(path, handle):
    """(shape, dtype, header length) from the first 4 + 4*ndim bytes of `handle`."""
    magic = handle.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0:
        raise FormatError(f"read_idx: {path} does not start with the IDX magic 00 00")
    type_code, ndim = magic[2], magic[3]
    if type_code not in _IDX_TYPES:
        raise FormatError(f"read_idx: {path} has unknown element type 0x{type_code:02x}; "
                          f"expected one of {sorted(hex(c) for c in _IDX_TYPES)}")
    dims = handle.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise FormatError(f"read_idx: {path} is truncated inside its header "
                          f"({4 + len(dims)} bytes, header needs {4 + 4 * ndim})")
    shape = tuple(int.from_bytes(dims[i:i + 4], "big") for i in range(0, 4 * ndim, 4))
    return shape, _IDX_TYPES[type_code], 4 + 4 * ndim


def _check_declared_size(path, shape, dtype, header, file_size, compressed, max_bytes):
    """Refuse, before anything is allocated, a size the file cannot hold or that is absurd."""
    declared = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    announce = f"its header announces shape {shape} of {dtype.name} ({declared} bytes)"
    if declared > max_bytes:
        raise FormatError(f"read_idx: {path}: {announce}, more than max_bytes={max_bytes}; "
                          f"pass a larger max_bytes if the file is genuine")
    if not compressed and file_size - header != declared:
        raise FormatError(f"read_idx: {path} has {file_size - header} data bytes but {announce}")
    if compressed and declared + header > DEFLATE_MAX_RATIO * file_size:
        raise FormatError(f"read_idx: {path} is a gzip file of {file_size} bytes, which cannot "
                          f"inflate to more than {DEFLATE_MAX_RATIO * file_size}, but {announce}")
    return declared


def _read_exactly(path, handle, count, announce):
    """`count` bytes from `handle`, read in chunks (memory grows only with what the file
    really holds); an error if the stream ends sooner or goes on after them."""
    buffer = bytearray()
    while len(buffer) < count:
        chunk = handle.read(min(_CHUNK, count - len(buffer)))
        if not chunk:
            raise FormatError(f"read_idx: {path} has {len(buffer)} data bytes but {announce}")
        buffer += chunk
    if handle.read(1):
        raise FormatError(f"read_idx: {path} has more data bytes than {announce}")
    return buffer


def read_idx(path, max_bytes=MAX_IDX_BYTES):
    """Read an IDX file (gzipped or not) into an ndarray of its native shape.

    The header is read and checked first: the declared size must fit the file (exactly
    for a plain file, within deflate's 1032:1 for gzip) and max_bytes. Only then are
    exactly that many bytes inflated, in chunks.
    Returns: np.ndarray, e.g. (60000, 28, 28) uint8 for MNIST training images,
    (60000,) uint8 for its labels. Multi-byte types are converted to native order.
    Raises FormatError naming the file and what is wrong.
    """
    with open(path, "rb") as raw:
        file_size = os.fstat(raw.fileno()).st_size
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        handle = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        try:
            shape, dtype, header = _read_idx_header(path, handle)
            declared = _check_declared_size(path, shape, dtype, header, file_size,
                                            compressed, max_bytes)
            announce = f"its header announces shape {shape} of {dtype.name} ({declared} bytes)"
            data = _read_exactly(path, handle, declared, announce)
        except (EOFError, OSError, zlib.error) as exc:  # BadGzipFile is an OSError
            if not compressed:
                raise
            raise FormatError(f"read_idx: {path} is a damaged gzip file ({exc})") from exc
    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def write_idx(path, array, compress=None):
    """Write `array` as an IDX file; gzip it when `compress` (default: name ends in .gz)."""
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _IDX_CODES:
        raise FormatError(f"write_idx: dtype {array.dtype} has no IDX type code")
    code = _IDX_CODES[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=_IDX_TYPES[code]).tobytes()
    if compress is None:
        compress = str(path).endswith(".gz")
    if compress:
        payload = gzip.compress(payload)
    with open(path, "wb") as handle:
        handle.write(payload)


# --------------------------------------------------------------------------- CIFAR
def _latin1_encode(text, encoding="latin1"):
    """Python 3 pickles bytes (protocol < 3) as _codecs.encode(str, 'latin1');
    allow exactly that and no other codec."""
    if encoding.lower().replace("-", "") != "latin1":
        raise UnsafePickleError(f"load_cifar_batch: refusing codec {encoding!r}")
    return text.encode("latin1")


def _check_allocation(what, shape, dtype, limit):
    """A pickle may ask NumPy for an array of any size; no honest one asks for more
    bytes than the file itself holds (the data travel inside the pickle)."""
    try:
        shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
        size = math.prod(int(d) for d in shape) * np.dtype(dtype).itemsize
    except (TypeError, ValueError) as exc:
        raise UnsafePickleError(f"load_cifar_batch: refusing {what} of shape {shape!r}, "
                                f"dtype {dtype!r} ({exc})") from None
    if size > limit:
        raise UnsafePickleError(f"load_cifar_batch: refusing {what} of shape {shape} and "
                                f"{size} bytes from a pickle of {limit} bytes")


def _bounded_globals(limit):
    """NumPy's reconstructors and bytearray, refusing to allocate more than `limit` bytes."""
    from numpy._core import multiarray

    def reconstruct(subtype, shape, dtype):
        _check_allocation("an array", shape, dtype, limit)
        return multiarray._reconstruct(subtype, shape, dtype)

    def scalar(dtype, *data):
        _check_allocation("a scalar", (), dtype, limit)
        return multiarray.scalar(dtype, *data)

    def bounded_bytearray(*args):
        if args and isinstance(args[0], numbers.Integral):
            _check_allocation("a bytearray", args[0], np.uint8, limit)
        return bytearray(*args)

    return reconstruct, scalar, bounded_bytearray


def _allowed_globals(limit):
    """(module, name) -> object: all a pickled dict of NumPy arrays refers to."""
    from numpy._core import numeric

    reconstruct, scalar, bounded_bytearray = _bounded_globals(limit)
    allowed = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("builtins", "bytearray"): bounded_bytearray,
        ("__builtin__", "bytearray"): bounded_bytearray,
        ("_codecs", "encode"): _latin1_encode,
    }
    # NumPy moved its internals from numpy.core to numpy._core in 2.0; pickles name either.
    for package in ("numpy.core", "numpy._core"):
        allowed[(f"{package}.multiarray", "_reconstruct")] = reconstruct
        allowed[(f"{package}.multiarray", "scalar")] = scalar
        allowed[(f"{package}.numeric", "_frombuffer")] = numeric._frombuffer
    return allowed


class UnsafePickleError(FormatError, pickle.UnpicklingError):
    """A pickle asked for a global outside the allowed list (it may be trying to run
    code), or asked NumPy for more memory than the file could fill."""


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that can only build dicts, lists, strings, bytes, numbers and
    NumPy arrays: any other global (os.system, eval, ...) is refused, and so is an
    array larger than `max_bytes` (default: unbounded; load_cifar_batch passes the
    file's size)."""

    def __init__(self, file, *, max_bytes=None, **kwargs):
        super().__init__(file, **kwargs)
        self._allowed = _allowed_globals(math.inf if max_bytes is None else max_bytes)

    def find_class(self, module, name):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"load_cifar_batch: refusing to load global '{module}.{name}': only "
                f"NumPy arrays and plain containers are allowed in a data batch") from None


def _decode_keys(value):
    if isinstance(value, dict):
        return {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in value.items()}
    return value


def _cifar_pixels(path, data):
    """(N, 3072) uint8 from the batch's 'data', refusing values a pixel cannot have."""
    try:
        data = np.asarray(data)
    except (TypeError, ValueError) as exc:
        raise FormatError(f"load_cifar_batch: {path} has 'data' that is not an array ({exc})"
                          ) from None
    if data.ndim != 2 or data.shape[1] != 3072:
        raise FormatError(f"load_cifar_batch: {path} has data {data.shape}; expected (N, 3072)")
    if data.dtype.kind not in "iuf":
        raise FormatError(f"load_cifar_batch: {path} has data of dtype {data.dtype}; "
                          f"expected pixel values 0..255")
    outside = ~((data >= 0) & (data <= 255) & (data == np.round(data)))
    if data.dtype != np.uint8 and outside.any():
        raise FormatError(f"load_cifar_batch: {path} has data value "
                          f"{data.flat[np.argmax(outside)]}; pixels are integers 0..255")
    return data.astype(np.uint8, copy=False)


def _cifar_labels(path, labels, count, num_classes):
    try:
        labels = np.asarray(labels)
    except (TypeError, ValueError) as exc:
        raise FormatError(f"load_cifar_batch: {path} has 'labels' that are not a list "
                          f"({exc})") from None
    if labels.shape != (count,) or labels.dtype.kind not in "iu":
        raise FormatError(f"load_cifar_batch: {path} has labels of shape {labels.shape} and "
                          f"dtype {labels.dtype}; expected {count} integers, one per image")
    outside = (labels < 0) | (labels >= num_classes)
    if outside.any():
        raise FormatError(f"load_cifar_batch: {path} has label {labels[np.argmax(outside)]} "
                          f"at index {np.argmax(outside)}; expected 0..{num_classes - 1}")
    return labels.astype(np.int64)


def load_cifar_batch(path, num_classes=10):
    """Load one CIFAR-10 batch file safely.

    Returns: (images (N, 32, 32, 3) uint8 in HWC order, labels (N,) int64).
    The file stores `data` as (N, 3072) rows: 1024 red, then green, then blue
    values, each plane row-major. Pixels must be integers 0..255 and labels
    integers 0..num_classes-1; no array may be larger than the file.
    Raises FormatError (UnsafePickleError for a pickle that tries more than data).
    """
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        # The batches were pickled by Python 2: encoding='bytes' keeps its str as bytes.
        unpickler = SafeUnpickler(io.BytesIO(raw), max_bytes=len(raw), encoding="bytes")
        batch = _decode_keys(unpickler.load())
    except UnsafePickleError as exc:
        raise UnsafePickleError(f"{exc} (file {path})") from None
    except Exception as exc:  # truncated or garbled streams raise many kinds of errors
        raise FormatError(f"load_cifar_batch: {path} is not a readable pickle ({exc})") from exc
    if not isinstance(batch, dict) or "data" not in batch or "labels" not in batch:
        raise FormatError(f"load_cifar_batch: {path} is not a CIFAR batch "
                          f"(need a dict with 'data' and 'labels')")
    data = _cifar_pixels(path, batch["data"])
    labels = _cifar_labels(path, batch["labels"], len(data), num_classes)
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels
