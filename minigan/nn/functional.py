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


# ---- resampling, padding, blocks, more activations, distances -----------------------------

from ..ops.activation_smooth import elu, gelu, hardtanh, mish, prelu, silu  # noqa: E402
from ..ops.channel_dropout import dropout2d  # noqa: E402
from ..ops.conv import _pair as _conv_pair  # noqa: E402
from ..ops.distance import cosine_similarity, normalize, pairwise_distance  # noqa: E402
from ..ops.fold import fold, unfold  # noqa: E402
from ..ops.interpolate import adaptive_avg_pool2d, interpolate  # noqa: E402
from ..ops.padding import pad  # noqa: E402
from ..ops.pixel_shuffle import pixel_shuffle, pixel_unshuffle  # noqa: E402
from ..ops.shape import squeeze as _squeeze, unsqueeze as _unsqueeze  # noqa: E402

__all__ += ["conv1d", "interpolate", "upsample", "adaptive_avg_pool2d", "pixel_shuffle", "pixel_unshuffle", "elu",
            "gelu", "silu", "mish", "prelu", "hardtanh", "dropout2d", "normalize", "cosine_similarity",
            "pairwise_distance", "unfold", "fold"]


def _single(value, name: str, op: str) -> int:
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise TypeError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    return _conv_pair(value, name, op)[0]


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D cross-correlation, as ``torch.nn.functional.conv1d``: the 2-D convolution on a unit height.

    input (N, C, L) or unbatched (C, L); weight (out, C/groups, k); bias (out,). Returns
    (N, out, (L + 2*padding - dilation*(k-1) - 1)//stride + 1); `padding` may be 'valid' or 'same'.
    """
    op = "conv1d"
    x = input if isinstance(input, Tensor) else Tensor(input)
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape {x.shape}")
    if w.ndim != 3:
        raise ValueError(f"{op}: weight must be 3-D (out_channels, in_channels/groups, k), got shape {w.shape}")
    stride, dilation = (1, _single(stride, "stride", op)), (1, _single(dilation, "dilation", op))
    padding = padding if isinstance(padding, str) else (0, _single(padding, "padding", op))
    y = conv2d(_unsqueeze(x, -2), _unsqueeze(w, -2), bias, stride, padding, dilation, groups)
    return _squeeze(y, -2)


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None) -> Tensor:
    """The older name of `interpolate` (PyTorch keeps it, deprecated): same arguments, same result."""
    return interpolate(input, size, scale_factor, mode, align_corners)
