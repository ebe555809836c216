"""minigan.nn.functional: stateless layers, activations and losses with PyTorch's signatures.

``import minigan.nn.functional as F`` and call ``F.linear``, ``F.conv2d``,
``F.batch_norm``, ``F.dropout``, ``F.leaky_relu``, ``F.binary_cross_entropy_with_logits``
... exactly as in PyTorch. Everything returns Tensors recorded in the graph and
is differentiable to any order. The differentiable Functions live in `minigan.ops`
(linear, embedding, conv, pool, normalization, losses); this module re-exports them
and adds PyTorch's argument conventions.
"""
from __future__ import annotations

import numbers
import warnings

from ..autograd import Tensor
from ..ops import activation as _act
from ..ops.arith import where
from ..ops.conv import conv2d, conv_transpose2d
from ..ops.dropout import dropout
from ..ops.dtypes import check_same_dtype
from ..ops.embedding import embedding, one_hot
from ..ops.group_norm import group_norm, instance_norm
from ..ops.linear import linear
from ..ops.normalization import batch_norm
from ..ops.pool import avg_pool2d, max_pool2d
from ..ops.reduce import mean as _mean
from ..ops.shape import pad as _pad
from .loss_functions import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, kl_div,
                     l1_loss, mse_loss, nll_loss, smooth_l1_loss)

__all__ = [
    "linear", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "batch_norm", "layer_norm", "dropout",
    "group_norm", "instance_norm",
    "relu", "leaky_relu", "sigmoid", "tanh", "softplus", "log_sigmoid", "softmax", "log_softmax", "embedding",
    "one_hot", "pad",
    "binary_cross_entropy_with_logits", "binary_cross_entropy", "mse_loss", "l1_loss", "smooth_l1_loss",
    "huber_loss", "cross_entropy", "nll_loss", "kl_div",
]

# ---- activations -----------------------------------------------------------------------------


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return _act.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _act.leaky_relu(input, negative_slope)


def sigmoid(input: Tensor) -> Tensor:
    return _act.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return _act.tanh(input)


def log_sigmoid(input: Tensor) -> Tensor:
    return _act.log_sigmoid(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (as PyTorch)."""
    bx = input if beta == 1 else input * float(beta)
    out = _act.softplus(bx)
    if beta != 1:
        out = out * (1.0 / beta)
    if threshold is not None:
        linear_part = bx.array > threshold
        if linear_part.any():
            out = where(linear_part, input, out)
    return out


def _softmax_dim(name: str, ndim: int, dim):
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                      "Change the call to include dim=X as an argument.", stacklevel=3)
        return 0 if ndim in (0, 1, 3) else 1
    return dim


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dtype is not None:
        input = input.to(dtype=dtype)
    return _act.softmax(input, _softmax_dim("softmax", input.ndim, dim))


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dtype is not None:
        input = input.to(dtype=dtype)
    return _act.log_softmax(input, _softmax_dim("log_softmax", input.ndim, dim))


# ---- normalisation -------------------------------------------------------------------------


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dimensions (Tensor ops: any-order gradients)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
    k = len(shape)
    if tuple(input.shape[input.ndim - k:]) != shape or k == 0:
        raise ValueError(f"layer_norm: normalized_shape {shape} does not match the trailing dimensions of "
                         f"input shape {input.shape}")
    check_same_dtype("layer_norm", input=input, weight=weight, bias=bias)
    axes = tuple(range(input.ndim - k, input.ndim))
    centred = input - _mean(input, axes, keepdims=True)
    var = _mean(centred * centred, axes, keepdims=True)
    out = centred * (var + eps) ** -0.5
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """PyTorch's flat padding spec (last_before, last_after, prev_before, ...); constant mode only."""
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported (only 'constant')")
    return _pad(input, tuple(pad), 0.0 if value is None else float(value))
