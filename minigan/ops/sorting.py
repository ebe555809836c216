"""Order statistics: sort, argsort, topk, median, amax, amin.

The order is found on the raw array (outside the graph, int64 indices) and the values are then
gathered from x with `Gather`, so the gradient of a sorted value goes back to where it came from
(each position once: a sort's indices are a permutation). Descending sorts stay stable (ties keep
their input order) and put NaN first, as torch does.

>>> import minigan as mg
>>> mg.sort(mg.tensor([3.0, 1.0, 2.0]), descending=True)
sort(values=tensor([3., 2., 1.]), indices=tensor([0, 2, 1]))
"""
from __future__ import annotations

import numpy as np

from .. import backend, return_types
from ..autograd import Function, Tensor
from .dims import normalize_dim, normalize_dims
from .indexing import Gather
from .reduce import max as reduce_max, min as reduce_min
from .shape import reshape, squeeze

__all__ = ["sort", "argsort", "topk", "median", "amax", "amin"]


def _order(arr, axis: int, descending: bool):
    """Stable int64 indices that sort `arr` along `axis`; descending puts NaN first (NaN is largest)."""
    xp = backend.get_array_module(arr)
    if not descending:
        return xp.argsort(arr, axis=axis, kind="stable").astype(np.int64, copy=False)
    # a stable descending order: sort an order-reversing key (-x for floats, ~x for integers and bools)
    floating = arr.dtype.kind in "fc"
    key = -arr if floating else xp.invert(arr)
    order = xp.argsort(key, axis=axis, kind="stable")
    if floating:
        nan = xp.take_along_axis(xp.isnan(arr), order, axis=axis)
        if bool(nan.any()):  # NaN is largest: move it to the front, keeping both groups' order
            order = xp.take_along_axis(order, xp.argsort(~nan, axis=axis, kind="stable"), axis=axis)
    return order.astype(np.int64, copy=False)


def _as_1d(x: Tensor) -> Tensor:
    return reshape(x, (1,)) if x.ndim == 0 else x


def _back_to(x: Tensor, like: Tensor) -> Tensor:
    return reshape(x, ()) if like.ndim == 0 else x


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):  # noqa: A002
    """Values sorted along `dim` and the int64 indices they came from, as ``return_types.sort``.

    The sort is always stable (ties keep their order), so `stable` changes nothing; NaN sorts as
    the largest value. ``values, indices = mg.sort(x, dim=1, descending=True)``.
    """
    axis = normalize_dim("sort", dim, input.ndim)
    x = _as_1d(input)
    order = _order(x.array, axis, descending)
    values = Gather(axis, order, distinct=True)(x)
    return return_types.sort(_back_to(values, input), _back_to(Tensor(order), input))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:  # noqa: A002
    """The int64 indices that sort input along `dim` (``sort(...).indices``), outside the graph."""
    axis = normalize_dim("argsort", dim, input.ndim)
    order = _order(_as_1d(input).array, axis, descending)
    return _back_to(Tensor(order), input)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The `k` largest (or, with ``largest=False``, smallest) values along `dim` and their int64
    indices, as ``return_types.topk``; always in sorted order. ``mg.topk(logits, 5).indices``."""
    axis = normalize_dim("topk", dim, input.ndim)
    x = _as_1d(input)
    size = x.shape[axis]
    if not 0 <= k <= size:
        raise RuntimeError(f"topk: selected index k out of range (k={k} for dimension {axis} of size {size} "
                           f"in a tensor of shape {input.shape})")
    order = _order(x.array, axis, largest)[(slice(None),) * axis + (slice(0, k),)]
    values = Gather(axis, order, distinct=True)(x)
    return return_types.topk(_back_to(values, input), _back_to(Tensor(order), input))


class _MedianAll(Function):
    """The lower median of all elements; ties share the gradient evenly (as torch's median())."""

    def forward(self, x):
        xp = backend.get_array_module(x)
        flat = xp.sort(x.reshape(-1))
        value = flat[(flat.size - 1) // 2]
        if x.dtype.kind == "f" and bool(xp.isnan(flat[-1])):
            value = flat[-1]  # NaN sorts last; any NaN makes the median NaN (torch's rule)
        self.save_outputs()
        return xp.asarray(value)

    def backward(self, gy):
        x, = self.inputs
        mask = x.array == self.outputs[0].array
        weight = mask / max(int(mask.sum()), 1)
        return gy * Tensor(weight.astype(x.dtype, copy=False))


def median(input: Tensor, dim: int | None = None, keepdim: bool = False):  # noqa: A002
    """The lower median (for an even count, the smaller of the two middle values, as torch).

    With no `dim`, of all elements: a 0-d tensor. With `dim`: ``return_types.median`` of values and
    int64 indices along it (the gradient goes to the element each index names).
    ``mg.median(x)``, ``x.median(dim=0).values``.
    """
    if input.numel() == 0:
        raise RuntimeError(f"median: cannot compute the median of an empty tensor of shape {input.shape}")
    if dim is None:
        return _MedianAll()(input)
    axis = normalize_dim("median", dim, input.ndim)
    x = _as_1d(input)
    arr = x.array
    order = _order(arr, axis, False)
    middle = (x.shape[axis] - 1) // 2
    pick = order[(slice(None),) * axis + (slice(middle, middle + 1),)]
    if arr.dtype.kind == "f":
        xp = backend.get_array_module(arr)
        nan = xp.isnan(arr)
        if bool(nan.any()):  # a NaN anywhere along dim makes that median NaN; its index is the first NaN's
            first_nan = xp.expand_dims(xp.argmax(nan, axis=axis), axis)
            pick = xp.where(xp.expand_dims(nan.any(axis=axis), axis), first_nan, pick).astype(np.int64)
    values = Gather(axis, pick, distinct=True)(x)
    if not keepdim:
        values, pick = squeeze(values, axis), pick.squeeze(axis)
    return return_types.median(_back_to(values, input), _back_to(Tensor(pick), input))


def _extreme(op: str, reduce, input: Tensor, dim, keepdim: bool) -> Tensor:
    axes = None if dim is None or dim == () or dim == [] else normalize_dims(op, dim, input.ndim)
    if input.numel() == 0:
        raise RuntimeError(f"{op}: cannot reduce an empty tensor of shape {input.shape}")
    if input.ndim == 0:
        return input
    return reduce(input, axis=axes, keepdims=keepdim)


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:  # noqa: A002 - torch's names
    """The largest values over `dim` (an int or a tuple; () means all), without indices; ties share
    the gradient evenly, as torch.amax. ``mg.amax(x, dim=(1, 2), keepdim=True)``."""
    return _extreme("amax", reduce_max, input, dim, keepdim)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:  # noqa: A002 - torch's names
    """The smallest values over `dim` (() means all); ties share the gradient evenly, as torch.amin."""
    return _extreme("amin", reduce_min, input, dim, keepdim)
