"""Separable resampling: a linear map applied along one axis at a time, by gathers.

Interpolation (nearest, bilinear), adaptive average pooling and the non-constant paddings
(reflect, replicate, circular) all have the same shape: along each resized axis, output
position o is a weighted sum of a few input positions. An `AxisPlan` lists those terms as
*taps*: tap k says "output o takes weight[o] * input[index[o]]", optionally only for some
outputs. The forward is one ``take`` (and a scale) per tap per axis, on NumPy or CuPy alike.

The adjoint scatters each tap back. A tap may send several outputs to one input (nearest
upsampling repeats rows), so the scatter is split into groups in which every input index
occurs once: the k-th occurrences of each index form group k, and a fancy-index ``+=`` is
exact within a group (no ``np.add.at``). `Resample` and `ResampleAdjoint` are each other's
backward, so gradients of every order flow through them.

    plan = (AxisPlan(axis=3, size_in=4, taps=(Tap(np.array([0, 0, 1, 1, 2, 2, 3, 3])),)),)
    y = Resample(plan)(x)            # x (N, C, H, 4) -> (N, C, H, 8), nearest along W
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import backend
from ..autograd import Function

__all__ = ["Tap", "AxisPlan", "Resample", "ResampleAdjoint", "resample"]


class Tap(NamedTuple):
    """output[outputs[j]] += weight[j] * input[index[j]]; `outputs` None means every output, in order."""
    index: np.ndarray
    weight: np.ndarray | None = None
    outputs: np.ndarray | None = None


class AxisPlan(NamedTuple):
    """The taps along one axis; the output length is `size_out`, the input length `size_in`."""
    axis: int
    size_in: int
    taps: tuple
    size_out: int = -1

    def out_len(self) -> int:
        return self.size_out if self.size_out >= 0 else len(self.taps[0].index)


def _on(array_np, like):
    """A host index/weight array on `like`'s device."""
    if type(like) is np.ndarray:
        return array_np
    return backend.to_device(array_np, backend.device_of(like))


def _along(axis: int, ndim: int, key) -> tuple:
    return (slice(None),) * axis + (key,) + (slice(None),) * (ndim - axis - 1)


def _weight_view(weight, a, axis: int):
    shape = [1] * a.ndim
    shape[axis] = -1
    return _on(weight.astype(a.dtype, copy=False), a).reshape(shape)


def _gather(a, plan: AxisPlan):
    xp = backend.get_array_module(a)
    axis, out = plan.axis, None
    for tap in plan.taps:
        part = xp.take(a, _on(tap.index, a), axis=axis)
        if tap.weight is not None:
            part = part * _weight_view(tap.weight, a, axis)
        if tap.outputs is None:
            out = part if out is None else out + part
        else:
            if out is None:
                shape = list(a.shape)
                shape[axis] = plan.out_len()
                out = xp.zeros(shape, dtype=a.dtype)
            out[_along(axis, a.ndim, _on(tap.outputs, a))] += part
    return out


def _unique_groups(index: np.ndarray) -> list:
    """[(positions, index[positions]), ...] with no index repeated inside a group."""
    order = np.argsort(index, kind="stable")
    ordered = index[order]
    first = np.searchsorted(ordered, ordered, side="left")
    rank = np.arange(len(index)) - first
    return [(order[rank == k], ordered[rank == k]) for k in range(int(rank.max()) + 1 if len(index) else 0)]


def _scatter(g, plan: AxisPlan):
    xp = backend.get_array_module(g)
    axis = plan.axis
    shape = list(g.shape)
    shape[axis] = plan.size_in
    out = xp.zeros(shape, dtype=g.dtype)
    for tap in plan.taps:
        part = g if tap.outputs is None else xp.take(g, _on(tap.outputs, g), axis=axis)
        if tap.weight is not None:
            part = part * _weight_view(tap.weight, g, axis)
        for positions, sources in _unique_groups(tap.index):
            whole = len(positions) == part.shape[axis] and np.array_equal(positions, np.arange(len(positions)))
            piece = part if whole else xp.take(part, _on(positions, part), axis=axis)
            out[_along(axis, g.ndim, _on(sources, g))] += piece
    return out


class Resample(Function):
    """y = the separable map of `plans`, applied axis by axis in the given order."""

    def __init__(self, plans: tuple):
        self.plans = tuple(plans)

    def forward(self, x):
        for plan in self.plans:
            x = _gather(x, plan)
        return x

    def backward(self, gy):
        return ResampleAdjoint(self.plans)(gy)


class ResampleAdjoint(Function):
    """The transpose of `Resample`: scatters each axis back, in reverse order."""

    def __init__(self, plans: tuple):
        self.plans = tuple(plans)

    def forward(self, gy):
        for plan in reversed(self.plans):
            gy = _scatter(gy, plan)
        return gy

    def backward(self, ggx):
        return Resample(self.plans)(ggx)


def resample(x, plans):
    """Apply `plans` (a sequence of `AxisPlan`) to Tensor `x`; differentiable to any order."""
    return Resample(tuple(plans))(x)
