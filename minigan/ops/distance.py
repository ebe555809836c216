"""normalize, cosine_similarity and pairwise_distance with torch.nn.functional's definitions.

Compositions of `norm`, division and sums, so they are differentiable to any order.

>>> import minigan as mg
>>> normalize(mg.tensor([[3.0, 4.0]])).tolist()
[[0.6, 0.8]]
"""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor
from .arith import maximum
from .reduce import norm, sum as _sum

__all__ = ["normalize", "cosine_similarity", "pairwise_distance"]


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(||x||_p, eps) along `dim`, as ``torch.nn.functional.normalize``; shape unchanged."""
    x = _as_tensor(input)
    denominator = maximum(norm(x, p, dim, keepdim=True), eps)
    return x / denominator


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """||x|| along `dim` with its value raised to eps, the gradient still the norm's (torch clamps it under no_grad)."""
    n = norm(x, 2, dim, keepdim=True)
    lifted = n.xp.maximum(n.array, eps) - n.array
    return n + Tensor(lifted) if bool((lifted != 0).any()) else n


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1/||x1|| * x2/||x2||) along `dim`, as ``torch.nn.functional.cosine_similarity``.

    x1 and x2 broadcast together; the result drops `dim`. Each norm is raised to at
    least eps, as PyTorch does, so zero vectors give 0.
    """
    a, b = _as_tensor(x1), _as_tensor(x2)
    if a.shape != b.shape:
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ValueError(f"cosine_similarity: x1 of shape {a.shape} and x2 of shape {b.shape} do not "
                             f"broadcast") from None
        a, b = a.expand(*shape), b.expand(*shape)
    ndim = max(a.ndim, 1)
    if not -ndim <= dim < ndim:
        raise IndexError(f"cosine_similarity: dim {dim} is out of range for inputs of shape {a.shape}")
    return _sum((a / _clamped_norm(a, dim, eps)) * (b / _clamped_norm(b, dim, eps)), dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dimension, as ``torch.nn.functional.pairwise_distance``."""
    a, b = _as_tensor(x1), _as_tensor(x2)
    return norm(a - b + eps, p, -1, keepdim=keepdim)
