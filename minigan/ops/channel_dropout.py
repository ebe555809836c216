"""Channel dropout (torch's dropout2d): zero whole feature maps with probability p, scale the rest.

One draw per (sample, channel) from minigan's seeded generator (`minigan.manual_seed`), the
same generator `dropout` uses; the output is ``x * mask`` with the mask broadcast over the
spatial dimensions, so the gradient is the same product (any order).
"""
from __future__ import annotations

import numbers
import warnings

from .. import backend
from ..autograd import Tensor, _is_float

__all__ = ["dropout2d"]


def _channel_mask(x, p: float):
    """(N, C, 1, 1) scaled keep mask for a (N, C, H, W) array: (u >= p) / (1 - p)."""
    dev = backend.device_of(x)
    rng = backend.rng_for(dev)
    xp = backend.get_array_module(x)
    dtype = x.dtype if x.dtype.itemsize >= 4 else "float32"
    with dev.scope():  # CuPy draws on the current device
        u = rng.random(x.shape[:2], dtype=dtype)
        mask = xp.where(u >= p, x.dtype.type(1.0 / (1.0 - p)), x.dtype.type(0))
    return mask.reshape(x.shape[:2] + (1,) * (x.ndim - 2))


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each channel of (N, C, H, W) input with probability p, as ``torch.nn.functional.dropout2d``.

    Kept channels are scaled by 1 / (1 - p); an identity in eval mode. A 3-D input is taken
    as (N, C, L) with a warning, as PyTorch does. ``inplace`` is accepted and ignored.
    """
    if not isinstance(p, numbers.Real) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"dropout2d: dropout probability has to be between 0 and 1, but got {p}")
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected a 3-D (N, C, L) or 4-D (N, C, H, W) input, got shape {x.shape}")
    if x.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
                      "dim. This behavior will change in a future release to interpret the input as one "
                      "without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout "
                      "behavior, please switch to using dropout1d instead.", stacklevel=2)
    p = float(p)
    if not training or p == 0.0:
        return x
    if not _is_float(x.dtype):
        raise TypeError(f"dropout2d: expected a floating-point input, got dtype {x.dtype}")
    if p == 1.0:
        return x * 0.0
    return x * Tensor(_channel_mask(x.array, p))
