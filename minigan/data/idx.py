"""Read and write IDX files, the format MNIST and Fashion-MNIST ship in.

An IDX file is a 4-byte magic number (two zero bytes, an element-type code, the
number of dimensions), one big-endian uint32 per dimension, then the values in
C order, big-endian. Files may be gzip-compressed; we detect that from the gzip
magic bytes, not the name, because renamed and decompressed copies are common.

Every structural check (magic, dimensions, exact length) runs on every read:
a truncated or corrupt file must raise, never come back as a wrong array.
"""

from __future__ import annotations

import gzip as gzip_module
import math
import os
import zlib
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from .errors import DataError

GZIP_MAGIC = b"\x1f\x8b"

IMAGES_MAGIC = 0x00000803  # uint8, 3 dimensions (count, rows, columns)
LABELS_MAGIC = 0x00000801  # uint8, 1 dimension (count)

# Element-type codes from the IDX specification; multi-byte types are big-endian.
_DTYPE_BY_CODE = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_BY_KIND = {(dt.kind, dt.itemsize): code for code, dt in _DTYPE_BY_CODE.items()}


def describe_magic(magic: int) -> str:
    """Human-readable meaning of an IDX magic number, e.g. 'uint8, 3 dimensions'."""
    dtype = _DTYPE_BY_CODE.get((magic >> 8) & 0xFF)
    kind = dtype.newbyteorder("=").name if dtype is not None else f"unknown type 0x{(magic >> 8) & 0xFF:02x}"
    return f"{kind}, {magic & 0xFF} dimensions"


def read_idx(path: str | os.PathLike, *, magic: int | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or raw) into a native-endian NumPy array.

    The array has the shape stored in the header, e.g. (60000, 28, 28) uint8 for
    MNIST training images. Pass `magic` (IMAGES_MAGIC, LABELS_MAGIC) to also
    require a given element type and number of dimensions. Raises DataError,
    naming the file, for bad gzip data, a bad magic number, or a length that
    does not match the header.
    """
    path = Path(path)
    raw = path.read_bytes()
    data = _decompress_if_gzip(path, raw)
    return _decode(data, path, magic, looked_like_gzip=raw[:2] == GZIP_MAGIC)


def write_idx(path: str | os.PathLike, array: np.ndarray, gzip: bool | None = None) -> Path:
    """Write `array` as an IDX file, gzip-compressed if `gzip` (default: if the name ends in .gz).

    Supports uint8, int8, int16, int32, float32 and float64 arrays with 1 to 255
    dimensions. The file is written atomically and compressed with mtime 0, so
    the same array always gives the same bytes (and the same SHA-256).
    """
    path = Path(path)
    array = np.asarray(array)
    code = _CODE_BY_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        supported = ", ".join(dt.newbyteorder("=").name for dt in _DTYPE_BY_CODE.values())
        raise TypeError(f"IDX cannot store dtype {array.dtype}; supported: {supported}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX needs 1 to 255 dimensions, got shape {array.shape}")
    if any(size >= 2**32 for size in array.shape):
        raise ValueError(f"IDX dimensions are uint32, shape {array.shape} does not fit")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=_DTYPE_BY_CODE[code]).tobytes()
    if gzip is None:
        gzip = path.suffix == ".gz"
    if gzip:
        payload = gzip_module.compress(payload, mtime=0)
    with atomic_write(path) as file:
        file.write(payload)
    return path


def _decompress_if_gzip(path: Path, raw: bytes) -> bytes:
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return gzip_module.decompress(raw)
    except EOFError as error:
        raise DataError(f"{path}: truncated gzip data ({error}); the file is incomplete, download it again") from error
    except (OSError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}: corrupt gzip data ({error}); download the file again") from error


def _decode(data: bytes, path: Path, magic: int | None, looked_like_gzip: bool) -> np.ndarray:
    if len(data) < 4:
        raise DataError(f"{path}: truncated: {len(data)} bytes is too short for an IDX header")
    found = int.from_bytes(data[:4], "big")
    code, ndim = data[2], data[3]
    if data[:2] != b"\x00\x00" or code not in _DTYPE_BY_CODE or ndim == 0:
        hint = ""
        if path.suffix == ".gz" and not looked_like_gzip:
            hint = " (named .gz but not gzip-compressed)"
        raise DataError(f"{path}: bad magic number 0x{found:08x}{hint}: not an IDX file")
    if magic is not None and found != magic:
        raise DataError(
            f"{path}: bad magic number 0x{found:08x} ({describe_magic(found)}), "
            f"expected 0x{magic:08x} ({describe_magic(magic)})"
        )
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise DataError(f"{path}: truncated: the header needs {header_size} bytes, the file has {len(data)}")
    shape = tuple(int(n) for n in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _DTYPE_BY_CODE[code]
    expected = header_size + math.prod(shape) * dtype.itemsize
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "wrong length"
        raise DataError(
            f"{path}: {problem}: the header says shape {shape} {dtype.newbyteorder('=').name}, "
            f"which needs {expected} bytes, but the {'decompressed ' if looked_like_gzip else ''}"
            f"file has {len(data)}"
        )
    array = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=header_size)
    # astype copies: the result is writable, native-endian and does not pin `data`.
    return array.astype(dtype.newbyteorder("="), copy=True).reshape(shape)
