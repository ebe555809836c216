"""minigan.nn.functional: stateless layers, activations and losses with PyTorch's signatures.

``import minigan.nn.functional as F`` and call ``F.linear``, ``F.conv2d``,
``F.batch_norm``, ``F.dropout``, ``F.leaky_relu``, ``F.binary_cross_entropy_with_logits``
... exactly as in PyTorch. Everything returns Tensors recorded in the graph and
is differentiable to any order. Convolutions and pooling live in
`minigan.ops.conv` / `minigan.ops.pool` and are re-exported here on first use.
"""
from __future__ import annotations

import importlib
import numbers
import warnings

import numpy as np

from .. import backend
from ..autograd import Function, Tensor, no_grad
from ..ops import activation as _act
from ..ops.dropout import dropout
from ..ops.linalg import gemm, matmul as _matmul
from ..ops.normalization import batch_norm
from ..ops.reduce import mean as _mean, sum as _sum
from ..ops.shape import getitem as _getitem, pad as _pad, reshape as _reshape, transpose as _transpose
from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, kl_div,
                     l1_loss, mse_loss, nll_loss, smooth_l1_loss)

__all__ = [
    "linear", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "batch_norm", "layer_norm", "dropout",
    "group_norm", "instance_norm",
    "relu", "leaky_relu", "sigmoid", "tanh", "softplus", "log_sigmoid", "softmax", "log_softmax", "embedding",
    "one_hot", "pad",
    "binary_cross_entropy_with_logits", "binary_cross_entropy", "mse_loss", "l1_loss", "smooth_l1_loss",
    "huber_loss", "cross_entropy", "nll_loss", "kl_div",
]

# Re-exported from modules written alongside this one; resolved on first attribute access.
_LAZY = {
    "conv2d": "..ops.conv",
    "conv_transpose2d": "..ops.conv",
    "max_pool2d": "..ops.pool",
    "avg_pool2d": "..ops.pool",
    "group_norm": "..ops.group_norm",
    "instance_norm": "..ops.group_norm",
}


def __getattr__(name: str):
    if name in _LAZY:
        fn = getattr(importlib.import_module(_LAZY[name], __package__), name)
        globals()[name] = fn
        return fn
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


# ---- linear ---------------------------------------------------------------------------------


class Linear(Function):
    """y = x W^T (+ b) in one matmul over the flattened leading dimensions.

    ``x @ W.T`` hands the transposed view straight to BLAS (no copy). Backward:
    gx = gy W, gW = gy^T x, gb = sum(gy), as Tensor ops (double backward works).
    y and gx may come back feature-major (see `minigan.ops.linalg.gemm`); gW is C-ordered.
    """

    def forward(self, x, w, *b):
        k = w.shape[1]
        x2 = x if x.ndim == 2 else x.reshape(-1, k)
        y = gemm(x2, w.T, any_layout=True)
        if b:
            y += b[0]
        return y if x.ndim == 2 else y.reshape(x.shape[:-1] + (w.shape[0],))

    def backward(self, gy):
        x, w = self.inputs[:2]
        n_out, k = w.shape
        gy2 = gy if gy.ndim == 2 else _reshape(gy, (-1, n_out))
        need = self.needs_input_grad
        gx = gw = None
        if need[0]:
            gx = _matmul(gy2, w, any_layout=True)
            if x.ndim != 2:
                gx = _reshape(gx, x.shape)
        if need[1]:
            x2 = x if x.ndim == 2 else _reshape(x, (-1, k))
            gw = _matmul(_transpose(gy2), x2)
        if len(self.inputs) == 3:
            gb = _sum(gy2, 0) if need[2] else None
            return gx, gw, gb
        return gx, gw


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight.T + bias; weight has shape (out_features, in_features)."""
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape {weight.shape}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {input.shape} does not match weight of shape {weight.shape} "
                         f"(input's last dimension must be in_features={weight.shape[1]})")
    if bias is not None:
        if tuple(bias.shape) != (weight.shape[0],):
            raise ValueError(f"linear: bias of shape {tuple(bias.shape)} does not match weight of shape "
                             f"{weight.shape}; expected ({weight.shape[0]},)")
        return Linear()(input, weight, bias)
    return Linear()(input, weight)


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
        linear_part = bx.data > threshold
        if linear_part.any():
            from ..ops.arith import where
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
    axes = tuple(range(input.ndim - k, input.ndim))
    centred = input - _mean(input, axes, keepdims=True)
    var = _mean(centred * centred, axes, keepdims=True)
    out = centred * (var + eps) ** -0.5
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


# ---- embedding ---------------------------------------------------------------------------


class Embedding(Function):
    """weight[indices]; the gradient scatter-adds rows (repeated indices accumulate)."""

    def __init__(self, indices, padding_idx: int | None):
        self.indices, self.padding_idx = indices, padding_idx

    def forward(self, w):
        self.num_rows = w.shape[0]
        return w[self.indices]

    def backward(self, gy):
        return EmbeddingGrad(self.indices, self.num_rows, self.padding_idx)(gy)


class EmbeddingGrad(Function):
    def __init__(self, indices, num_rows: int, padding_idx: int | None):
        self.indices, self.num_rows, self.padding_idx = indices, num_rows, padding_idx

    def forward(self, gy):
        xp = backend.get_array_module(gy)
        dim = gy.shape[-1]
        gw = xp.zeros((self.num_rows, dim), dtype=gy.dtype)
        xp.add.at(gw, self.indices.reshape(-1), gy.reshape(-1, dim))
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw

    def backward(self, ggw):
        out = _getitem(ggw, self.indices)
        if self.padding_idx is not None:
            keep = (self.indices != self.padding_idx)[..., None].astype(ggw.dtype)
            out = out * Tensor(keep)
        return out


def embedding(input, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer tensor ``input``.

    ``padding_idx`` rows get no gradient; ``max_norm`` renormalises the looked-up
    rows of ``weight`` in place first, as PyTorch does.
    """
    idx = input.data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}")
    n = weight.shape[0]
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got {weight.shape}")
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        raise IndexError(f"embedding: index out of range for {n} embeddings "
                         f"(got values in [{int(idx.min())}, {int(idx.max())}])")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse are not supported")
    idx = idx % n if idx.size and int(idx.min()) < 0 else idx
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within the {n} embeddings")
        padding_idx %= n
    if max_norm is not None:
        with no_grad():
            rows = weight.xp.unique(idx)
            sel = weight.data[rows]
            norms = (abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
            scale = weight.xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(weight.dtype)
            weight.data[rows] = sel * scale[:, None]
    return Embedding(idx, padding_idx)(weight)


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a trailing class dimension, as torch.nn.functional.one_hot."""
    idx = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor, got dtype {idx.dtype}")
    xp = backend.get_array_module(idx)
    if num_classes < 0:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got [{int(idx.min())}, "
                         f"{int(idx.max())}]")
    return Tensor((idx[..., None] == xp.arange(num_classes)).astype(np.int64))


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """PyTorch's flat padding spec (last_before, last_after, prev_before, ...); constant mode only."""
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported (only 'constant')")
    return _pad(input, tuple(pad), 0.0 if value is None else float(value))
