"""The fully connected layer's op: y = x W^T + b over the flattened leading dimensions.

``linear(x, w, b)`` with w of shape (out_features, in_features), as PyTorch's
``F.linear``; input, weight and bias share one floating dtype (`minigan.ops.dtypes`).
"""
from __future__ import annotations

from ..autograd import Function, Tensor
from .dtypes import check_same_dtype
from .linalg import gemm, matmul as _matmul
from .reduce import sum as _sum
from .shape import reshape as _reshape, transpose as _transpose

__all__ = ["Linear", "linear"]


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
    check_same_dtype("linear", input=input, weight=weight, bias=bias)
    if bias is not None:
        return Linear()(input, weight, bias)
    return Linear()(input, weight)
