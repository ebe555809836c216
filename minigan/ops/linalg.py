"""matmul with NumPy's semantics: 1-D, 2-D, batched and broadcast."""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from .shape import reshape, sum_to, transpose


class MatMul(Function):
    """One backward rule for every case: promote 1-D operands to matrices
    (a: (K,) -> (1, K), b: (K,) -> (K, 1)), differentiate the batched matrix
    product, then sum away broadcast batch dimensions and drop the promotions."""

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: operands must be at least 1-D, got shapes {a.shape} and {b.shape}")
        ka = a.shape[-1]
        kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if ka != kb:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align ({ka} != {kb})")
        try:
            y = backend.get_array_module(a, b).matmul(a, b)
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of {a.shape} and {b.shape} cannot be broadcast") from None
        a2 = (1,) + a.shape if a.ndim == 1 else a.shape
        b2 = b.shape + (1,) if b.ndim == 1 else b.shape
        self.shapes = (a2, b2, np.broadcast_shapes(a2[:-2], b2[:-2]) + (a2[-2], b2[-1]))
        return y

    def backward(self, gy):
        a, b = self.inputs
        a2_shape, b2_shape, y2_shape = self.shapes
        g = reshape(gy, y2_shape)
        ga = gb = None
        if self.needs_input_grad[0]:
            b2 = reshape(b, b2_shape)
            ga = reshape(sum_to(matmul(g, transpose(b2, -1, -2)), a2_shape), a.shape)
        if self.needs_input_grad[1]:
            a2 = reshape(a, a2_shape)
            gb = reshape(sum_to(matmul(transpose(a2, -1, -2), g), b2_shape), b.shape)
        return ga, gb


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """a @ b following numpy.matmul's broadcasting rules."""
    from .arith import as_operand
    if not isinstance(a, Tensor):
        a = as_operand(a, b)
    if not isinstance(b, Tensor):
        b = as_operand(b, a)
    return MatMul()(a, b)
