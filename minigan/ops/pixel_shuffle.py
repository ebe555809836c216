"""pixel_shuffle and pixel_unshuffle: channels <-> space rearrangements, as torch.nn.functional's.

Both are a reshape, a permute and a reshape (Tensor ops), so they are differentiable to any
order and each one's gradient is the other:

    (*, C*r*r, H, W) -> (*, C, r, r, H, W) -> (*, C, H, r, W, r) -> (*, C, H*r, W*r)

>>> import minigan as mg
>>> pixel_shuffle(mg.zeros(1, 8, 3, 3), 2).shape
(1, 2, 6, 6)
"""
from __future__ import annotations

import numbers

from ..autograd import Tensor
from .shape import permute, reshape

__all__ = ["pixel_shuffle", "pixel_unshuffle"]


def _factor(op: str, name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{op}: {name} must be a positive int, got {value!r}")
    return int(value)


def _tensor(op: str, input) -> Tensor:
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim < 3:
        raise RuntimeError(f"{op}: expected input with at least 3 dimensions (*, C, H, W), got shape {x.shape}")
    return x


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r) with r = `upscale_factor`, as ``torch.nn.functional.pixel_shuffle``."""
    op = "pixel_shuffle"
    r = _factor(op, "upscale_factor", upscale_factor)
    x = _tensor(op, input)
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise RuntimeError(f"{op}: the channel dimension {c} of input shape {x.shape} is not divisible by "
                           f"upscale_factor ** 2 = {r * r}")
    k = len(lead)
    y = reshape(x, (*lead, c // (r * r), r, r, h, w))
    y = permute(y, *range(k), k, k + 3, k + 1, k + 4, k + 2)
    return reshape(y, (*lead, c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W) with r = `downscale_factor`, as ``torch.nn.functional.pixel_unshuffle``."""
    op = "pixel_unshuffle"
    r = _factor(op, "downscale_factor", downscale_factor)
    x = _tensor(op, input)
    *lead, c, h, w = x.shape
    if h % r or w % r:
        raise RuntimeError(f"{op}: height {h} and width {w} of input shape {x.shape} must be divisible by "
                           f"downscale_factor {r}")
    k = len(lead)
    y = reshape(x, (*lead, c, h // r, r, w // r, r))
    y = permute(y, *range(k), k, k + 2, k + 4, k + 1, k + 3)
    return reshape(y, (*lead, c * r * r, h // r, w // r))
