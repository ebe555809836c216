"""minigan.save / minigan.load: checkpoints as one ``.npz`` file, written atomically.

What can be saved: nested dicts (any str/int/float/bool/None/tuple keys), lists and
tuples of NumPy or CuPy arrays, minigan Tensors (saved as NumPy arrays), NumPy
scalars, Python numbers, strings, bools and None. That covers ``model.state_dict()``
and a training checkpoint such as ``{"generator": ..., "optimizer": ..., "epoch": 3}``.

The file is a plain NumPy ``.npz`` archive: each array is an entry ``arr_N`` and the
structure is a JSON document (entry ``__minigan__``) that refers to the arrays by
name. Nothing is pickled: ``np.load(..., allow_pickle=False)`` reads it, so loading an
untrusted checkpoint cannot run code.

Writes are atomic: the archive goes to a temporary file in the target's folder, is
flushed and fsync'ed, then ``os.replace``'d over the target. A write killed half-way
leaves the old file intact (and at worst a stray ``.NAME.*.part`` beside it). A
truncated or corrupt file raises `CheckpointError` naming the file.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import zipfile
import zlib
from collections import OrderedDict
from typing import Any, BinaryIO

import numpy as np

from . import backend
from .atomic import atomic_write
from .autograd import Tensor

__all__ = ["save", "load", "CheckpointError", "FORMAT_VERSION"]

FORMAT_NAME = "minigan-checkpoint"
FORMAT_VERSION = 1
STRUCTURE_ENTRY = "__minigan__"


class CheckpointError(ValueError):
    """A checkpoint file is truncated, corrupt, or not one minigan can read."""


# ---- encoding -------------------------------------------------------------------------------

def _is_array(obj) -> bool:
    return isinstance(obj, np.ndarray) or (backend._cupy is not None and isinstance(obj, backend._cupy.ndarray))


class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _add_array(self, array, where: str) -> str:
        array = backend.as_numpy(array)
        if array.dtype.hasobject:
            raise TypeError(f"minigan.save: {where} is an object array, which cannot be saved without pickle")
        name = f"arr_{len(self.arrays)}"
        self.arrays[name] = np.ascontiguousarray(array) if array.ndim else array
        return name

    def encode(self, obj: Any, where: str) -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int) and not isinstance(obj, bool):
            return obj
        if isinstance(obj, float):
            if obj != obj or obj in (float("inf"), float("-inf")):
                return {"__float__": repr(obj)}
            return obj
        if isinstance(obj, Tensor):
            return {"__array__": self._add_array(obj.array, where)}
        if _is_array(obj):
            return {"__array__": self._add_array(obj, where)}
        if isinstance(obj, np.generic):
            return {"__scalar__": self._add_array(np.asarray(obj), where)}
        if isinstance(obj, dict):
            items = [[self.encode(k, f"a key of {where}"), self.encode(v, f"{where}[{k!r}]")]
                     for k, v in obj.items()]
            out: dict = {"__dict__": items}
            if isinstance(obj, OrderedDict):
                out["ordered"] = True
            return out
        if isinstance(obj, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"__tuple__": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        raise TypeError(f"minigan.save: cannot save {where} of type {type(obj).__name__}; checkpoints hold "
                        "dicts, lists, tuples, arrays/Tensors, numbers, strings, bools and None")


def _decode(node: Any, arrays: dict, to_device, name: str) -> Any:
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, arrays, to_device, name) for v in node]
    if isinstance(node, dict):
        if "__array__" in node or "__scalar__" in node:
            key = node.get("__array__", node.get("__scalar__"))
            if key not in arrays:
                raise CheckpointError(f"{name}: the checkpoint refers to array {key!r}, which is not in the file "
                                      "(corrupt or hand-edited file)")
            if "__scalar__" in node:
                return arrays[key][()]
            return to_device(arrays[key])
        if "__tuple__" in node:
            return tuple(_decode(v, arrays, to_device, name) for v in node["__tuple__"])
        if "__float__" in node:
            return float(node["__float__"])
        if "__dict__" in node:
            out = OrderedDict() if node.get("ordered") else {}
            for k, v in node["__dict__"]:
                k = _decode(k, arrays, to_device, name)
                if isinstance(k, list):
                    k = tuple(k)
                out[k] = _decode(v, arrays, to_device, name)
            return out
    raise CheckpointError(f"{name}: unrecognised entry in the checkpoint structure: {str(node)[:80]}")


# ---- writing -------------------------------------------------------------------------------

def _write_npz(file: BinaryIO, arrays: dict) -> None:
    """Write the archive to an open binary file (a seam for the crash tests)."""
    np.savez(file, **arrays)


def _payload(obj: Any) -> dict:
    encoder = _Encoder()
    root = encoder.encode(obj, "the object")
    doc = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "root": root}
    text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
    arrays = dict(encoder.arrays)
    arrays[STRUCTURE_ENTRY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    return arrays


def _fsync_dir(folder: str) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save(obj: Any, f: "str | os.PathLike | BinaryIO") -> None:
    """Save `obj` (e.g. ``model.state_dict()`` or a dict of them) to `f`, atomically.

    `f` is a path (written exactly as named: ``model.pt`` stays ``model.pt``) or an open
    binary file. Everything is encoded before the file is touched, so an object that
    cannot be saved raises TypeError and leaves any existing file alone.
    """
    arrays = _payload(obj)
    if hasattr(f, "write"):
        _write_npz(f, arrays)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"minigan.save: folder {folder!r} does not exist")
    with atomic_write(path) as file:
        _write_npz(file, arrays)
    _fsync_dir(folder)


# ---- reading -------------------------------------------------------------------------------

# zipfile raises NotImplementedError (a flipped compression-method field) and RuntimeError (a flipped
# encryption flag) for damaged headers too: all of them mean "not a readable checkpoint".
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, ValueError, EOFError, KeyError, OSError, UnicodeDecodeError,
                json.JSONDecodeError, TypeError, IndexError, NotImplementedError, RuntimeError)


def load(f: "str | os.PathLike | BinaryIO", map_location=None, *, device=None) -> Any:
    """Read a checkpoint written by `save` (or any pickle-free ``.npz``/``.npy`` file).

    Arrays come back as NumPy arrays, or on `device` (alias `map_location`, as in
    ``torch.load``) when given: ``minigan.load(path, device="cuda")``. A missing file
    raises FileNotFoundError; a truncated, corrupt or foreign file raises
    `CheckpointError` naming it.
    """
    if device is None:
        device = map_location
    if device is not None:
        device = backend.Device(device)
    name = getattr(f, "name", None) if hasattr(f, "read") else os.fspath(f)
    name = repr(str(name)) if name is not None else "<file object>"

    def to_device(arr):
        return arr if device is None else backend.to_device(arr, device)

    if not hasattr(f, "read"):
        path = os.fspath(f)
        if not os.path.exists(path):
            raise FileNotFoundError(f"minigan.load: no such file: {path!r}")
        if os.path.isdir(path):
            raise IsADirectoryError(f"minigan.load: {path!r} is a folder, not a checkpoint file")
        with open(path, "rb") as file:
            return _load_from(file, name, to_device)
    return _load_from(f, name, to_device)


def _read_arrays(file: BinaryIO) -> "dict[str, np.ndarray] | np.ndarray":
    """Every array in an .npz (each member read whole, so its CRC-32 is checked), or a bare .npy array."""
    if not (hasattr(file, "seekable") and file.seekable()):
        file = io.BytesIO(file.read())
    magic = file.read(6)
    file.seek(-len(magic), os.SEEK_CUR)
    if magic.startswith(b"\x93NUMPY"):
        return np.lib.format.read_array(file, allow_pickle=False)
    if not magic.startswith(b"PK"):
        raise ValueError("not an .npz archive" if magic else "the file is empty")
    arrays = {}
    with zipfile.ZipFile(file) as zf:
        _check_entry_count(file, len(zf.infolist()))
        for info in zf.infolist():
            raw = zf.read(info)  # reads to the end of the member: a CRC mismatch raises BadZipFile
            key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            buf = io.BytesIO(raw)
            arrays[key] = np.lib.format.read_array(buf, allow_pickle=False)
            if buf.tell() != len(raw):
                raise ValueError(f"entry {key!r} holds {len(raw) - buf.tell()} bytes more than its header says")
    return arrays


def _check_entry_count(file: BinaryIO, found: int) -> None:
    """The archive's end record says how many members it has; zipfile does not check that it read them
    all (a flipped comment-length field makes it skip the rest silently: a checkpoint would load as a
    plain archive of its first arrays). zipfile's own end-record reader is private, hence the getattr."""
    read_end = getattr(zipfile, "_EndRecData", None)
    index = getattr(zipfile, "_ECD_ENTRIES_TOTAL", None)
    if read_end is None or index is None:
        return
    file.seek(0)
    end = read_end(file)
    if end is not None and end[index] != found:
        raise zipfile.BadZipFile(f"the archive lists {end[index]} entries but {found} could be read")


def _load_from(file: BinaryIO, name: str, to_device) -> Any:
    try:
        arrays = _read_arrays(file)
    except _READ_ERRORS as exc:
        raise CheckpointError(f"cannot read checkpoint {name}: the file is truncated, corrupt or not a "
                              f"checkpoint ({type(exc).__name__}: {exc})") from exc
    if isinstance(arrays, np.ndarray):  # a bare .npy file
        return to_device(arrays)
    if STRUCTURE_ENTRY not in arrays:  # a plain np.savez archive: a dict of arrays
        return {key: to_device(value) for key, value in arrays.items()}
    raw = arrays.pop(STRUCTURE_ENTRY)
    try:
        doc = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"cannot read checkpoint {name}: its structure entry is corrupt ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME or "root" not in doc:
        raise CheckpointError(f"cannot read checkpoint {name}: the structure entry is not a minigan checkpoint")
    version = doc.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {name} has format version {version!r}; this minigan reads up to "
                              f"version {FORMAT_VERSION} (upgrade minigan)")
    return _decode(doc["root"], arrays, to_device, name)
