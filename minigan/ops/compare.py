"""Comparisons: == != < <= > >=, isclose, allclose, equal; bool tensors (or Python bools), outside the graph.

The operands meet under PyTorch's dtype promotion first (`arith.promote_types`), so an int
tensor compares with a float one by value: ``mg.tensor([1, 2]) == mg.tensor([1.0, 2.5])``.
"""
from __future__ import annotations

from ..autograd import Tensor
from .arith import _pair


def _compare(op):
    def compare(a, b) -> Tensor:
        a, b = _pair(a, b)
        return Tensor(op(a.array, b.array))

    return compare


eq = _compare(lambda a, b: a == b)
ne = _compare(lambda a, b: a != b)
lt = _compare(lambda a, b: a < b)
le = _compare(lambda a, b: a <= b)
gt = _compare(lambda a, b: a > b)
ge = _compare(lambda a, b: a >= b)


def isclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|a - b| <= atol + rtol * |b| elementwise, as a bool tensor (torch.isclose; outside the graph)."""
    a, b = _pair(a, b)
    return Tensor(a.xp.isclose(a.array, b.array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether `isclose` holds everywhere (a Python bool), as torch.allclose."""
    return bool(isclose(a, b, rtol, atol, equal_nan).array.all())


def equal(a: Tensor, b: Tensor) -> bool:
    """True if a and b have the same shape and the same values (torch.equal; NaN is never equal)."""
    a, b = _pair(a, b)
    return a.shape == b.shape and bool((a.array == b.array).all())
