"""Tensor's shape, indexing and in-place methods.

A base class of `Tensor` (autograd/tensor.py) beside `MathMethods`; each method looks its op up
in `minigan.ops` when called, as there.
"""
from __future__ import annotations

from typing import Any

__all__ = ["ShapeMethods"]


class ShapeMethods:
    """Views, reshapes, indexing and in-place updates of a Tensor (each calls its op in minigan.ops)."""

    __slots__ = ()

    def __getitem__(self, key): return _ops.getitem(self, key)

    def numel(self) -> int:
        """The number of elements (PyTorch's name for `size`)."""
        return self.array.size

    def t(self) -> "Tensor":
        """PyTorch's t(): a matrix transposed; 0-d and 1-d tensors come back as they are."""
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor of at most 2 dimensions, got shape {self.shape}; use mT or permute")
        return self if self.ndim < 2 else _ops.transpose(self)

    def reshape(self, *shape): return _ops.reshape(self, *shape)
    view = reshape
    def flatten(self, start_dim: int = 0, end_dim: int = -1): return _ops.flatten(self, start_dim, end_dim)
    def permute(self, *axes): return _ops.permute(self, *axes)
    def transpose(self, dim0: int | None = None, dim1: int | None = None): return _ops.transpose(self, dim0, dim1)
    def broadcast_to(self, shape): return _ops.broadcast_to(self, shape)
    def expand(self, *shape): return _ops.expand(self, *shape)
    def sum_to(self, shape): return _ops.sum_to(self, shape)
    def squeeze(self, dim=None, *, axis=None): return _ops.squeeze(self, dim, axis=axis)
    def unsqueeze(self, dim: int | None = None, *, axis: int | None = None): return _ops.unsqueeze(self, dim, axis=axis)
    def split(self, split_size_or_sections, dim: int = 0, *, axis: int | None = None):
        return _ops.split(self, split_size_or_sections, dim, axis=axis)
    def pad(self, pad_width, value: float = 0.0): return _ops.pad(self, pad_width, value)
    def matmul(self, other): return _ops.matmul(self, other)

    @property
    def T(self) -> "Tensor":
        """All axes reversed."""
        return _ops.transpose(self)

    @property
    def mT(self) -> "Tensor":
        """The last two axes swapped (a batch of matrices transposed)."""
        return _ops.transpose(self, -1, -2)

    # -- in-place operations and the version counter (ops/inplace.py, autograd/version.py)
    @property
    def _version(self) -> int:
        """How many times this tensor was changed in place (PyTorch's ``t._version``)."""
        return 0 if self._writes is None else len(self._writes)

    def __setitem__(self, key, value) -> None:
        """``t[key] = value``; inside the graph the gradient flows to `value` and to t outside `key`."""
        _ops.setitem(self, key, value)

    def add_(self, other, alpha: float = 1) -> "Tensor": return _ops.add_(self, other, alpha)
    def sub_(self, other, alpha: float = 1) -> "Tensor": return _ops.sub_(self, other, alpha)
    def mul_(self, other) -> "Tensor": return _ops.mul_(self, other)
    def div_(self, other) -> "Tensor": return _ops.div_(self, other)
    def zero_(self) -> "Tensor": return _ops.zero_(self)
    def fill_(self, value) -> "Tensor": return _ops.fill_(self, value)
    def clamp_(self, min=None, max=None) -> "Tensor": return _ops.clamp_(self, min, max)  # noqa: A002
    clip_ = clamp_
    def copy_(self, src) -> "Tensor": return _ops.copy_(self, src)

# minigan.ops, bound by ops/__init__.py when it is imported (see the module docstring).
_ops: Any = None
