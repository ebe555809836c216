"""Argument checks shared by the indexing, sorting and movement ops, with PyTorch's messages.

A dimension out of range is an IndexError worded as torch words it, prefixed by the op;
an index tensor must hold integers (a float index is a silent truncation waiting to happen)::

    dim = normalize_dim("gather", dim, x.ndim)          # -1 -> ndim - 1, 5 -> IndexError
    index = index_array("gather", "index", index, x)     # an int64 array on x's device
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor, _is_cupy_array

__all__ = ["normalize_dim", "normalize_dims", "index_array", "mask_array", "check_bounds"]


def normalize_dim(op: str, dim, ndim: int) -> int:
    """`dim` in [0, ndim) (a 0-d tensor takes 0 and -1, as in PyTorch); IndexError otherwise."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    span = ndim or 1
    if not -span <= dim < span:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of [{-span}, {span - 1}], "
                         f"but got {dim})")
    return int(dim) % span if ndim else 0


def normalize_dims(op: str, dims, ndim: int) -> tuple:
    """A tuple of distinct dims from an int or a sequence; RuntimeError on a repeat, as torch.flip."""
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    out = tuple(normalize_dim(op, d, ndim) for d in dims)
    for i, d in enumerate(out):
        if d in out[:i]:
            raise RuntimeError(f"{op}: dim {d} appears multiple times in the list of dims")
    return out


def _device_array(values, like: Tensor):
    """`values` (Tensor, array, list or number) as an array on `like`'s device."""
    arr = values.array if isinstance(values, Tensor) else values
    if not _is_cupy_array(arr):
        arr = np.asarray(arr)
        if arr.dtype == np.float64 and not isinstance(values, (Tensor, np.ndarray)) and arr.size == 0:
            arr = arr.astype(np.int64)  # an empty list is an empty index, not a float one
        if type(like.array) is not np.ndarray:
            arr = backend.to_device(arr, like.device)
    return arr


def index_array(op: str, name: str, index, like: Tensor):
    """An integer index as an int64 array on `like`'s device; TypeError names a float or bool one."""
    arr = _device_array(index, like)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected an int64 or int32 tensor for {name}, got {arr.dtype}")
    return arr if arr.dtype == np.int64 else arr.astype(np.int64)


def mask_array(op: str, mask, like: Tensor):
    """A boolean mask as an array on `like`'s device; TypeError for any other dtype (torch's rule)."""
    arr = _device_array(mask, like)
    if arr.dtype != np.bool_:
        raise TypeError(f"{op}: expected a bool tensor for mask, got {arr.dtype}")
    return arr


def check_bounds(op: str, index, size: int, dim: int, *, negative: bool = False) -> None:
    """Every entry of `index` in [0, size) (or [-size, size) with `negative`); torch's IndexError otherwise."""
    if index.size == 0:
        return
    low, high = int(index.min()), int(index.max())
    floor = -size if negative else 0
    if low < floor or high >= size:
        bad = low if low < floor else high
        raise IndexError(f"{op}: index {bad} is out of bounds for dimension {dim} with size {size}")
