"""Reductions over any axes, with keepdims: sum, mean, var, max, min, logsumexp."""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from .arith import exp, log
from .shape import broadcast_to, reshape


def _axes(axis, ndim: int, op: str) -> tuple:
    """Normalise None/int/tuple to a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -(ndim or 1) <= a < (ndim or 1):  # a 0-d tensor takes 0 and -1, as in PyTorch
            raise ValueError(f"{op}: axis {a} is out of range for a tensor of {ndim} dimensions")
        out.append(int(a) % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(out)) if ndim else ()


def _kept_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Function):
    def __init__(self, axes: tuple, keepdims: bool):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        self.source = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        if not self.keepdims:
            gy = reshape(gy, _kept_shape(self.source, self.axes))
        return broadcast_to(gy, self.source)


def sum(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return Sum(_axes(axis, x.ndim, "sum"), keepdims)(x)


def mean(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    axes = _axes(axis, x.ndim, "mean")
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    return Sum(axes, keepdims)(x) * (1.0 / count)


def var(x: Tensor, axis=None, keepdims: bool = False, unbiased: bool = False, correction: int | None = None) -> Tensor:
    """Variance; population variance by default (correction=0), as BatchNorm uses it."""
    axes = _axes(axis, x.ndim, "var")
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    ddof = correction if correction is not None else (1 if unbiased else 0)
    if count - ddof <= 0:
        raise ValueError(f"var: {count} elements over axes {axes} are too few for correction {ddof}")
    centred = x - mean(x, axes, keepdims=True)
    return Sum(axes, keepdims)(centred * centred) * (1.0 / (count - ddof))


class _Extreme(Function):
    """max/min: the gradient goes to the selected elements, split evenly among ties."""

    def __init__(self, axes: tuple, keepdims: bool, largest: bool):
        self.axes, self.keepdims, self.largest = axes, keepdims, largest

    def forward(self, x):
        reduce = x.max if self.largest else x.min
        self.save_outputs()
        return reduce(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        x, = self.inputs
        y = self.outputs[0].data
        shape = _kept_shape(x.shape, self.axes)
        mask = x.data == y.reshape(shape)
        weight = mask / mask.sum(axis=self.axes, keepdims=True)
        g = reshape(gy, shape) if not self.keepdims else gy
        return broadcast_to(g, x.shape) * Tensor(weight.astype(x.dtype, copy=False))


def max(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    if x.size == 0:
        raise ValueError(f"max: empty tensor of shape {x.shape}")
    return _Extreme(_axes(axis, x.ndim, "max"), keepdims, True)(x)


def min(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    if x.size == 0:
        raise ValueError(f"min: empty tensor of shape {x.shape}")
    return _Extreme(_axes(axis, x.ndim, "min"), keepdims, False)(x)


def logsumexp(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) shifted by the (constant) max, so it never overflows."""
    axes = _axes(axis, x.ndim, "logsumexp")
    shift = x.data.max(axis=axes, keepdims=True)
    xp = backend.get_array_module(shift)
    shift = xp.where(xp.isfinite(shift), shift, 0)
    shifted = x - Tensor(shift)
    out = log(sum(exp(shifted), axes, keepdims=True)) + Tensor(shift)
    return out if keepdims else reshape(out, tuple(s for i, s in enumerate(out.shape) if i not in axes))


def argmax(x: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor:
    return Tensor(x.data.argmax(axis=axis, keepdims=keepdims) if axis is not None else x.data.argmax())


def argmin(x: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor:
    return Tensor(x.data.argmin(axis=axis, keepdims=keepdims) if axis is not None else x.data.argmin())
