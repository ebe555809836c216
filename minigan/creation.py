"""Tensor factories: tensor, zeros, ones, full, arange, rand, randn (and their *_like)."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import backend
from .autograd import DEFAULT_DTYPE, Tensor
from .backend import Device


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def tensor(data: Any, requires_grad: bool = False, device: "str | Device | None" = None, dtype=None) -> Tensor:
    """A new leaf tensor. Python floats become float32; NumPy arrays keep their dtype."""
    if isinstance(data, Tensor):
        data = data.array
    xp_in = backend.get_array_module(data)
    if xp_in is np and not isinstance(data, np.ndarray):
        arr = np.asarray(data)
        if dtype is None and arr.dtype == np.float64:
            arr = arr.astype(DEFAULT_DTYPE)
    else:
        arr = data
    if dtype is not None:
        arr = arr.astype(dtype)
    if device is not None:
        arr = backend.to_device(arr, device)
    if arr is data:
        arr = arr.copy()  # a new tensor never aliases the caller's array
    return Tensor(arr, requires_grad=requires_grad)


def _fill(maker, size, dtype, device, requires_grad) -> Tensor:
    dev = Device(device)
    xp = dev.xp
    with dev.scope():
        arr = maker(xp, _shape(size), np.dtype(dtype or DEFAULT_DTYPE))
    return Tensor(arr, requires_grad=requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros; `size` as ints or one tuple, float32 unless `dtype` says otherwise."""
    return _fill(lambda xp, s, d: xp.zeros(s, d), size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones; `size` as ints or one tuple, float32 unless `dtype` says otherwise."""
    return _fill(lambda xp, s, d: xp.ones(s, d), size, dtype, device, requires_grad)


def full(size, fill_value: float, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape `size` (an int or a tuple) filled with `fill_value`, float32 by default."""
    return _fill(lambda xp, s, d: xp.full(s, fill_value, d), (size,) if isinstance(size, int) else tuple(size),
                 dtype, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values start, start+step, ... below end (PyTorch's arange): int64 for ints, else float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = np.int64 if all(isinstance(v, (int, np.integer)) for v in (start, end, step)) else DEFAULT_DTYPE
    dev = Device(device)
    xp = dev.xp
    with dev.scope():
        arr = xp.arange(start, end, step, dtype=dtype)
    return Tensor(arr, requires_grad=requires_grad)


def _sample(method: str, size, dtype, device, requires_grad) -> Tensor:
    dev = Device(device)
    dt = np.dtype(dtype or DEFAULT_DTYPE)
    # both generators draw float32 or float64 natively; other dtypes are cast from float64
    native = dt if dt in (np.float32, np.float64) else np.dtype(np.float64)
    rng = backend.rng_for(dev)
    with dev.scope():
        arr = getattr(rng, method)(_shape(size), dtype=native).astype(dt, copy=False)
    return Tensor(arr, requires_grad=requires_grad)


def randn(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples of shape `size` from minigan's seeded generator (see manual_seed)."""
    return _sample("standard_normal", size, dtype, device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) of shape `size` from minigan's seeded generator."""
    return _sample("random", size, dtype, device, requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=dtype or t.dtype, device=t.device, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=dtype or t.dtype, device=t.device, requires_grad=requires_grad)


def randn_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return randn(*t.shape, dtype=t.dtype, device=t.device, requires_grad=requires_grad)
