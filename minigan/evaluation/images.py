"""Images handed to eval: check and normalise arrays, read samples files with clear one-line errors.

    images = prepare_samples(array)       # float32 (N, 1, 28, 28) in [-1, 1], or a ValueError/TypeError
    images = load_samples("s.npy")        # the same from a .npy / .npz file
"""

from __future__ import annotations

import io
import os
import tokenize
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["RANGE_TOLERANCE", "prepare_samples", "load_samples", "read_npy"]

RANGE_TOLERANCE = 1e-3  # float samples may overshoot [-1, 1] by this much (rounding in tanh and casts)
# What a damaged file can make NumPy's readers raise: each becomes one ValueError naming the file.
_READ_ERRORS = (ValueError, SyntaxError, TypeError, EOFError, OSError, KeyError, IndexError, OverflowError,
                MemoryError, zipfile.BadZipFile, tokenize.TokenError)  # TokenError: a damaged header dict


def prepare_samples(samples, *, name: str = "samples") -> np.ndarray:
    """Check and convert images to float32 (N, 1, 28, 28) in [-1, 1], the classifier's input.

    Accepts float arrays in [-1, 1] shaped (N, 1, 28, 28) or (N, 28, 28), and
    uint8 arrays in 0..255 (mapped by x / 127.5 - 1, as the data loader does).
    Anything else (other shapes, integer or bool dtypes other than uint8,
    NaN or infinity, floats outside [-1, 1] by more than a small tolerance)
    raises a ValueError or TypeError naming the shape, dtype or range found.
    """
    if hasattr(samples, "numpy") and not isinstance(samples, np.ndarray):  # a minigan Tensor
        samples = samples.numpy()
    elif type(samples).__module__.startswith("cupy"):
        samples = samples.get()
    array = np.asarray(samples)
    shape = array.shape  # as given, for the messages
    expected = "(N, 1, 28, 28) or (N, 28, 28)"
    if array.ndim == 4 and array.shape[1:] == (1, 28, 28):
        pass
    elif array.ndim == 3 and array.shape[1:] == (28, 28):
        array = array[:, None]
    else:
        hint = ""
        if array.ndim == 4 and array.shape[-1] == 1 and array.shape[1:3] == (28, 28):
            hint = " (channels-last (N, 28, 28, 1): move the channel axis with x.transpose(0, 3, 1, 2))"
        elif array.ndim == 2 and array.shape[1] == 784:
            hint = " (flat (N, 784): reshape with x.reshape(-1, 1, 28, 28))"
        elif array.ndim == 4 and array.shape[1] != 1:
            hint = f" (minigan's digit classifier takes 1 channel, these have {array.shape[1]})"
        raise ValueError(f"{name} must have shape {expected}, got shape {array.shape} "
                         f"with dtype {array.dtype}{hint}")
    if len(array) == 0:
        raise ValueError(f"{name} is empty: shape {shape}")
    if array.dtype == np.uint8:
        images = array.astype(np.float32)
        images /= 127.5
        images -= 1.0
        return images
    if array.dtype.kind != "f":
        raise TypeError(f"{name} must be float (values in [-1, 1]) or uint8 (values in 0..255), "
                        f"got dtype {array.dtype} with shape {shape}")
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"{name} (shape {shape}, dtype {array.dtype}) holds {int(bad.sum())} NaN or "
                         f"infinite values, first at index {tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), array.shape))}")
    low, high = float(array.min()), float(array.max())
    if low < -1 - RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE:
        hint = ""
        if low >= 0 and high <= 255:
            hint = "; images in 0..255 should be uint8 (or divide by 127.5 and subtract 1)"
        raise ValueError(f"float {name} must lie in [-1, 1] (a tanh generator's range), got values in "
                         f"[{low:.4g}, {high:.4g}] (shape {shape}, dtype {array.dtype}){hint}")
    return np.clip(array, -1.0, 1.0).astype(np.float32, copy=False)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def read_npy(handle, name: str) -> np.ndarray:
    """Read one .npy array from an open binary file, refusing pickles and files of the wrong length.

    ``np.load`` trusts the header: a header damaged into a smaller shape would load part of
    the data silently. Here the data must fill the file exactly (no more, no less).
    """
    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(handle)
    elif version in ((2, 0), (3, 0)):
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(handle)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    if dtype.hasobject:
        raise ValueError("it holds Python objects (a pickle), not numbers; save the images as a numeric array")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    data = handle.read()
    if len(data) != count * dtype.itemsize:
        raise ValueError(f"its header says {dtype} {tuple(shape)} ({count * dtype.itemsize} bytes) but the file "
                         f"holds {len(data)} bytes of data: truncated or damaged")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")


def load_samples(path: str | os.PathLike, *, allow_pickle: bool = False) -> np.ndarray:
    """Read a samples file (.npy, or .npz with one array or an array named 'samples'/'images') and check it.

    A truncated or damaged file raises one ValueError naming the file (never a traceback from
    NumPy's readers, never part of an array). `allow_pickle` is kept for compatibility; pickled
    arrays are always refused.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"samples file not found: {path}")
    try:
        with open(path, "rb") as handle:
            is_zip = handle.read(4) == b"PK\x03\x04"
            handle.seek(0)
            if not is_zip:
                loaded = read_npy(handle, path.name)
            else:
                with zipfile.ZipFile(handle) as archive:
                    names = [n[:-4] if n.endswith(".npy") else n for n in archive.namelist()]
                    key = next((k for k in ("samples", "images") if k in names),
                               names[0] if len(names) == 1 else None)
                    if key is None:
                        raise KeyError(f"it holds arrays {names}; name the images 'samples' or 'images'")
                    member = archive.namelist()[names.index(key)]
                    with archive.open(member) as inner:  # zipfile checks the CRC when the member is read
                        loaded = read_npy(io.BytesIO(inner.read()), member)
    except _READ_ERRORS as exc:
        raise ValueError(f"cannot read samples file {path}: {_one_line(exc)}") from None
    return prepare_samples(loaded, name=f"samples in {path.name}")
