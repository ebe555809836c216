"""Running and whole products and sums along a dimension: cumsum, cumprod, prod.

cumsum's adjoint is a cumsum from the other end, so `CumSum` carries a direction and its
backward is itself reversed. Products divide by x in their gradients only where no element is
zero; with zeros they take the exact (zero-safe) route, as torch does.

>>> import minigan as mg
>>> x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> mg.cumprod(x, dim=0).sum().backward(); x.grad
tensor([9., 4., 2.])
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from .arith import where
from .dims import normalize_dim
from .reduce import sum as reduce_sum
from .shape import broadcast_to, concat, getitem, permute, reshape, unsqueeze

__all__ = ["cumsum", "cumprod", "prod"]


def _reverse(array, axis: int):
    return array[(slice(None),) * axis + (slice(None, None, -1),)]


class CumSum(Function):
    """Running sums along `axis`, from the start or (`reverse`) from the end."""

    def __init__(self, axis: int, reverse: bool = False):
        self.axis, self.reverse = axis, reverse

    def forward(self, x):
        xp = backend.get_array_module(x)
        if self.reverse:
            return _reverse(xp.cumsum(_reverse(x, self.axis), axis=self.axis), self.axis)
        return xp.cumsum(x, axis=self.axis)

    def backward(self, gy):
        return CumSum(self.axis, not self.reverse)(gy)


class CumProd(Function):
    """Running products along `axis`."""

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, x):
        self.save_outputs()
        return backend.get_array_module(x).cumprod(x, axis=self.axis)

    def backward(self, gy):
        x, = self.inputs
        if not bool((x.array == 0).any()):
            # d y_i / d x_j = y_i / x_j for i >= j: a reversed running sum of gy * y, over x
            return CumSum(self.axis, reverse=True)(gy * self.outputs[0]) / x
        return _cumprod_grad_with_zeros(x, gy, self.axis)


def _cumprod_grad_with_zeros(x: Tensor, gy: Tensor, axis: int) -> Tensor:
    """sum over i >= j of gy_i * prod(x_k for k <= i, k != j), for every j: the running products of
    x with x_j set to 1, one copy per j on a new last axis (quadratic in the length of `axis`,
    taken only when x has zeros, where dividing by x is not possible)."""
    xp = x.xp
    n = x.shape[axis]
    pair_shape = (1,) * axis + (n,) + (1,) * (x.ndim - axis - 1) + (n,)  # [..., i, ..., j]
    rows = broadcast_to(unsqueeze(x, x.ndim), x.shape + (n,))
    at_j = xp.broadcast_to(xp.eye(n, dtype=bool).reshape(pair_shape), rows.shape)
    rows = where(at_j, Tensor(xp.ones((), dtype=x.dtype)), rows)
    running = CumProd(axis)(rows)  # running[..., i, ..., j] = prod(x_k, k <= i, k != j)
    later = Tensor(xp.tril(xp.ones((n, n), dtype=x.dtype)).reshape(pair_shape))  # i >= j
    summed = reduce_sum(running * later * unsqueeze(gy, x.ndim), axis)  # [..., j] without axis i
    order = list(range(summed.ndim - 1))
    order.insert(axis, summed.ndim - 1)
    return permute(summed, order)


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:  # noqa: A002 - torch's names
    """Running sums along `dim`: ``cumsum(x, 0)`` of [1, 2, 3] is [1, 3, 6]; integers and bools sum as int64."""
    axis = normalize_dim("cumsum", dim, input.ndim)
    x = _promote(input, dtype)
    if x.ndim == 0:
        return CumSum(0)(reshape(x, (1,))).reshape(())
    return CumSum(axis)(x)


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:  # noqa: A002 - torch's names
    """Running products along `dim`: ``cumprod(x, 0)`` of [1, 2, 3] is [1, 2, 6]; exact gradients at zeros."""
    axis = normalize_dim("cumprod", dim, input.ndim)
    x = _promote(input, dtype)
    if x.ndim == 0:
        return CumProd(0)(reshape(x, (1,))).reshape(())
    return CumProd(axis)(x)


def _promote(x: Tensor, dtype) -> Tensor:
    """x cast to `dtype`, or integers and bools to int64 (torch's accumulation type) when none is given."""
    if dtype is not None:
        return x.astype(dtype)
    if x.dtype.kind in "biu" and x.dtype != np.int64:
        return Tensor(x.array.astype(np.int64))
    return x


class Prod(Function):
    """The product along `axis`; its gradient is the product of all the others, computed zero-safe
    as (running product before j) * (running product after j)."""

    def __init__(self, axis: int, keepdims: bool):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        return x.prod(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        x, = self.inputs
        axis = self.axis
        if not self.keepdims:
            gy = unsqueeze(gy, axis)
        ones = Tensor(x.xp.ones(x.shape[:axis] + (1,) + x.shape[axis + 1:], dtype=x.dtype))
        drop_last = (slice(None),) * axis + (slice(None, -1),)
        before = concat([ones, getitem(cumprod(x, axis), drop_last)], axis)
        flipped = getitem(x, (slice(None),) * axis + (slice(None, None, -1),))
        after_flipped = concat([ones, getitem(cumprod(flipped, axis), drop_last)], axis)
        after = getitem(after_flipped, (slice(None),) * axis + (slice(None, None, -1),))
        return broadcast_to(gy, x.shape) * before * after


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    """The product of all elements, or along `dim` (one dimension, as torch.prod): ``prod(x, 1, keepdim=True)``.

    Integers and bools multiply as int64. The gradient is exact where elements are zero.
    """
    x = _promote(input, dtype)
    if dim is None:
        flat = reshape(x, (x.numel(),))
        return Prod(0, False)(flat)
    axis = normalize_dim("prod", dim, x.ndim)
    if x.ndim == 0:
        return x
    return Prod(axis, bool(keepdim))(x)
