"""Flatten and Unflatten."""
from __future__ import annotations

from ..autograd import Tensor
from .. import ops
from .module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Merge dims start_dim..end_dim; the default keeps the batch dim: (N, C, H, W) -> (N, C*H*W)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return ops.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim `dim` into `unflattened_size`: Unflatten(1, (128, 7, 7)) maps (N, 6272) to (N, 128, 7, 7)."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if isinstance(unflattened_size, int) or not all(isinstance(s, int) for s in unflattened_size):
            raise TypeError(f"unflattened_size must be a tuple of ints, got {unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        ndim = input.ndim
        if not -ndim <= self.dim < ndim:
            raise ValueError(f"Unflatten: dim {self.dim} is out of range for a {ndim}-D input")
        d = self.dim % ndim
        shape = tuple(input.shape)
        return ops.reshape(input, shape[:d] + self.unflattened_size + shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
