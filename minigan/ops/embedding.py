"""Embedding lookup: rows of a weight matrix picked by integer indices, and its scatter-add gradient.

``embedding(idx, w)`` as PyTorch's ``F.embedding``; ``one_hot(idx, 10)`` beside it.
The gradient is itself a Function (EmbeddingGrad) whose backward gathers again, so
double backward works.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Function, Tensor, no_grad
from .shape import getitem as _getitem

__all__ = ["Embedding", "EmbeddingGrad", "embedding", "one_hot"]


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
    idx = input.array if isinstance(input, Tensor) else np.asarray(input)
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
            sel = weight.array[rows]
            norms = (abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
            scale = weight.xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(weight.dtype)
            weight.array[rows] = sel * scale[:, None]
    return Embedding(idx, padding_idx)(weight)


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a trailing class dimension, as torch.nn.functional.one_hot."""
    idx = tensor.array if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor, got dtype {idx.dtype}")
    xp = backend.get_array_module(idx)
    if num_classes < 0:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got [{int(idx.min())}, "
                         f"{int(idx.max())}]")
    return Tensor((idx[..., None] == xp.arange(num_classes)).astype(np.int64))
