"""Padding layers ZeroPad2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d, as torch.nn's.

``padding`` is an int (all four sides) or (left, right, top, bottom); the layers call
`F.pad` on (C, H, W) or (N, C, H, W) input.
"""
from __future__ import annotations

import numbers

from ..autograd import Tensor
from . import functional as F
from .module import Module

__all__ = ["ZeroPad2d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d"]


def _quadruple(layer: str, padding) -> tuple:
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        return (int(padding),) * 4
    if isinstance(padding, (tuple, list)) and len(padding) == 4 and all(
            isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in padding):
        return tuple(int(p) for p in padding)
    raise ValueError(f"{layer}: padding must be an int or a 4-tuple (left, right, top, bottom), got {padding!r}")


class _Pad2d(Module):
    mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _quadruple(type(self).__name__, padding)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                             f"got shape {tuple(input.shape)}")
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad2d(_Pad2d):
    """Pad by mirroring without repeating the edge: ``ReflectionPad2d(1)``; each pad smaller than its side."""
    mode = "reflect"


class ReplicationPad2d(_Pad2d):
    """Pad by repeating the edge values: ``ReplicationPad2d((1, 1, 2, 2))``."""
    mode = "replicate"


class ConstantPad2d(_Pad2d):
    """Pad with a constant: ``ConstantPad2d(2, 3.5)``."""

    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ZeroPad2d(ConstantPad2d):
    """Pad with zeros: ``ZeroPad2d((left, right, top, bottom))``."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"
