"""torch.nn.functional.pad: constant, reflect, replicate and circular padding, PyTorch's flat spec.

The spec lists the last dimension first: ``(left, right)`` pads W, ``(left, right, top,
bottom)`` pads W then H. Negative entries crop, in every mode. Constant padding is the
`shape.pad` op after a crop (a slice). The other modes are gathers along each padded
axis: output j of an axis padded by (before, after) reads input s = j - before, folded back
into [0, n) by the mode (reflect: -s and 2(n-1) - s, without repeating the edge;
replicate: the nearest edge; circular: the crops first, then s mod the size left). They run through `resample.Resample`,
whose adjoint adds each output's gradient back onto the input it came from, so the
gradients of every order are exact.

    pad(x, (1, 1, 2, 2), mode="reflect")      # (N, C, H, W) -> (N, C, H + 4, W + 2)
"""
from __future__ import annotations

import numbers

import numpy as np

from ..autograd import Tensor
from .resample import AxisPlan, Tap, resample
from .shape import clone, getitem, pad as _constant_pad

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")


def _source(mode: str, n: int, before: int, after: int) -> np.ndarray:
    s = np.arange(-before, n + after)
    if mode == "reflect":
        s = np.abs(s)
        return np.where(s > n - 1, 2 * (n - 1) - s, s)
    if mode == "replicate":
        return np.clip(s, 0, n - 1)
    # circular (PyTorch's order): crop first, then wrap around what is left
    start, stop = max(-before, 0), n - max(-after, 0)
    kept = np.arange(-max(before, 0), stop - start + max(after, 0))
    return start + np.mod(kept, stop - start)


def _check_spec(spec, x: Tensor) -> list:
    if not isinstance(spec, (tuple, list)) or not all(
            isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in spec):
        raise TypeError(f"pad: the padding must be a tuple of ints, got {spec!r}")
    spec = [int(p) for p in spec]
    if len(spec) % 2:
        raise ValueError(f"pad: padding length must be divisible by 2, got {tuple(spec)}")
    if len(spec) // 2 > x.ndim:
        raise ValueError(f"pad: padding length should be at most two times the input dimension, but got padding "
                         f"length {len(spec)} and input of shape {x.shape}")
    return spec


def _pairs(spec: list, ndim: int) -> list:
    """[(axis, before, after), ...] for the padded axes, last axis first."""
    return [(ndim - 1 - k, spec[2 * k], spec[2 * k + 1]) for k in range(len(spec) // 2)]


def _constant(x: Tensor, pairs: list, value: float) -> Tensor:
    crop = [slice(None)] * x.ndim
    widths = [(0, 0)] * x.ndim
    cropped = False
    for axis, before, after in pairs:
        n = x.shape[axis]
        start, stop = max(-before, 0), n - max(-after, 0)
        if stop < start:
            raise ValueError(f"pad: negative padding ({before}, {after}) crops more than the {n} entries of "
                             f"dimension {axis} (input shape {x.shape})")
        if start or stop != n:
            crop[axis] = slice(start, stop)
            cropped = True
        widths[axis] = (max(before, 0), max(after, 0))
    if cropped:
        x = getitem(x, tuple(crop))
    return _constant_pad(x, widths, value)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad `input` by PyTorch's flat spec (last dimension first), as ``torch.nn.functional.pad``.

    mode 'constant' (with `value`, default 0) pads any trailing dimensions; 'reflect',
    'replicate' and 'circular' pad the last 1, 2 or 3 dimensions of an input with one or
    two more (a batch and/or channel). Negative padding crops. Reflect needs each pad
    smaller than its dimension, circular at most its dimension.
    ``pad(x, (1, 1, 1, 1), mode="replicate")`` grows (N, C, H, W) to (N, C, H + 2, W + 2).
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    if mode not in _MODES:
        raise NotImplementedError(f"pad: unrecognised padding mode {mode!r} (one of {', '.join(_MODES)})")
    spec = _check_spec(pad, x)
    pairs = _pairs(spec, x.ndim)
    if mode == "constant":
        return _constant(x, pairs, 0.0 if value is None else float(value))
    if value is not None:
        raise ValueError(f"pad: padding mode {mode!r} doesn't take a value argument, got value={value}")
    k = len(spec) // 2
    if k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"pad: {mode} padding of size {len(spec)} is not supported for a {x.ndim}-D input "
                                  f"(shape {x.shape}); padding size 2 takes 2-D or 3-D input, 4 takes 3-D or 4-D, "
                                  f"6 takes 4-D or 5-D")
    plans = []
    for axis, before, after in pairs:
        n = x.shape[axis]
        kept = n - max(-before, 0) - max(-after, 0)
        if n + before + after < (0 if mode == "circular" else 1):
            raise ValueError(f"pad: padding ({before}, {after}) leaves an output size of {n + before + after} for "
                             f"dimension {axis} (input shape {x.shape})")
        if mode == "reflect" and (before >= n or after >= n):
            raise ValueError(f"pad: reflect padding ({before}, {after}) must be smaller than dimension {axis} "
                             f"of the input (size {n}, input shape {x.shape})")
        if mode == "circular" and (max(before, 0) > kept or max(after, 0) > kept):
            raise ValueError(f"pad: circular padding ({before}, {after}) must be at most the {kept} entries left "
                             f"of dimension {axis} (input shape {x.shape}): it would wrap around more than once")
        if before or after:
            plans.append(AxisPlan(axis, n, (Tap(_source(mode, n, before, after)),)))
    return resample(x, plans) if plans else clone(x)
