"""More activations with PyTorch's definitions: elu, gelu (exact and tanh), silu, mish, hardtanh, prelu.

All but ELU are compositions of existing differentiable ops, so every order of derivative
comes for free; ELU is a Function because its negative branch needs ``expm1`` (exp(x) - 1
loses all relative precision near 0), and its backward is written with Tensor ops.

>>> import minigan as mg
>>> gelu(mg.tensor([0.0, 1.0])).numpy().round(6).tolist()
[0.0, 0.841345]
"""
from __future__ import annotations

import math

from .. import backend
from ..autograd import Function, Tensor
from .activation import sigmoid, softplus, tanh
from .arith import exp, minimum, where
from .erf import erf

__all__ = ["elu", "gelu", "silu", "mish", "hardtanh", "prelu"]


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class ELU(Function):
    """x for x > 0, alpha * (exp(x) - 1) otherwise; the derivative alpha * exp(x) on the negative side."""

    def __init__(self, alpha: float):
        self.alpha = alpha

    def forward(self, x):
        xp = backend.get_array_module(x)
        negative = xp.expm1(xp.minimum(x, 0)) * x.dtype.type(self.alpha)
        return xp.where(x > 0, x, negative).astype(x.dtype, copy=False)

    def backward(self, gy):
        x = self.inputs[0]
        slope = where(x.array > 0, Tensor(x.xp.ones((), dtype=x.dtype)), exp(minimum(x, 0.0)) * self.alpha)
        return gy * slope


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """ELU elementwise, as ``torch.nn.functional.elu``: any shape in, the same shape out."""
    return ELU(float(alpha))(_as_tensor(input))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) with Phi the standard normal CDF, as ``torch.nn.functional.gelu``.

    approximate='none' uses 0.5 * (1 + erf(x / sqrt(2))); 'tanh' uses
    0.5 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))). Any shape in, the same shape out.
    """
    x = _as_tensor(input)
    if approximate == "none":
        return x * 0.5 * (erf(x * (1.0 / math.sqrt(2.0))) + 1.0)
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (tanh(inner) + 1.0)
    raise ValueError(f"gelu: approximate argument must be either 'none' or 'tanh', got {approximate!r}")


def silu(input: Tensor) -> Tensor:
    """x * sigmoid(x) (also called swish), as ``torch.nn.functional.silu``."""
    x = _as_tensor(input)
    return x * sigmoid(x)


def mish(input: Tensor) -> Tensor:
    """x * tanh(softplus(x)), as ``torch.nn.functional.mish``."""
    x = _as_tensor(input)
    return x * tanh(softplus(x))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """clamp(x, min_val, max_val) with PyTorch's gradient: 1 strictly inside, 0 elsewhere (bounds included)."""
    x = _as_tensor(input)
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got min_val={min_val}, "
                         f"max_val={max_val}")
    a = x.array
    inside = (a > min_val) & (a < max_val)
    clipped = Tensor(x.xp.clip(a, min_val, max_val).astype(a.dtype, copy=False))
    return where(inside, x, clipped)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, weight * x otherwise, as ``torch.nn.functional.prelu``.

    `weight` has one element (shared) or one per channel: dimension 1 of the input
    ((N, C, ...) input), or dimension 0 of a 1-D input.
    """
    x, w = _as_tensor(input), _as_tensor(weight)
    if w.ndim > 1:
        raise ValueError(f"prelu: weight must be 0-D or 1-D, got shape {w.shape}")
    count = w.numel()
    if count != 1:
        channels = 0 if x.ndim == 0 else x.shape[1] if x.ndim >= 2 else x.shape[0]
        if x.ndim == 0 or count != channels:
            raise ValueError(f"prelu: weight of shape {w.shape} has {count} parameters, but input of shape "
                             f"{x.shape} has {channels} channels (dimension 1, or 0 for 1-D input)")
        if x.ndim >= 2:
            w = w.reshape((count,) + (1,) * (x.ndim - 2))
    elif w.ndim == 1:
        w = w.reshape(())
    return where(x.array > 0, x, x * w)
