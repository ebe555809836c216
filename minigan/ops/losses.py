"""The fused loss Functions: BCE-with-logits, BCE on probabilities and MSE.

The losses a GAN spends its time in get one forward over arrays and a backward in
Tensor ops (so gradient penalties can differentiate through them). BCE-with-logits is
``max(x, 0) - x * t + log1p(exp(-|x|))``: finite for logits of any size, with gradient
``sigmoid(x) - t``. The public functions with PyTorch's signatures (argument checks,
weights, reductions) are `minigan.nn.functional`'s: ``F.mse_loss(x, t)`` calls
``MSE("mean")(x, t)``.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from .activation import sigmoid
from .arith import clip, log
from .shape import broadcast_to

__all__ = ["BCEWithLogits", "BCE", "MSE"]


def _reduce_array(arr, reduction: str):
    if reduction == "none":
        return arr
    total = arr.sum()
    if reduction == "mean":
        total = total / arr.size if arr.size else total * np.nan
    return backend.get_array_module(arr).asarray(total, dtype=arr.dtype)


def _spread(gy: Tensor, shape: tuple, reduction: str, size: int) -> Tensor:
    """The upstream gradient of a reduced loss, as a full-shape factor (a Tensor op)."""
    if reduction == "none":
        return gy
    if reduction == "mean":
        gy = gy * (1.0 / max(size, 1))
    return broadcast_to(gy, shape)


class BCEWithLogits(Function):
    """Fused loss(x, t) = max(x, 0) - x * t + log1p(exp(-|x|)), reduced; d/dx = sigmoid(x) - t."""

    def __init__(self, reduction: str):
        self.reduction = reduction

    def forward(self, x, t):
        xp = backend.get_array_module(x)
        loss = xp.maximum(x, 0)
        loss -= x * t
        loss += xp.log1p(xp.exp(-xp.abs(x)))
        return _reduce_array(loss, self.reduction)

    def backward(self, gy):
        x, t = self.inputs
        g = _spread(gy, x.shape, self.reduction, x.numel())
        gx = (sigmoid(x) - t) * g if self.needs_input_grad[0] else None
        gt = -x * g if self.needs_input_grad[1] else None
        return gx, gt


class BCE(Function):
    """-(t log p + (1 - t) log(1 - p)) with each log clamped to >= -100, as PyTorch."""

    def __init__(self, reduction: str):
        self.reduction = reduction

    def forward(self, p, t):
        xp = backend.get_array_module(p)
        with np.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(p), -100)
            log_q = xp.maximum(xp.log1p(-p), -100)
        loss = log_q - t * (log_q - log_p)          # = t log p + (1 - t) log(1 - p)
        xp.negative(loss, out=loss)
        return _reduce_array(loss.astype(p.dtype, copy=False), self.reduction)

    def backward(self, gy):
        p, t = self.inputs
        g = _spread(gy, p.shape, self.reduction, p.numel())
        gp = gt = None
        if self.needs_input_grad[0]:
            # PyTorch: (p - t) / max(p (1 - p), 1e-12)
            gp = (p - t) / clip((1.0 - p) * p, 1e-12) * g
        if self.needs_input_grad[1]:
            gt = (clip(log(1.0 - p), -100.0) - clip(log(p), -100.0)) * g
        return gp, gt


class MSE(Function):
    """Fused (x - t)^2, reduced; backward 2 (x - t) gy."""

    def __init__(self, reduction: str):
        self.reduction = reduction

    def forward(self, x, t):
        d = x - t
        if self.reduction == "none":
            d *= d
            return d
        xp = backend.get_array_module(d)
        flat = d.reshape(-1)
        total = np.dot(flat, flat) if xp is np else (flat * flat).sum()
        if self.reduction == "mean":
            total = total / d.size if d.size else total * np.nan
        return xp.asarray(total, dtype=d.dtype)

    def backward(self, gy):
        x, t = self.inputs
        g = _spread(gy, x.shape, self.reduction, x.numel()) * 2.0
        d = x - t
        gx = d * g if self.needs_input_grad[0] else None
        gt = -(d * g) if self.needs_input_grad[1] else None
        return gx, gt
