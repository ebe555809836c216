"""matmul with NumPy's semantics: 1-D, 2-D, batched and broadcast."""
from __future__ import annotations

from .. import backend
from ..autograd import Function, Tensor
from .arith import _pair
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
            return backend.get_array_module(a, b).matmul(a, b)
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of {a.shape} and {b.shape} cannot be broadcast") from None

    def backward(self, gy):
        a, b = self.inputs
        # the promoted (at least 2-D) shapes of a, b and the output
        a2_shape = (1,) + a.shape if a.ndim == 1 else a.shape
        b2_shape = b.shape + (1,) if b.ndim == 1 else b.shape
        y2_shape = gy.shape + (1,) if b.ndim == 1 else gy.shape
        if a.ndim == 1:
            y2_shape = y2_shape[:-1] + (1,) + y2_shape[-1:]
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
    """a @ b following numpy.matmul's rules: (..., M, K) @ (..., K, N) -> (..., M, N) with the
    batch dimensions broadcast; a 1-D operand is a vector (its dimension is dropped from the result)."""
    return MatMul()(*_pair(a, b))
