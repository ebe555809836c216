"""What describes a tensor beside its values: PyTorch's dtype names, `Size`, and the dim check.

minigan/__init__.py exports the dtype names (``minigan.float32``, ``minigan.long``, ...); `Tensor`
(tensor.py) uses the rest for ``t.size()``, ``t.type()`` and its repr.
"""
from __future__ import annotations

import numpy as np

__all__ = ["DTYPES", "Size", "as_dtype"]

# PyTorch's dtype names as NumPy dtype objects (minigan/__init__.py exports them): what
# ``t.dtype`` returns, so ``t.dtype == minigan.float32`` holds; strings ("float32") and NumPy
# types (np.float32) stay accepted wherever a dtype is taken, since np.dtype() reads them all.
DTYPES = {name: np.dtype(kind) for name, kind in (
    ("float16", "float16"), ("half", "float16"), ("float32", "float32"), ("float", "float32"),
    ("float64", "float64"), ("double", "float64"), ("int64", "int64"), ("long", "int64"),
    ("int32", "int32"), ("int", "int32"), ("int16", "int16"), ("short", "int16"), ("int8", "int8"),
    ("uint8", "uint8"), ("bool", "bool"))}

# Tensor.type()'s names, PyTorch's legacy tensor types: "minigan.FloatTensor" for float32.
_TYPE_NAMES = {np.dtype(kind): name for kind, name in (
    ("float16", "HalfTensor"), ("float32", "FloatTensor"), ("float64", "DoubleTensor"), ("int64", "LongTensor"),
    ("int32", "IntTensor"), ("int16", "ShortTensor"), ("int8", "CharTensor"), ("uint8", "ByteTensor"),
    ("bool", "BoolTensor"))}


# the dtypes a repr leaves unsaid, as PyTorch's: its values already show them
_REPR_IMPLIED = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))


def as_dtype(dtype) -> np.dtype:
    """A NumPy dtype from any spelling: minigan.int64, np.int64, "int64", or a legacy type name
    ("minigan.LongTensor", "torch.LongTensor"), as ``Tensor.type(...)`` takes."""
    if isinstance(dtype, str) and dtype.endswith("Tensor"):
        name = dtype.rpartition(".")[2]
        for dt, known in _TYPE_NAMES.items():
            if known == name:
                return dt
        raise TypeError(f"invalid type: {dtype!r}")
    return np.dtype(dtype)


class Size(tuple):
    """A shape, as torch.Size: a tuple (equal to the plain one) with PyTorch's repr and `numel`.

    ``minigan.ones(2, 3).size()`` is ``minigan.Size([2, 3])``; ``t.shape`` stays a plain tuple.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"minigan.Size({list(self)})"

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, other))


def _dim_index(op: str, dim: int, ndim: int) -> int:
    """`dim` made non-negative, or PyTorch's IndexError naming the dim and the range."""
    if ndim == 0:
        raise IndexError(f"{op}: dimension specified as {dim} but the tensor has no dimensions")
    if not -ndim <= dim < ndim:
        raise IndexError(f"{op}: dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
                         f"but got {dim})")
    return dim % ndim
