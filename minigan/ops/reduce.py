"""Reductions over any axes, with keepdims: sum, mean, var, std, norm, max, min, logsumexp.

Each takes NumPy's ``axis=``/``keepdims=`` or PyTorch's ``dim=``/``keepdim=`` (`resolve_dim`).
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from . import arith
from .arith import exp, log
from .shape import broadcast_to, reshape


def _axes(axis, ndim: int, op: str) -> tuple:
    """Normalise None/int/tuple to a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -(ndim or 1) <= a < (ndim or 1):  # a 0-d tensor takes 0 and -1, as in PyTorch
            raise ValueError(f"{op}: axis {a} is out of range for a tensor of {ndim} dimensions")
        out.append(int(a) % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(out)) if ndim else ()


def resolve_dim(op: str, axis, dim, keepdims: bool = False, keepdim: bool | None = None) -> tuple:
    """(axis, keepdims) from either spelling: NumPy's axis=/keepdims= or PyTorch's dim=/keepdim=."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; they are the same argument, pass one")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return axis, bool(keepdims)


def _kept_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Function):
    def __init__(self, axes: tuple, keepdims: bool):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        self.source = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        if not self.keepdims:
            gy = reshape(gy, _kept_shape(self.source, self.axes))
        return broadcast_to(gy, self.source)


def sum(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None) -> Tensor:  # noqa: A001
    """Sum over `axis` (None: all); ``dim=``/``keepdim=`` are PyTorch's spellings: ``sum(x, dim=1)``."""
    axis, keepdims = resolve_dim("sum", axis, dim, keepdims, keepdim)
    return Sum(_axes(axis, x.ndim, "sum"), keepdims)(x)


def mean(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None) -> Tensor:
    """Mean over `axis` (or ``dim=``), e.g. ``mean(x, dim=(0, 2), keepdim=True)``."""
    axis, keepdims = resolve_dim("mean", axis, dim, keepdims, keepdim)
    axes = _axes(axis, x.ndim, "mean")
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    return Sum(axes, keepdims)(x) * (1.0 / count)


def var(x: Tensor, axis=None, keepdims: bool = False, unbiased: bool = False, correction: int | None = None, *,
        dim=None, keepdim: bool | None = None) -> Tensor:
    """Variance over `axis` (or ``dim=``), divided by N - correction.

    The population variance (correction 0, NumPy's and BatchNorm's) unless ``unbiased=True``
    or ``correction=1`` asks for torch.var's default: ``var(x, dim=0, unbiased=True)``.
    """
    axis, keepdims = resolve_dim("var", axis, dim, keepdims, keepdim)
    axes = _axes(axis, x.ndim, "var")
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    ddof = correction if correction is not None else (1 if unbiased else 0)
    if count - ddof <= 0:
        raise ValueError(f"var: {count} elements over axes {axes} are too few for correction {ddof}")
    centred = x - mean(x, axes, keepdims=True)
    return Sum(axes, keepdims)(centred * centred) * (1.0 / (count - ddof))


def std(x: Tensor, axis=None, keepdims: bool = False, unbiased: bool = False, correction: int | None = None, *,
        dim=None, keepdim: bool | None = None) -> Tensor:
    """sqrt(var(...)) with the same arguments.

    >>> import minigan as mg
    >>> x = mg.tensor([1.0, 3.0])
    >>> x.std(), x.std(dim=0, unbiased=True)
    (tensor(1.), tensor(1.4142))
    """
    axis, keepdims = resolve_dim("std", axis, dim, keepdims, keepdim)
    return arith.sqrt(var(x, axis, keepdims, unbiased, correction))


def norm(x: Tensor, p: "float | str" = 2, dim=None, keepdim: bool = False, *, axis=None,
         keepdims: bool | None = None) -> Tensor:
    """The vector p-norm over `dim` (None: all elements), as torch.linalg.vector_norm.

    p = 2 (Euclidean), 1 (sum of |x|), ``inf`` (max |x|), or any other positive number.
    At x = 0 the 2-norm's gradient is 0 (a subgradient, as in torch).

    >>> import minigan as mg
    >>> x = mg.tensor([[3.0, -4.0], [1.0, 0.0]])
    >>> x.norm(dim=1), x.norm(p=1, dim=1), mg.norm(x, float("inf"))
    (tensor([5., 1.]), tensor([7., 1.]), tensor(4.))
    """
    dim, keepdim = resolve_dim("norm", dim, axis, keepdim, keepdims)
    axes = _axes(dim, x.ndim, "norm")
    if p in ("inf", "fro"):
        p = np.inf if p == "inf" else 2
    p = float(p)
    if p == np.inf:
        return max(arith.abs(x), axes, keepdim)
    if p == 1:
        return Sum(axes, keepdim)(arith.abs(x))
    if p <= 0:
        raise ValueError(f"norm: p must be positive or inf, got {p}")
    if p == 2:
        squares = Sum(axes, keepdim)(x * x)
        # sqrt'(0) is infinite; where the norm is 0 take the subgradient 0 instead (torch does)
        zero = squares.array == 0
        safe = arith.where(zero, Tensor(squares.xp.ones_like(squares.array)), squares)
        return arith.where(zero, squares, arith.pow_scalar(safe, 0.5))
    return arith.pow_scalar(Sum(axes, keepdim)(arith.pow_scalar(arith.abs(x), p)), 1.0 / p)


class _Extreme(Function):
    """max/min: the gradient goes to the selected elements, split evenly among ties."""

    def __init__(self, axes: tuple, keepdims: bool, largest: bool):
        self.axes, self.keepdims, self.largest = axes, keepdims, largest

    def forward(self, x):
        reduce = x.max if self.largest else x.min
        self.save_outputs()
        return reduce(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        x, = self.inputs
        y = self.outputs[0].array
        shape = _kept_shape(x.shape, self.axes)
        mask = x.array == y.reshape(shape)
        weight = mask / mask.sum(axis=self.axes, keepdims=True)
        g = reshape(gy, shape) if not self.keepdims else gy
        return broadcast_to(g, x.shape) * Tensor(weight.astype(x.dtype, copy=False))


def max(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None) -> Tensor:  # noqa: A001
    """The largest values over `axis` (or ``dim=``); ties share the gradient evenly.

    Only the values, also with ``dim=`` (torch.max(x, dim) adds the indices: use `argmax`).
    """
    axis, keepdims = resolve_dim("max", axis, dim, keepdims, keepdim)
    if x.size == 0:
        raise ValueError(f"max: empty tensor of shape {x.shape}")
    return _Extreme(_axes(axis, x.ndim, "max"), keepdims, True)(x)


def min(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None) -> Tensor:  # noqa: A001
    """The smallest values over `axis` (or ``dim=``); ties share the gradient evenly."""
    axis, keepdims = resolve_dim("min", axis, dim, keepdims, keepdim)
    if x.size == 0:
        raise ValueError(f"min: empty tensor of shape {x.shape}")
    return _Extreme(_axes(axis, x.ndim, "min"), keepdims, False)(x)


def logsumexp(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None) -> Tensor:
    """log(sum(exp(x))) over `axis` (or ``dim=``), shifted by the (constant) max, so it never overflows."""
    axis, keepdims = resolve_dim("logsumexp", axis, dim, keepdims, keepdim)
    axes = _axes(axis, x.ndim, "logsumexp")
    shift = x.array.max(axis=axes, keepdims=True)
    xp = backend.get_array_module(shift)
    shift = xp.where(xp.isfinite(shift), shift, shift.dtype.type(0))  # not a Python 0: NumPy 1.x makes 0-d float64
    shifted = x - Tensor(shift)
    out = log(sum(exp(shifted), axes, keepdims=True)) + Tensor(shift)
    return out if keepdims else reshape(out, tuple(s for i, s in enumerate(out.shape) if i not in axes))


def argmax(x: Tensor, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None,
           keepdim: bool | None = None) -> Tensor:
    """Indices of the largest values along `axis` (or ``dim=``); None: of the flattened tensor."""
    axis, keepdims = resolve_dim("argmax", axis, dim, keepdims, keepdim)
    return Tensor(x.array.argmax(axis=axis, keepdims=keepdims) if axis is not None else x.array.argmax())


def argmin(x: Tensor, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None,
           keepdim: bool | None = None) -> Tensor:
    """Indices of the smallest values along `axis` (or ``dim=``); None: of the flattened tensor."""
    axis, keepdims = resolve_dim("argmin", axis, dim, keepdims, keepdim)
    return Tensor(x.array.argmin(axis=axis, keepdims=keepdims) if axis is not None else x.array.argmin())
