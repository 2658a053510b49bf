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
import pickle

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


def _read_bytes(path):
    with open(path, "rb") as handle:
        raw = handle.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError) as exc:
            raise FormatError(f"read_idx: {path} is a damaged gzip file ({exc})") from exc
    return raw


def read_idx(path):
    """Read an IDX file (gzipped or not) into an ndarray of its native shape.

    Returns: np.ndarray, e.g. (60000, 28, 28) uint8 for MNIST training images,
    (60000,) uint8 for its labels. Multi-byte types are converted to native order.
    """
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise FormatError(f"read_idx: {path} does not start with the IDX magic 00 00")
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_TYPES:
        raise FormatError(f"read_idx: {path} has unknown element type 0x{type_code:02x}; "
                          f"expected one of {sorted(hex(c) for c in _IDX_TYPES)}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise FormatError(f"read_idx: {path} is truncated inside its header "
                          f"({len(raw)} bytes, header needs {header})")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise FormatError(f"read_idx: {path} has {len(raw) - header} data bytes but its "
                          f"header announces shape {shape} of {dtype.name} ({expected} bytes)")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


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


def _allowed_globals():
    """(module, name) -> object: all a pickled dict of NumPy arrays refers to."""
    allowed = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("builtins", "bytearray"): bytearray,
        ("__builtin__", "bytearray"): bytearray,
        ("_codecs", "encode"): _latin1_encode,
    }
    # NumPy moved its internals from numpy.core to numpy._core in 2.0; pickles name either.
    from numpy._core import multiarray, numeric

    for package in ("numpy.core", "numpy._core"):
        allowed[(f"{package}.multiarray", "_reconstruct")] = multiarray._reconstruct
        allowed[(f"{package}.multiarray", "scalar")] = multiarray.scalar
        allowed[(f"{package}.numeric", "_frombuffer")] = numeric._frombuffer
    return allowed


class UnsafePickleError(FormatError, pickle.UnpicklingError):
    """A pickle asked for a global outside the allowed list: it may be trying to run code."""


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that can only build dicts, lists, strings, bytes, numbers and
    NumPy arrays: any other global (os.system, eval, ...) is refused."""

    _ALLOWED = None

    def find_class(self, module, name):
        if SafeUnpickler._ALLOWED is None:
            SafeUnpickler._ALLOWED = _allowed_globals()
        try:
            return SafeUnpickler._ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"load_cifar_batch: refusing to load global '{module}.{name}': only "
                f"NumPy arrays and plain containers are allowed in a data batch") from None


def _decode_keys(value):
    if isinstance(value, dict):
        return {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in value.items()}
    return value


def load_cifar_batch(path):
    """Load one CIFAR-10 batch file safely.

    Returns: (images (N, 32, 32, 3) uint8 in HWC order, labels (N,) int64).
    The file stores `data` as (N, 3072) rows: 1024 red, then green, then blue
    values, each plane row-major.
    """
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        # The batches were pickled by Python 2: encoding='bytes' keeps its str as bytes.
        batch = _decode_keys(SafeUnpickler(io.BytesIO(raw), encoding="bytes").load())
    except UnsafePickleError:
        raise
    except Exception as exc:  # truncated or garbled streams raise many kinds of errors
        raise FormatError(f"load_cifar_batch: {path} is not a readable pickle ({exc})") from exc
    if not isinstance(batch, dict) or "data" not in batch or "labels" not in batch:
        raise FormatError(f"load_cifar_batch: {path} is not a CIFAR batch "
                          f"(need a dict with 'data' and 'labels')")
    data = np.asarray(batch["data"], dtype=np.uint8)
    labels = np.asarray(batch["labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise FormatError(f"load_cifar_batch: {path} has data {data.shape} and "
                          f"{len(labels)} labels; expected (N, 3072) and N labels")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels
