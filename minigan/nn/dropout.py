"""Dropout: zero each element with probability p in training and scale the rest by 1/(1-p)."""
from __future__ import annotations

from ..autograd import Tensor
from . import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout2d"]


class _DropoutNd(Module):
    """What the dropout layers share, as PyTorch's ``_DropoutNd``: `p`, checked, and the repr."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """``Dropout(p=0.5)``; an identity in eval mode. Masks come from minigan's seeded generator."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) input with probability p: ``Dropout2d(p=0.5)``; identity in eval.

    One draw per (sample, channel) from minigan's seeded generator, as `Dropout`.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training)
