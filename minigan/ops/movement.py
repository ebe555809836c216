"""Shape ops with PyTorch's names built from the ones in shape.py: repeat, tile, repeat_interleave,
chunk, unbind, flip, roll, movedim, swapaxes, narrow, unflatten, the *_as forms, contiguous and
vstack/hstack/dstack.

Most are compositions of reshape, broadcast_to, getitem and concat, so their gradients (and
second derivatives) come from those; `Roll` is its own op, undone by rolling back.

>>> import minigan as mg
>>> mg.tensor([1.0, 2.0]).repeat(2), mg.tensor([1.0, 2.0]).repeat_interleave(2)
(tensor([1., 2., 1., 2.]), tensor([1., 1., 2., 2.]))
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from .dims import index_array, normalize_dim, normalize_dims
from .shape import Clone, broadcast_to, concat, expand, getitem, permute, reshape, split, transpose

__all__ = ["repeat", "tile", "repeat_interleave", "chunk", "unbind", "flip", "roll", "movedim", "moveaxis",
           "swapaxes", "swapdims", "narrow", "unflatten", "view_as", "expand_as", "reshape_as", "contiguous",
           "vstack", "hstack", "dstack", "atleast_1d", "atleast_2d", "atleast_3d"]


def _sizes(sizes: tuple) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` alike."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    return tuple(int(s) for s in sizes)


def repeat(input: Tensor, *sizes) -> Tensor:  # noqa: A002 - torch's names
    """The tensor tiled `sizes` times along each dimension (torch's repeat, NumPy's tile); extra
    leading sizes add dimensions. ``x.repeat(2, 1)`` stacks two copies of a matrix."""
    sizes = _sizes(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(f"repeat: number of dimensions of repeat dims {sizes} can not be smaller than the "
                           f"number of dimensions of the tensor {input.shape}")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat: repeats {sizes} must be non-negative")
    shape = (1,) * (len(sizes) - input.ndim) + input.shape
    # (s0, s1, ...) -> (1, s0, 1, s1, ...) -> broadcast (r0, s0, r1, s1, ...) -> (r0*s0, r1*s1, ...)
    spread = reshape(input, tuple(v for s in shape for v in (1, s)))
    tiled = broadcast_to(spread, tuple(v for r, s in zip(sizes, shape) for v in (r, s)))
    return reshape(tiled, tuple(r * s for r, s in zip(sizes, shape)))


def tile(input: Tensor, dims) -> Tensor:  # noqa: A002 - torch's names
    """torch.tile: `repeat`, with ones prepended to `dims` when it is shorter than the shape."""
    dims = _sizes((dims,) if isinstance(dims, int) else tuple(dims))
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *,  # noqa: A002
                      output_size: int | None = None) -> Tensor:
    """Each element repeated `repeats` times along `dim` (None: of the flattened tensor); `repeats`
    is an int or a tensor of one count per element. ``x.repeat_interleave(2, dim=0)``.

    ``repeat_interleave(counts)`` with only an int64 tensor gives ``arange(len(counts))`` repeated.
    """
    if repeats is None:  # torch.repeat_interleave(repeats): the indices, repeated
        counts = index_array("repeat_interleave", "repeats", input, input)
        xp = backend.get_array_module(counts)
        return Tensor(xp.repeat(xp.arange(counts.size, dtype=np.int64), counts.reshape(-1)))
    x = reshape(input, (input.numel(),)) if dim is None else input
    axis = 0 if dim is None else normalize_dim("repeat_interleave", dim, x.ndim)
    if x.ndim == 0:
        x = reshape(x, (1,))
    n = x.shape[axis]
    if isinstance(repeats, (int, np.integer)) or (isinstance(repeats, Tensor) and repeats.numel() == 1):
        r = int(repeats.array.reshape(())) if isinstance(repeats, Tensor) else int(repeats)
        if r < 0:
            raise RuntimeError(f"repeat_interleave: repeats must be non-negative, got {r}")
        spread = reshape(x, x.shape[:axis + 1] + (1,) + x.shape[axis + 1:])
        tiled = broadcast_to(spread, x.shape[:axis + 1] + (r,) + x.shape[axis + 1:])
        return reshape(tiled, x.shape[:axis] + (n * r,) + x.shape[axis + 1:])
    counts = index_array("repeat_interleave", "repeats", repeats, x).reshape(-1)
    if counts.size != n:
        raise RuntimeError(f"repeat_interleave: repeats must have the same size as input along dim, got "
                           f"{counts.size} repeats for size {n}")
    if counts.size and int(counts.min()) < 0:
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    xp = backend.get_array_module(counts)
    where_from = xp.repeat(xp.arange(n, dtype=np.int64), counts)
    return getitem(x, (slice(None),) * axis + (where_from,))


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:  # noqa: A002 - torch's names
    """At most `chunks` pieces along `dim`, each of ceil(size / chunks) but the last (so fewer pieces
    may come back, as in torch): ``a, b = x.chunk(2, dim=1)``."""
    if chunks <= 0:
        raise RuntimeError(f"chunk: expects `chunks` to be greater than 0, got: {chunks}")
    axis = normalize_dim("chunk", dim, input.ndim)
    n = input.shape[axis]
    if n == 0:
        return (input,)
    return split(input, -(-n // chunks), axis)


def unbind(input: Tensor, dim: int = 0) -> tuple:  # noqa: A002 - torch's names
    """The slices along `dim`, that dimension removed: ``rows = x.unbind(0)``."""
    axis = normalize_dim("unbind", dim, input.ndim)
    shape = input.shape[:axis] + input.shape[axis + 1:]
    return tuple(reshape(piece, shape) for piece in split(input, 1, axis))


def flip(input: Tensor, dims) -> Tensor:  # noqa: A002 - torch's names
    """The order of elements reversed along each of `dims`: ``x.flip(-1)``, ``mg.flip(x, (0, 1))``."""
    axes = normalize_dims("flip", dims, input.ndim)
    if not axes or input.ndim == 0:
        return getitem(input, ...)
    return getitem(input, tuple(slice(None, None, -1) if d in axes else slice(None) for d in range(input.ndim)))


class Roll(Function):
    """Elements shifted cyclically along `axes` by `shifts`; rolling back is its own adjoint."""

    def __init__(self, shifts: tuple, axes: tuple):
        self.shifts, self.axes = shifts, axes

    def forward(self, x):
        return backend.get_array_module(x).roll(x, self.shifts, axis=self.axes)

    def backward(self, gy):
        return Roll(tuple(-s for s in self.shifts), self.axes)(gy)


def roll(input: Tensor, shifts, dims=None) -> Tensor:  # noqa: A002 - torch's names
    """Elements shifted cyclically by `shifts` along `dims` (None: of the flattened tensor, shape kept).

    ``x.roll(1, 0)`` moves the last row to the top; ``x.roll((1, -1), (0, 1))`` shifts two dimensions.
    """
    shifts = (int(shifts),) if isinstance(shifts, (int, np.integer)) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts {shifts} need dims when there is more than one")
        return reshape(Roll(shifts, (0,))(reshape(input, (input.numel(),))), input.shape)
    axes = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(axes) != len(shifts):
        raise RuntimeError(f"roll: shifts and dimensions must align, got shifts {shifts} and dims {axes}")
    axes = tuple(normalize_dim("roll", d, input.ndim) for d in axes)
    if input.ndim == 0:
        return getitem(input, ...)
    return Roll(shifts, axes)(input)


def movedim(input: Tensor, source, destination) -> Tensor:  # noqa: A002 - torch's names
    """Dimensions `source` moved to positions `destination` (ints or sequences), the others keeping
    their order: ``mg.movedim(images, 1, -1)`` turns NCHW into NHWC."""
    src = normalize_dims("movedim", source, input.ndim)
    dst = normalize_dims("movedim", destination, input.ndim)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                           f"contain the same number of dims as destination ({list(dst)} dims)")
    rest = iter(d for d in range(input.ndim) if d not in src)
    placed = dict(zip(dst, src))
    order = tuple(placed[i] if i in placed else next(rest) for i in range(input.ndim))
    return permute(input, order) if input.ndim else input


moveaxis = movedim


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:  # noqa: A002 - torch's names
    """Two dimensions exchanged (torch.transpose under NumPy's name)."""
    a, b = normalize_dim("swapaxes", axis0, input.ndim), normalize_dim("swapaxes", axis1, input.ndim)
    return transpose(input, a, b) if input.ndim else input


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002 - torch's names
    """Two dimensions exchanged (another name of torch.transpose)."""
    a, b = normalize_dim("swapdims", dim0, input.ndim), normalize_dim("swapdims", dim1, input.ndim)
    return transpose(input, a, b) if input.ndim else input


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:  # noqa: A002 - torch's names
    """`length` elements along `dim` from `start` (negative counts from the end): ``x.narrow(1, 2, 3)``."""
    axis = normalize_dim("narrow", dim, input.ndim)
    if input.ndim == 0:
        raise RuntimeError("narrow: cannot be applied to a 0-dim tensor")
    size = input.shape[axis]
    start = int(start.array) if isinstance(start, Tensor) else int(start)
    if not -size <= start <= size:
        raise IndexError(f"narrow: start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    start %= size if size else 1
    if length < 0 or start + length > size:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return getitem(input, (slice(None),) * axis + (slice(start, start + length),))


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:  # noqa: A002 - torch's names
    """Dimension `dim` split into `sizes` (one may be -1): ``x.unflatten(1, (3, -1))``."""
    axis = normalize_dim("unflatten", dim, input.ndim)
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = input.shape[axis]
    known = int(np.prod([s for s in sizes if s != -1]))
    if sizes.count(-1) > 1 or (-1 in sizes and (known == 0 or n % known)) or (-1 not in sizes and known != n):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
                           f"{axis} ({n}) in the input tensor")
    sizes = tuple(n // known if s == -1 else s for s in sizes)
    return reshape(input, input.shape[:axis] + sizes + input.shape[axis + 1:])


def view_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - torch's names
    """input reshaped to other's shape."""
    return reshape(input, other.shape)


reshape_as = view_as


def expand_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - torch's names
    """input broadcast to other's shape."""
    return expand(input, other.shape)


def contiguous(input: Tensor) -> Tensor:  # noqa: A002 - torch's names
    """input itself when its array is C-contiguous, else a C-ordered copy in the graph (a transposed
    or feature-major array becomes row-major)."""
    if input.array.flags.c_contiguous:
        return input
    return Clone()(input)


def atleast_1d(input: Tensor) -> Tensor:  # noqa: A002
    """A 0-d tensor as shape (1,); others as they are."""
    return reshape(input, (1,)) if input.ndim == 0 else input


def atleast_2d(input: Tensor) -> Tensor:  # noqa: A002
    """0-d as (1, 1), 1-d (n,) as (1, n); others as they are."""
    return reshape(input, (1,) * (2 - input.ndim) + input.shape) if input.ndim < 2 else input


def atleast_3d(input: Tensor) -> Tensor:  # noqa: A002
    """0-d as (1, 1, 1), (n,) as (1, n, 1), (m, n) as (m, n, 1), as torch and NumPy."""
    if input.ndim == 0:
        return reshape(input, (1, 1, 1))
    if input.ndim == 1:
        return reshape(input, (1,) + input.shape + (1,))
    return reshape(input, input.shape + (1,)) if input.ndim == 2 else input


def _tensors(op: str, tensors: Sequence) -> list:
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise RuntimeError(f"{op}: expects a non-empty TensorList")
    return tensors


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Rows stacked: 1-D tensors become rows, then they are joined along dimension 0."""
    return concat([atleast_2d(t) for t in _tensors("vstack", tensors)], 0)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Joined along dimension 1 (dimension 0 for 1-D tensors)."""
    tensors = [atleast_1d(t) for t in _tensors("hstack", tensors)]
    return concat(tensors, 0 if tensors[0].ndim == 1 else 1)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Joined along dimension 2 after each is made at least 3-D (`atleast_3d`)."""
    return concat([atleast_3d(t) for t in _tensors("dstack", tensors)], 2)
