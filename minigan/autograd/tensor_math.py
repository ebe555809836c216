"""Tensor's arithmetic: operators, element-wise functions, casts and reductions.

A base class of `Tensor` (autograd/tensor.py), split out so each file stays readable; every
method looks its op up in `minigan.ops` when called (Chainer's late binding), because the ops
sit above the engine and the engine may not import them. ``help(minigan.Tensor)`` lists them all.
"""
from __future__ import annotations

from typing import Any

__all__ = ["MathMethods"]


class MathMethods:
    """Operators, element-wise maths, casts and reductions of a Tensor (each calls its op in minigan.ops)."""

    __slots__ = ()

    def __add__(self, other): return _ops.add(self, other)
    def __radd__(self, other): return _ops.add(other, self)
    def __sub__(self, other): return _ops.sub(self, other)
    def __rsub__(self, other): return _ops.sub(other, self)
    def __mul__(self, other): return _ops.mul(self, other)
    def __rmul__(self, other): return _ops.mul(other, self)
    def __truediv__(self, other): return _ops.div(self, other)
    def __rtruediv__(self, other): return _ops.div(other, self)
    def __floordiv__(self, other): return _ops.floor_divide(self, other)
    def __rfloordiv__(self, other): return _ops.floor_divide(other, self)
    def __mod__(self, other): return _ops.remainder(self, other)
    def __rmod__(self, other): return _ops.remainder(other, self)
    def __pow__(self, other): return _ops.pow(self, other)
    def __rpow__(self, other): return _ops.pow(other, self)
    def __matmul__(self, other): return _ops.matmul(self, other)
    def __rmatmul__(self, other): return _ops.matmul(other, self)
    def __neg__(self): return _ops.neg(self)
    def __pos__(self): return self
    def __abs__(self): return _ops.abs(self)
    # comparisons give plain boolean tensors, outside the graph
    def __eq__(self, other): return _ops.eq(self, other)  # type: ignore[override]
    def __ne__(self, other): return _ops.ne(self, other)  # type: ignore[override]
    def __lt__(self, other): return _ops.lt(self, other)
    def __le__(self, other): return _ops.le(self, other)
    def __gt__(self, other): return _ops.gt(self, other)
    def __ge__(self, other): return _ops.ge(self, other)
    # PyTorch's method names for the comparisons: bool tensors, outside the graph
    def eq(self, other): return _ops.eq(self, other)
    def ne(self, other): return _ops.ne(self, other)
    def lt(self, other): return _ops.lt(self, other)
    def le(self, other): return _ops.le(self, other)
    def gt(self, other): return _ops.gt(self, other)
    def ge(self, other): return _ops.ge(self, other)
    __hash__ = object.__hash__  # __eq__ is element-wise, identity stays the hash (as in PyTorch)

    def astype(self, dtype) -> "Tensor":
        """A differentiable cast (the same tensor if the dtype already matches)."""
        from .function import astype  # circle: Function builds Tensors, so function.py imports this file
        return astype(self, dtype)

    def exp(self): return _ops.exp(self)
    def log(self): return _ops.log(self)
    def sqrt(self): return _ops.sqrt(self)
    def abs(self): return _ops.abs(self)
    def sign(self): return _ops.sign(self)
    def neg(self): return _ops.neg(self)
    def pow(self, exponent): return _ops.pow(self, exponent)
    def floor_divide(self, other): return _ops.floor_divide(self, other)
    def remainder(self, other): return _ops.remainder(self, other)
    def maximum(self, other): return _ops.maximum(self, other)
    def minimum(self, other): return _ops.minimum(self, other)
    def clip(self, min=None, max=None): return _ops.clip(self, min, max)  # noqa: A002 - torch's names
    clamp = clip
    def relu(self): return _ops.relu(self)
    def leaky_relu(self, negative_slope: float = 0.01): return _ops.leaky_relu(self, negative_slope)
    def sigmoid(self): return _ops.sigmoid(self)
    def tanh(self): return _ops.tanh(self)
    def softplus(self): return _ops.softplus(self)
    def log_sigmoid(self): return _ops.log_sigmoid(self)
    def softmax(self, axis: int | None = None, *, dim: int | None = None): return _ops.softmax(self, axis, dim=dim)
    def log_softmax(self, axis: int | None = None, *, dim: int | None = None):
        return _ops.log_softmax(self, axis, dim=dim)
    def sin(self): return _ops.sin(self)
    def cos(self): return _ops.cos(self)
    def clone(self): return _ops.clone(self)
    def where(self, condition, other): return _ops.where(condition, self, other)  # torch's x.where(cond, y)
    def isclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
        return _ops.isclose(self, other, rtol, atol, equal_nan)
    def allclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        return _ops.allclose(self, other, rtol, atol, equal_nan)
    def equal(self, other) -> bool: return _ops.equal(self, other)

    # reductions take NumPy's axis=/keepdims= or PyTorch's dim=/keepdim= (ops/reduce.py: resolve_dim)
    def sum(self, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None):
        return _ops.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)
    def mean(self, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None):
        return _ops.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)
    def var(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction: int | None = None,
            axis=None, keepdims: bool | None = None, ddof: int | None = None):
        return _ops.var(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims, ddof=ddof)
    def std(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction: int | None = None,
            axis=None, keepdims: bool | None = None, ddof: int | None = None):
        return _ops.std(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims, ddof=ddof)
    def norm(self, p: "float | str" = 2, dim=None, keepdim: bool = False, *, axis=None, keepdims: bool | None = None):
        return _ops.norm(self, p, dim, keepdim, axis=axis, keepdims=keepdims)
    # torch.max's forms: max(), max(dim) -> (values, indices), max(other); axis= gives NumPy's values only
    def max(self, dim=None, keepdim: bool = False, *, axis=None, keepdims: bool | None = None):
        return _ops.max(self, dim, keepdim, axis=axis, keepdims=keepdims)
    def min(self, dim=None, keepdim: bool = False, *, axis=None, keepdims: bool | None = None):
        return _ops.min(self, dim, keepdim, axis=axis, keepdims=keepdims)
    def logsumexp(self, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None):
        return _ops.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)
    def argmax(self, axis: int | None = None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None):
        return _ops.argmax(self, axis, keepdims, dim=dim, keepdim=keepdim)
    def argmin(self, axis: int | None = None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None):
        return _ops.argmin(self, axis, keepdims, dim=dim, keepdim=keepdim)
    def erf(self): return _ops.erf(self)

    # -- PyTorch's element-wise, cumulative, order and matrix methods (ops/elementwise.py, cumulative.py,
    # sorting.py, matrix.py)
    def floor(self): return _ops.floor(self)
    def ceil(self): return _ops.ceil(self)
    def trunc(self): return _ops.trunc(self)
    def round(self, *, decimals: int = 0): return _ops.round(self, decimals=decimals)
    def frac(self): return _ops.frac(self)
    def log1p(self): return _ops.log1p(self)
    def expm1(self): return _ops.expm1(self)
    def log2(self): return _ops.log2(self)
    def log10(self): return _ops.log10(self)
    def exp2(self): return _ops.exp2(self)
    def rsqrt(self): return _ops.rsqrt(self)
    def reciprocal(self): return _ops.reciprocal(self)
    def square(self): return _ops.square(self)
    def lerp(self, end, weight): return _ops.lerp(self, end, weight)
    def isnan(self): return _ops.isnan(self)
    def isinf(self): return _ops.isinf(self)
    def isfinite(self): return _ops.isfinite(self)
    def all(self, dim=None, keepdim: bool = False): return _ops.all(self, dim, keepdim)
    def any(self, dim=None, keepdim: bool = False): return _ops.any(self, dim, keepdim)
    def cumsum(self, dim: int, *, dtype=None): return _ops.cumsum(self, dim, dtype=dtype)
    def cumprod(self, dim: int, *, dtype=None): return _ops.cumprod(self, dim, dtype=dtype)
    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype=None):
        return _ops.prod(self, dim, keepdim, dtype=dtype)
    def amax(self, dim=(), keepdim: bool = False): return _ops.amax(self, dim, keepdim)
    def amin(self, dim=(), keepdim: bool = False): return _ops.amin(self, dim, keepdim)
    def median(self, dim: int | None = None, keepdim: bool = False): return _ops.median(self, dim, keepdim)
    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False):
        return _ops.sort(self, dim, descending, stable=stable)
    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False):
        return _ops.argsort(self, dim, descending, stable=stable)
    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002 - torch's name
        return _ops.topk(self, k, dim, largest, sorted)
    def mm(self, mat2): return _ops.mm(self, mat2)
    def bmm(self, mat2): return _ops.bmm(self, mat2)
    def addmm(self, mat1, mat2, *, beta: float = 1, alpha: float = 1):
        return _ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)
    def dot(self, other): return _ops.dot(self, other)
    def outer(self, vec2): return _ops.outer(self, vec2)
    def diag(self, diagonal: int = 0): return _ops.diag(self, diagonal)
    def trace(self): return _ops.trace(self)
    def tril(self, diagonal: int = 0): return _ops.tril(self, diagonal)
    def triu(self, diagonal: int = 0): return _ops.triu(self, diagonal)

# minigan.ops, bound by ops/__init__.py when it is imported (see the module docstring).
_ops: Any = None
