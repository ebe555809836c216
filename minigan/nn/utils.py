"""Gradient clipping and parameter/vector conversion, as torch.nn.utils.

Clipping replaces each ``p.grad`` with a scaled copy rather than writing into it:
a gradient array may be shared with another tensor.
"""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from .. import backend
from ..autograd import Tensor, no_grad
from ..ops.shape import concat, reshape
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "parameters_to_vector",
           "vector_to_parameters", "spectral_norm", "remove_spectral_norm", "weight_norm", "remove_weight_norm"]


def _as_list(parameters) -> list:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def get_total_norm(tensors: Iterable, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """The norm of all the given arrays' elements together (each tensor's norm, then the norm of those)."""
    arrays = [t.array if isinstance(t, Tensor) else t for t in _as_list(tensors)]
    arrays = [a for a in arrays if a is not None]
    norm_type = float(norm_type)
    if not arrays:
        return Tensor(np.asarray(0.0, dtype=np.float32))
    xp = backend.get_array_module(arrays[0])
    dtype = arrays[0].dtype
    if norm_type == math.inf:
        per = [xp.abs(a).max() if a.size else xp.asarray(0, dtype=dtype) for a in arrays]
        total = xp.max(xp.stack([xp.asarray(v, dtype=dtype) for v in per]))
    elif norm_type == 2.0:
        per = []
        for a in arrays:
            flat = a.reshape(-1)
            per.append(xp.sqrt(xp.dot(flat, flat)) if xp is np else xp.sqrt((flat * flat).sum()))
        stacked = xp.stack([xp.asarray(v, dtype=dtype) for v in per])
        total = xp.sqrt((stacked * stacked).sum())
    else:
        p = norm_type
        per = [(xp.abs(a) ** p).sum() ** (1.0 / p) if p != 0 else xp.asarray((a != 0).sum(), dtype=dtype)
               for a in arrays]
        stacked = xp.stack([xp.asarray(v, dtype=dtype) for v in per])
        total = (stacked ** p).sum() ** (1.0 / p) if p != 0 else stacked.sum()
    total = xp.asarray(total, dtype=dtype)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                           "so it cannot be clipped. To disable this error and scale the gradients by the "
                           "non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor(total)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scale all gradients together so their joint norm is at most `max_norm`; returns the norm before clipping.

    As PyTorch: ``coef = min(max_norm / (total_norm + 1e-6), 1)`` multiplies every gradient.
    """
    params = [p for p in _as_list(parameters) if p.grad is not None]
    if not params:
        return Tensor(np.asarray(0.0, dtype=np.float32))
    total = get_total_norm([p.grad for p in params], norm_type, error_if_nonfinite)
    coef = float(max_norm) / (float(total.item()) + 1e-6)
    if coef < 1.0 or not math.isfinite(coef):
        with no_grad():
            for p in params:
                g = p.grad.array
                p.grad = Tensor(g * g.dtype.type(coef))
    return total


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """Deprecated alias of `clip_grad_norm_`, as in PyTorch."""
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value]."""
    v = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            g = p.grad.array
            p.grad = Tensor(backend.get_array_module(g).clip(g, -v, v).astype(g.dtype, copy=False))


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    params = _as_list(parameters)
    if not params:
        raise ValueError("parameters_to_vector: no parameters given")
    return concat([reshape(p, (-1,)) for p in params])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of the 1-D `vec` into the parameters' arrays (in place)."""
    data = vec.array if isinstance(vec, Tensor) else vec
    if data.ndim != 1:
        raise TypeError(f"expected a 1-D vector, got shape {tuple(data.shape)}")
    params = _as_list(parameters)
    total = sum(p.numel() for p in params)
    if total != data.size:
        raise ValueError(f"vector_to_parameters: vector has {data.size} elements, the parameters {total}")
    offset = 0
    for p in params:
        n = p.numel()
        p.array[...] = data[offset:offset + n].reshape(p.shape)
        offset += n
