"""matmul with NumPy's semantics: 1-D, 2-D, batched and broadcast, and `gemm`, the 2-D product
called the way BLAS runs it fastest."""
from __future__ import annotations


from .. import backend, layout
from ..autograd import Function, Tensor
from .arith import _pair
from .dtypes import check_same_dtype
from .shape import reshape, sum_to, transpose


def gemm(a, b, any_layout: bool = False):
    """a @ b for 2-D arrays (M, K) @ (K, N), called the way BLAS runs it fastest.

    - K == 1 is an outer product: a broadcast multiply, ~10x faster than sgemm's K=1 path
      (the data gradient of a Linear with one output, as in a GAN discriminator's last layer).
    - With ``any_layout`` the result may come back as the transposed view of a C-contiguous
      (N, M) array: OpenBLAS (2 cores, float32) runs a product 15-40% faster when its larger
      output side is the rows, and for a Linear layer at batch 64 that is the features side.
      Activations then stay feature-major ("batch-last"), which every elementwise op, batch
      norm and the next Linear read at full speed. Weight gradients ask for C order (the
      optimiser's in-place passes would otherwise run transposed, ~6x slower).
    """
    m, k = a.shape
    n = b.shape[1]
    xp = backend.get_array_module(a, b)
    if k == 1:
        if any_layout and layout.product_prefers_feature_major(m, n, xp, blas=False):
            return xp.multiply(b.T, a.T).T
        return xp.multiply(a, b)
    if any_layout and layout.product_prefers_feature_major(m, n, xp):
        return xp.matmul(b.T, a.T).T
    return xp.matmul(a, b)


class MatMul(Function):
    """One backward rule for every case: promote 1-D operands to matrices
    (a: (K,) -> (1, K), b: (K,) -> (K, 1)), differentiate the batched matrix
    product, then sum away broadcast batch dimensions and drop the promotions.

    ``any_layout=True`` lets a 2-D product come back in whichever memory order `gemm`
    computes fastest (for activations; parameter gradients keep C order)."""

    def __init__(self, any_layout: bool = False):
        self.any_layout = any_layout

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: operands must be at least 1-D, got shapes {a.shape} and {b.shape}")
        ka = a.shape[-1]
        kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if ka != kb:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align ({ka} != {kb})")
        if a.ndim == 2 and b.ndim == 2:
            return gemm(a, b, self.any_layout)
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


def matmul(a: Tensor, b: Tensor, *, any_layout: bool = False) -> Tensor:
    """a @ b following numpy.matmul's rules: (..., M, K) @ (..., K, N) -> (..., M, N) with the
    batch dimensions broadcast; a 1-D operand is a vector (its dimension is dropped from the result).

    `any_layout`: a 2-D result may be a transposed (feature-major) view when that is faster (see `gemm`)."""
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype != b.dtype \
            and a.dtype.kind == "f" and b.dtype.kind == "f":
        check_same_dtype("matmul", floating=False, a=a, b=b)  # mismatched floats raise (PyTorch's rule)
    return MatMul(any_layout)(*_pair(a, b))
