"""Reductions over any axes, with keepdims: sum, mean, var, std, norm, max, min, logsumexp, argmax.

Each takes NumPy's ``axis=``/``keepdims=`` or PyTorch's ``dim=``/``keepdim=`` (`resolve_dim`).
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import backend, return_types
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


def _correction(op: str, unbiased, correction, ddof) -> int:
    """The divisor's offset N - c from PyTorch's unbiased=/correction= or NumPy's ddof= (default 1)."""
    given = [name for name, v in (("unbiased", unbiased), ("correction", correction), ("ddof", ddof))
             if v is not None]
    if len(given) > 1:
        raise TypeError(f"{op}: got {' and '.join(given)}; they say the same thing, pass one")
    if correction is not None:
        return correction
    if ddof is not None:
        return ddof
    return 0 if unbiased is False else 1


def var(x: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction: int | None = None,
        axis=None, keepdims: bool | None = None, ddof: int | None = None) -> Tensor:
    """Variance over `dim` (None: all elements), divided by N - correction: torch.var's signature.

    Unbiased (correction 1, the sample variance) by default, as in PyTorch; ``unbiased=False``,
    ``correction=0`` or NumPy's ``ddof=0`` give the population variance. ``axis=``/``keepdims=``
    are NumPy's spellings of ``dim=``/``keepdim=``. Where N - correction <= 0 the result is
    inf or nan, as in PyTorch. Shape: that of `x` without `dim` (kept as 1 with `keepdim`).

    >>> import minigan as mg
    >>> x = mg.tensor([1.0, 3.0])
    >>> x.var(), x.var(correction=0)
    (tensor(2.), tensor(1.))
    """
    dim, keepdim = resolve_dim("var", axis, dim, keepdim, keepdims)
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.array.dtype.kind != "f":
        raise TypeError(f"var: std and var only support floating point dtypes, got {x.array.dtype}")
    axes = _axes(dim, x.ndim, "var")
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    ddof = _correction("var", unbiased, correction, ddof)
    if count - ddof <= 0:
        warnings.warn(f"var: degrees of freedom is <= 0 ({count} elements, correction {ddof}); "
                      "the result is inf or nan", UserWarning, stacklevel=3)
    scale = 1.0 / (count - ddof) if count - ddof > 0 else float("inf")
    centred = x - mean(x, axes, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):  # 0 * inf: the nan PyTorch gives, without NumPy's warning
        return Sum(axes, keepdim)(centred * centred) * scale


def std(x: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction: int | None = None,
        axis=None, keepdims: bool | None = None, ddof: int | None = None) -> Tensor:
    """sqrt(var(...)) with the same arguments: unbiased by default, as torch.std.

    >>> import minigan as mg
    >>> x = mg.tensor([1.0, 3.0])
    >>> x.std(), x.std(dim=0, unbiased=False)
    (tensor(1.4142), tensor(1.))
    """
    dim, keepdim = resolve_dim("std", axis, dim, keepdim, keepdims)
    return arith.sqrt(var(x, dim, unbiased, keepdim, correction=correction, ddof=ddof))


def var_mean(x: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: int | None = None) -> tuple:
    """(var, mean) over `dim`, as torch.var_mean: ``v, m = var_mean(x, dim=0)``."""
    v = var(x, dim, unbiased, keepdim, correction=correction)
    return v, mean(x, dim, keepdim)


def std_mean(x: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: int | None = None) -> tuple:
    """(std, mean) over `dim`, as torch.std_mean."""
    s = std(x, dim, unbiased, keepdim, correction=correction)
    return s, mean(x, dim, keepdim)


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
        return max(arith.abs(x), axis=axes, keepdims=keepdim)
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


class _TakeAlong(Function):
    """x's elements at `index` along `axis` (index has x's shape with 1 there); the gradient scatters back."""

    def __init__(self, index, axis: int, keepdims: bool):
        self.index, self.axis, self.keepdims = index, axis, keepdims

    def forward(self, x):
        self.source = x.shape
        out = backend.get_array_module(x).take_along_axis(x, self.index, axis=self.axis)
        return out if self.keepdims else out.squeeze(self.axis)

    def backward(self, gy):
        return _PutAlong(self.index, self.axis, self.keepdims, self.source)(gy)


class _PutAlong(Function):
    """The adjoint of `_TakeAlong`: gy written at `index` into zeros (each position is picked once)."""

    def __init__(self, index, axis: int, keepdims: bool, shape: tuple):
        self.index, self.axis, self.keepdims, self.shape = index, axis, keepdims, shape

    def forward(self, gy):
        xp = backend.get_array_module(gy)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        xp.put_along_axis(gx, self.index, gy if self.keepdims else xp.expand_dims(gy, self.axis), axis=self.axis)
        return gx

    def backward(self, ggx):
        return _TakeAlong(self.index, self.axis, self.keepdims)(ggx)


def _extreme(op: str, x: Tensor, dim, keepdim: bool, axis, keepdims, largest: bool):
    """max/min's three forms, as torch.max: all elements, (values, indices) along an int `dim`,
    or NumPy's ``axis=`` (values only, any axes)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if isinstance(dim, Tensor) or (dim is not None and not isinstance(dim, (int, np.integer))):
        if not isinstance(dim, Tensor):
            raise TypeError(f"{op}: dim must be an int (or another tensor, for the elementwise {op}), got "
                            f"{type(dim).__name__}; use axis= for several axes")
        if axis is not None or keepdim or keepdims is not None:
            raise TypeError(f"{op}: the elementwise {op}(input, other) takes no dim or keepdim")
        return arith.maximum(x, dim) if largest else arith.minimum(x, dim)
    if dim is None:
        keepdims = bool(keepdims) if keepdims is not None else bool(keepdim)
        if x.numel() == 0:
            raise ValueError(f"{op}: expected a reduction dim for an empty tensor of shape {x.shape}; "
                             "pass dim= (or axis=)")
        return _Extreme(_axes(axis, x.ndim, op), keepdims, largest)(x)
    if axis is not None:
        raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; they are the same argument, pass one")
    keepdim = bool(keepdims) if keepdims is not None else bool(keepdim)
    ndim = x.ndim
    if not -(ndim or 1) <= dim < (ndim or 1):
        raise IndexError(f"{op}: dimension out of range (expected to be in range of [{-(ndim or 1)}, "
                         f"{(ndim or 1) - 1}], but got {dim})")
    if ndim == 0:
        index = Tensor(x.xp.zeros((), dtype=np.int64))
        return (return_types.max if largest else return_types.min)(x, index)
    axis = int(dim) % ndim
    if x.shape[axis] == 0:
        raise IndexError(f"{op}: expected reduction dim {dim} to have non-zero size, got shape {x.shape}")
    arr = x.array
    found = (arr.argmax if largest else arr.argmin)(axis=axis, keepdims=True).astype(np.int64, copy=False)
    values = _TakeAlong(found, axis, keepdim)(x)
    indices = Tensor(found if keepdim else found.squeeze(axis))
    return (return_types.max if largest else return_types.min)(values, indices)


def max(x: Tensor, dim=None, keepdim: bool = False, *, axis=None, keepdims: bool | None = None):  # noqa: A001
    """The largest value, as torch.max: ``max(x)``, ``max(x, dim)`` or ``max(x, other)``.

    - ``max(x)``: the largest element (0-d); ties share the gradient evenly.
    - ``max(x, dim, keepdim=False)``: ``minigan.return_types.max(values, indices)`` along the int
      `dim`; indices (int64) point at the first largest element, which takes the whole gradient.
    - ``max(x, other)`` with a tensor `other`: the elementwise `maximum`.
    - ``max(x, axis=..., keepdims=...)``: NumPy's spelling, the values only, over any axes.

    >>> import minigan as mg
    >>> x = mg.tensor([[1.0, 5.0], [3.0, 2.0]])
    >>> x.max(), x.max(dim=1).indices, x.max(axis=0)
    (tensor(5.), tensor([1, 0]), tensor([3., 5.]))
    """
    return _extreme("max", x, dim, keepdim, axis, keepdims, True)


def min(x: Tensor, dim=None, keepdim: bool = False, *, axis=None, keepdims: bool | None = None):  # noqa: A001
    """The smallest value, as torch.min: ``min(x)``, ``min(x, dim)`` (values, indices) or ``min(x, other)``;
    ``axis=`` (NumPy's spelling) gives the values only. See `max`."""
    return _extreme("min", x, dim, keepdim, axis, keepdims, False)


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


def _arg_extreme(op: str, x: Tensor, axis, keepdims: bool, dim, keepdim) -> Tensor:
    axis, keepdims = resolve_dim(op, axis, dim, keepdims, keepdim)
    arr = x.array if isinstance(x, Tensor) else np.asarray(x)
    find = arr.argmax if op == "argmax" else arr.argmin
    if arr.size == 0:
        raise ValueError(f"{op}: an empty tensor of shape {arr.shape} has no {op[3:]}imum")
    if axis is None:  # of the flattened tensor; keepdim keeps every dimension as 1, as in PyTorch
        out = find()
        out = backend.get_array_module(arr).asarray(out).reshape((1,) * arr.ndim if keepdims else ())
    else:
        if not -(arr.ndim or 1) <= axis < (arr.ndim or 1):
            raise IndexError(f"{op}: dimension out of range (expected to be in range of [{-(arr.ndim or 1)}, "
                             f"{(arr.ndim or 1) - 1}], but got {axis})")
        out = find(axis=axis, keepdims=keepdims) if arr.ndim else find().reshape(())
    return Tensor(out.astype(np.int64, copy=False))


def argmax(x: Tensor, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None,
           keepdim: bool | None = None) -> Tensor:
    """Int64 indices of the (first) largest values along `axis` (or ``dim=``); None: of the flattened
    tensor, as torch.argmax: ``argmax(x, dim=1, keepdim=True)`` has shape (N, 1)."""
    return _arg_extreme("argmax", x, axis, keepdims, dim, keepdim)


def argmin(x: Tensor, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None,
           keepdim: bool | None = None) -> Tensor:
    """Int64 indices of the (first) smallest values along `axis` (or ``dim=``), as torch.argmin."""
    return _arg_extreme("argmin", x, axis, keepdims, dim, keepdim)
