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

    # -- PyTorch's indexing and movement methods (ops/indexing.py, ops/movement.py)
    def gather(self, dim: int, index, *, sparse_grad: bool = False): return _ops.gather(self, dim, index)
    def scatter(self, dim: int, index, src=None, *, value=None): return _ops.scatter(self, dim, index, src, value=value)
    def scatter_(self, dim: int, index, src=None, *, value=None):
        return _ops.scatter_(self, dim, index, src, value=value)
    def scatter_add(self, dim: int, index, src): return _ops.scatter_add(self, dim, index, src)
    def scatter_add_(self, dim: int, index, src): return _ops.scatter_add_(self, dim, index, src)
    def index_select(self, dim: int, index): return _ops.index_select(self, dim, index)
    def take(self, index): return _ops.take(self, index)
    def masked_fill(self, mask, value): return _ops.masked_fill(self, mask, value)
    def masked_fill_(self, mask, value) -> "Tensor": return _ops.masked_fill_(self, mask, value)
    def masked_select(self, mask): return _ops.masked_select(self, mask)
    def nonzero(self, *, as_tuple: bool = False): return _ops.nonzero(self, as_tuple=as_tuple)
    def repeat(self, *sizes): return _ops.repeat(self, *sizes)
    def tile(self, *dims): return _ops.tile(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], int) else dims)
    def repeat_interleave(self, repeats, dim: int | None = None, *, output_size: int | None = None):
        return _ops.repeat_interleave(self, repeats, dim, output_size=output_size)
    def chunk(self, chunks: int, dim: int = 0): return _ops.chunk(self, chunks, dim)
    def unbind(self, dim: int = 0): return _ops.unbind(self, dim)
    def flip(self, *dims):
        return _ops.flip(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], int) else dims)
    def roll(self, shifts, dims=None): return _ops.roll(self, shifts, dims)
    def movedim(self, source, destination): return _ops.movedim(self, source, destination)
    moveaxis = movedim
    def swapaxes(self, axis0: int, axis1: int): return _ops.swapaxes(self, axis0, axis1)
    def swapdims(self, dim0: int, dim1: int): return _ops.swapdims(self, dim0, dim1)
    def narrow(self, dim: int, start: int, length: int): return _ops.narrow(self, dim, start, length)
    def unflatten(self, dim: int, sizes): return _ops.unflatten(self, dim, sizes)
    def view_as(self, other): return _ops.view_as(self, other)
    def reshape_as(self, other): return _ops.reshape_as(self, other)
    def expand_as(self, other): return _ops.expand_as(self, other)
    def contiguous(self): return _ops.contiguous(self)

# minigan.ops, bound by ops/__init__.py when it is imported (see the module docstring).
_ops: Any = None
