"""Indexing with index tensors: gather, scatter, scatter_add, index_select, take, masked_fill,
masked_select, nonzero.

`gather` and a scatter-add into zeros are each other's adjoint, so each backward is the other
op and second derivatives come for free; repeated indices accumulate (a scatter-add, never a
plain assignment, unless the indices are known to be distinct). index_select, take and
masked_select are `getitem` with an index array, whose backward already accumulates.

>>> import minigan as mg
>>> x = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
>>> mg.gather(x, 1, mg.tensor([[0, 0], [1, 0]]))
tensor([[1., 1.],
        [4., 3.]])
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from .arith import as_operand, where
from .dims import check_bounds, index_array, mask_array, normalize_dim
from .inplace import _inplace
from .shape import broadcast_to, getitem, reshape

__all__ = ["gather", "scatter", "scatter_add", "index_select", "take", "masked_fill", "masked_fill_",
           "masked_select", "nonzero", "scatter_", "scatter_add_"]


def _full_index(index, dim: int) -> tuple:
    """The advanced-indexing key that reads ``x[i0, ..., index[i], ..., in]`` at every position i of index."""
    xp = backend.get_array_module(index)
    ndim = index.ndim
    key = []
    for d, n in enumerate(index.shape):
        if d == dim:
            key.append(index)
        else:
            key.append(xp.arange(n).reshape((1,) * d + (n,) + (1,) * (ndim - d - 1)))
    return tuple(key)


def _scatter_add_array(out, key, src, distinct: bool) -> None:
    """out[key] += src, accumulating repeated positions (a plain write when they are `distinct`)."""
    if distinct:
        out[key] = src
    elif type(out) is np.ndarray:
        np.add.at(out, key, src)
    else:
        import cupyx  # deferred: CuPy is optional (its scatter-add; ufunc.at is missing from older CuPy)
        cupyx.scatter_add(out, key, src)


class Gather(Function):
    """out[i] = x[i with dim replaced by index[i]]; the gradient scatter-adds back."""

    def __init__(self, dim: int, index, distinct: bool = False):
        self.dim, self.index, self.distinct = dim, index, distinct

    def forward(self, x):
        self.source = x.shape
        return x[_full_index(self.index, self.dim)]

    def backward(self, gy):
        return ScatterAddZeros(self.dim, self.index, self.source, self.distinct)(gy)


class ScatterAddZeros(Function):
    """Zeros of `shape` with src (of index's shape) added at the gathered positions: gather's adjoint."""

    def __init__(self, dim: int, index, shape: tuple, distinct: bool = False):
        self.dim, self.index, self.shape, self.distinct = dim, index, shape, distinct

    def forward(self, src):
        out = backend.get_array_module(src).zeros(self.shape, dtype=src.dtype)
        _scatter_add_array(out, _full_index(self.index, self.dim), src, self.distinct)
        return out

    def backward(self, gy):
        return Gather(self.dim, self.index, self.distinct)(gy)


class Scatter(Function):
    """out = x with out[positions] = src: the gradient goes to src and to x outside the positions."""

    def __init__(self, dim: int, index):
        self.dim, self.index = dim, index

    def forward(self, x, src):
        out = x.copy()
        out[_full_index(self.index, self.dim)] = src
        return out

    def backward(self, gy):
        gx = gsrc = None
        if self.needs_input_grad[0]:
            keep = gy.xp.ones(gy.shape, dtype=gy.dtype)
            keep[_full_index(self.index, self.dim)] = 0  # a constant mask: linear in gy
            gx = gy * Tensor(keep)
        if self.needs_input_grad[1]:
            gsrc = Gather(self.dim, self.index)(gy)
        return gx, gsrc


def _check_index(op: str, x: Tensor, dim, index, src_shape: tuple | None = None):
    """(dim, index array) after torch's checks: same rank, index no larger than x outside dim (and than
    src everywhere), entries in range."""
    dim = normalize_dim(op, dim, x.ndim)
    index = index_array(op, "index", index, x)
    if index.ndim == 0 and x.ndim <= 1:
        index = index.reshape((1,) * max(x.ndim, 1))
    x_shape = x.shape or (1,)
    if index.ndim != len(x_shape):
        raise RuntimeError(f"{op}: index tensor must have the same number of dimensions as input, got index "
                           f"{index.shape} and input {x.shape}")
    for d, n in enumerate(index.shape):
        if d != dim and n > x_shape[d]:
            raise RuntimeError(f"{op}: size of index {index.shape} exceeds the input's {x.shape} in dimension {d}")
        if src_shape is not None and n > (src_shape or (1,))[d]:
            raise RuntimeError(f"{op}: size of index {index.shape} exceeds the source's {src_shape} in dimension {d}")
    check_bounds(op, index, x_shape[dim], dim)
    return dim, index


def gather(input: Tensor, dim: int, index, *, sparse_grad: bool = False) -> Tensor:  # noqa: A002 - torch's names
    """Values along `dim` at `index`: ``out[i][j] = input[i][index[i][j]]`` for dim 1.

    `index` (int64) has input's number of dimensions and is no larger than input outside `dim`;
    the result has index's shape. Repeated indices accumulate their gradients.
    ``gather(x, 1, mg.tensor([[0, 0], [1, 0]]))``.
    """
    dim, idx = _check_index("gather", input, dim, index)
    x = reshape(input, (1,)) if input.ndim == 0 else input
    out = Gather(dim, idx)(x)
    return reshape(out, ()) if input.ndim == 0 else out


def _source(op: str, input: Tensor, src, value, index) -> Tensor:
    """src cropped to index's shape, or `value` filled to it; a number passed as src counts as value."""
    if src is not None and value is not None:
        raise TypeError(f"{op}: got both src and value; pass one")
    if src is None and value is None:
        raise TypeError(f"{op}: missing src (a tensor) or value (a number)")
    if src is None or not isinstance(src, Tensor) and np.ndim(src) == 0:
        fill = value if value is not None else src
        xp = backend.get_array_module(index)
        return Tensor(xp.full(index.shape, fill, dtype=input.dtype))
    src = as_operand(src, input)
    if src.dtype != input.dtype:
        raise TypeError(f"{op}: src ({src.dtype}) must have the dtype of input ({input.dtype})")
    src = reshape(src, (1,)) if src.ndim == 0 else src
    if src.shape != index.shape:
        src = getitem(src, tuple(slice(0, n) for n in index.shape))
    return src


def scatter(input: Tensor, dim: int, index, src=None, *, value=None) -> Tensor:  # noqa: A002 - torch's names
    """A copy of input with ``out[i][index[i][j]] = src[i][j]`` (dim 1); `src` may be a tensor or a number.

    Where an index repeats, which write wins is unspecified (as in torch); the gradient then
    reaches every src element written there. ``scatter(x, 0, idx, src)``, ``x.scatter(0, idx, 1.0)``.
    """
    src_shape = src.shape if isinstance(src, Tensor) and src.ndim else None
    dim, idx = _check_index("scatter", input, dim, index, src_shape)
    src = _source("scatter", input, src, value, idx)
    x = reshape(input, (1,)) if input.ndim == 0 else input
    out = Scatter(dim, idx)(x, src)
    return reshape(out, ()) if input.ndim == 0 else out


def scatter_add(input: Tensor, dim: int, index, src) -> Tensor:  # noqa: A002 - torch's names
    """A copy of input with ``out[i][index[i][j]] += src[i][j]`` (dim 1), repeated indices accumulating.

    ``scatter_add(mg.zeros(3), 0, mg.tensor([0, 0, 2]), mg.tensor([1.0, 2.0, 3.0]))`` gives [3, 0, 3].
    """
    src_shape = src.shape if isinstance(src, Tensor) and src.ndim else None
    dim, idx = _check_index("scatter_add", input, dim, index, src_shape)
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add: src must be a tensor, got {type(src).__name__}")
    src = _source("scatter_add", input, src, None, idx)
    x = reshape(input, (1,)) if input.ndim == 0 else input
    out = x + ScatterAddZeros(dim, idx, x.shape)(src)
    return reshape(out, ()) if input.ndim == 0 else out


def scatter_(input: Tensor, dim: int, index, src=None, *, value=None) -> Tensor:  # noqa: A002
    """`scatter` in place (differentiable inside the graph, as the other in-place ops)."""
    return _inplace(input, "scatter_", lambda old: scatter(old, dim, index, src, value=value), (src,))


def scatter_add_(input: Tensor, dim: int, index, src) -> Tensor:  # noqa: A002
    """`scatter_add` in place."""
    return _inplace(input, "scatter_add_", lambda old: scatter_add(old, dim, index, src), (src,))


def index_select(input: Tensor, dim: int, index) -> Tensor:  # noqa: A002 - torch's names
    """The slices of input at positions `index` (a 1-D int64 tensor) along `dim`.

    ``index_select(x, 0, mg.tensor([2, 0, 2]))`` picks rows 2, 0, 2 of a matrix; the gradient of a
    repeated row is the sum of its copies'.
    """
    dim = normalize_dim("index_select", dim, input.ndim)
    idx = index_array("index_select", "index", index, input)
    if idx.ndim > 1:
        raise IndexError(f"index_select: index is supposed to be a vector, got shape {idx.shape}")
    idx = idx.reshape(-1)
    size = input.shape[dim] if input.ndim else 1
    check_bounds("index_select", idx, size, dim)
    if input.ndim == 0:
        return getitem(reshape(input, (1,)), idx)
    return getitem(input, (slice(None),) * dim + (idx,))


def take(input: Tensor, index) -> Tensor:  # noqa: A002 - torch's names
    """input read as a flat (row-major) tensor at `index`; the result has index's shape.

    Negative indices count from the end, as in torch: ``take(x, mg.tensor([0, -1]))``.
    """
    idx = index_array("take", "index", index, input)
    n = input.numel()
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        if low < -n or high >= n:
            raise IndexError(f"take: out of range: tried to access index {low if low < -n else high} on a tensor "
                             f"of {n} elements")
    return getitem(reshape(input, (n,)), idx)


def masked_fill(input: Tensor, mask, value) -> Tensor:  # noqa: A002 - torch's names
    """input with `value` where the boolean `mask` (broadcast to input's shape) is True.

    `value` is a number or a 0-d tensor (which then gets the gradient of the filled places):
    ``logits.masked_fill(~allowed, float("-inf"))``.
    """
    mask = mask_array("masked_fill", mask, input)
    try:
        shape = np.broadcast_shapes(mask.shape, input.shape)
    except ValueError:
        shape = None
    if shape != input.shape:
        raise RuntimeError(f"masked_fill: mask of shape {mask.shape} cannot be broadcast to input's shape "
                           f"{input.shape}")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"masked_fill: value must be a number or a 0-d tensor, got a tensor of shape "
                           f"{value.shape}")
    fill = as_operand(value, input)
    if fill.dtype != input.dtype:
        fill = fill.astype(input.dtype)
    return where(mask, fill, input)


def masked_fill_(input: Tensor, mask, value) -> Tensor:  # noqa: A002 - torch's names
    """`masked_fill` in place: ``scores.masked_fill_(pad, -1e9)``."""
    return _inplace(input, "masked_fill_", lambda old: masked_fill(old, mask, value), (value,))


def masked_select(input: Tensor, mask) -> Tensor:  # noqa: A002 - torch's names
    """A 1-D tensor of input's elements where `mask` is True (both broadcast to one shape first)."""
    mask = mask_array("masked_select", mask, input)
    try:
        shape = np.broadcast_shapes(mask.shape, input.shape)
    except ValueError:
        raise RuntimeError(f"masked_select: mask of shape {mask.shape} and input of shape {input.shape} cannot "
                           "be broadcast together") from None
    xp = backend.get_array_module(mask)
    return getitem(broadcast_to(input, shape), xp.broadcast_to(mask, shape))


def nonzero(input: Tensor, *, as_tuple: bool = False):  # noqa: A002 - torch's names
    """The indices of input's nonzero elements: an int64 (count, ndim) tensor, or with `as_tuple`
    one 1-D tensor per dimension (the form ``x[mg.nonzero(x, as_tuple=True)]`` takes). Outside the graph."""
    arr = input.array
    xp = backend.get_array_module(arr)
    if as_tuple:
        flat = arr.reshape(1) if arr.ndim == 0 else arr
        return tuple(Tensor(i.astype(np.int64)) for i in xp.nonzero(flat))
    if arr.ndim == 0:
        return Tensor(xp.zeros((1 if bool(arr) else 0, 0), dtype=np.int64))
    return Tensor(xp.argwhere(arr).astype(np.int64))
