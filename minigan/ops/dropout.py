"""Inverted dropout: zero each element with probability p, scale the rest by 1 / (1 - p).

The mask comes from minigan's seeded generator (`minigan.manual_seed`), so a run
is reproducible. The scaled mask is saved as one array and the backward is a
multiplication by it, itself differentiable (double backward works).
"""
from __future__ import annotations

import numbers

from .. import backend
from ..autograd import Function, Tensor, _is_float

__all__ = ["Dropout", "dropout"]


class Dropout(Function):
    """y = x * mask, mask = (u >= p) / (1 - p) with u uniform in [0, 1)."""

    def __init__(self, p: float):
        self.p = p

    def forward(self, x):
        dev = backend.device_of(x)
        rng = backend.rng_for(dev)
        dtype = x.dtype if x.dtype.kind == "f" and x.dtype.itemsize >= 4 else "float32"
        xp = backend.get_array_module(x)
        scale = x.dtype.type(1.0 / (1.0 - self.p))
        with dev.scope():  # CuPy draws on the current device
            u = rng.random(x.shape, dtype=dtype)
            mask = xp.where(u >= self.p, scale, x.dtype.type(0))
        self.mask = mask
        return x * mask

    def backward(self, gy):
        return gy * Tensor(self.mask)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """PyTorch's F.dropout: identity in eval mode or for p=0, zeros for p=1.

    ``inplace`` is accepted for signature compatibility and ignored (minigan
    never writes into a tensor that the graph may need).
    """
    if not isinstance(p, numbers.Real) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not isinstance(input, Tensor):
        input = Tensor(input)
    p = float(p)
    if not training or p == 0.0:
        return input
    if not _is_float(input.dtype):
        raise TypeError(f"dropout: expected a floating-point input, got dtype {input.dtype}")
    if p == 1.0:
        return input * 0.0
    return Dropout(p)(input)
