"""Matrix ops with PyTorch's names and checks: mm, bmm, addmm, dot, outer, diag, trace, tril, triu.

mm/bmm/dot are `matmul` after torch's stricter shape checks; outer is a broadcast product;
tril/triu keep a triangle with `where`, so the gradient is the same triangle of the incoming one.

>>> import minigan as mg
>>> a = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
>>> mg.trace(a), mg.diag(a), mg.triu(a)
(tensor(5.), tensor([1., 4.]), tensor([[1., 2.],
        [0., 4.]]))
"""
from __future__ import annotations

from .. import backend
from ..autograd import Function, Tensor
from .arith import _pair, add, mul, where
from .linalg import matmul
from .shape import getitem, reshape

__all__ = ["mm", "bmm", "addmm", "dot", "outer", "diag", "trace", "tril", "triu"]


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002 - torch's names
    """The product of two matrices (n, m) @ (m, p) -> (n, p); no broadcasting, unlike matmul."""
    if input.ndim != 2:
        raise RuntimeError(f"mm: self must be a matrix, got shape {input.shape}")
    if mat2.ndim != 2:
        raise RuntimeError(f"mm: mat2 must be a matrix, got shape {mat2.shape}")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mm: mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x{input.shape[1]} "
                           f"and {mat2.shape[0]}x{mat2.shape[1]})")
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002 - torch's names
    """Batched matrix products (b, n, m) @ (b, m, p) -> (b, n, p), the batch sizes equal."""
    if input.ndim != 3:
        raise RuntimeError(f"bmm: batch1 must be a 3D tensor, got shape {input.shape}")
    if mat2.ndim != 3:
        raise RuntimeError(f"bmm: batch2 must be a 3D tensor, got shape {mat2.shape}")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"bmm: batch1 of shape {input.shape} and batch2 of shape {mat2.shape} cannot be "
                           "multiplied (batch sizes must be equal and the inner dimensions must agree)")
    return matmul(input, mat2)


def addmm(input, mat1: Tensor, mat2: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape (a Linear layer's sum)."""
    product = mm(mat1, mat2)
    if alpha != 1:
        product = mul(product, alpha)
    if beta == 0:  # torch ignores input then, NaN and inf included
        return product
    return add(mul(input, beta) if beta != 1 else input, product)


def dot(input: Tensor, tensor: Tensor) -> Tensor:  # noqa: A002 - torch's names
    """The inner product of two 1-D tensors of one size: a 0-d tensor."""
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"dot: 1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    if input.shape != tensor.shape:
        raise RuntimeError(f"dot: inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
                           f"[{tensor.shape[0]}] to have the same number of elements, but got {input.shape[0]} "
                           f"and {tensor.shape[0]} elements respectively")
    return matmul(input, tensor)


def outer(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002 - torch's names
    """The outer product of two 1-D tensors: (n,) and (m,) give (n, m)."""
    if input.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {input.ndim}-D")
    if vec2.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    a, b = _pair(input, vec2)
    return mul(reshape(a, (a.shape[0], 1)), reshape(b, (1, b.shape[0])))


def _diagonal_key(shape: tuple, offset: int, like):
    """Row and column index arrays of diagonal `offset` of a matrix of `shape`, on `like`'s device."""
    xp = backend.get_array_module(like)
    rows, cols = shape
    n = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    i = xp.arange(n) - min(offset, 0)
    return i, i + offset


class DiagEmbed(Function):
    """A vector placed on diagonal `offset` of a square zero matrix; its adjoint reads that diagonal."""

    def __init__(self, offset: int):
        self.offset = offset

    def forward(self, v):
        return backend.get_array_module(v).diag(v, self.offset)

    def backward(self, gy):
        return getitem(gy, _diagonal_key(gy.shape, self.offset, gy.array))


def diag(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002 - torch's names
    """A 1-D tensor becomes a square matrix with it on diagonal `diagonal`; a matrix gives that diagonal.

    ``diag(v)`` builds diag(v); ``diag(m, 1)`` reads the first superdiagonal.
    """
    if input.ndim == 1:
        return DiagEmbed(int(diagonal))(input)
    if input.ndim == 2:
        return getitem(input, _diagonal_key(input.shape, int(diagonal), input.array))
    raise RuntimeError(f"diag: expected a 1D or 2D tensor, got shape {input.shape}")


def trace(input: Tensor) -> Tensor:  # noqa: A002 - torch's names
    """The sum of a matrix's main diagonal (a 0-d tensor)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return diag(input).sum()


def _triangle(op: str, input: Tensor, diagonal: int, lower: bool) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape {input.shape}")
    xp = input.xp
    rows, cols = input.shape[-2:]
    keep = xp.tri(rows, cols, int(diagonal), dtype=bool)  # j <= i + diagonal
    if not lower:
        keep = ~xp.tri(rows, cols, int(diagonal) - 1, dtype=bool)  # j >= i + diagonal
    return where(keep, input, Tensor(xp.zeros((), dtype=input.dtype)))


def tril(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002 - torch's names
    """The lower triangle of the last two dimensions (on and below diagonal `diagonal`), zeros above."""
    return _triangle("tril", input, diagonal, True)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002 - torch's names
    """The upper triangle of the last two dimensions (on and above diagonal `diagonal`), zeros below."""
    return _triangle("triu", input, diagonal, False)
