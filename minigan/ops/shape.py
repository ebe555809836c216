"""Shape ops: reshape, transpose/permute, broadcast_to/sum_to, concat/stack/split, pad, getitem, clone.

These move values around without arithmetic, so each backward is the inverse
movement (reshape back, transpose back, sum back, slice back), itself made of
these same ops: second derivatives come for free.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import backend
from ..autograd import Function, Tensor


def _normalize_axis(axis: int, ndim: int, op: str) -> int:
    if not -(ndim or 1) <= axis < (ndim or 1):  # a 0-d tensor takes 0 and -1, as in PyTorch
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of {ndim} dimensions")
    return axis % ndim if ndim else 0


class Reshape(Function):
    def __init__(self, shape: tuple):
        self.shape = shape

    def forward(self, x):
        self.source = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                             f"({x.size} elements) into shape {self.shape}") from None

    def backward(self, gy):
        return reshape(gy, self.source)


def reshape(x: Tensor, *shape) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if tuple(shape) == x.shape:
        return x
    return Reshape(tuple(shape))(x)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions start_dim..end_dim (PyTorch semantics)."""
    if x.ndim == 0:
        return reshape(x, (1,))
    s = _normalize_axis(start_dim, x.ndim, "flatten")
    e = _normalize_axis(end_dim, x.ndim, "flatten")
    shape = x.shape[:s] + (int(np.prod(x.shape[s:e + 1])),) + x.shape[e + 1:]
    return reshape(x, shape)


class Transpose(Function):
    def __init__(self, axes: tuple):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        return Transpose(tuple(np.argsort(self.axes)))(gy)


def permute(x: Tensor, *axes) -> Tensor:
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
        raise ValueError(f"permute: axes {axes} are not a permutation of the {x.ndim} dimensions")
    return Transpose(tuple(a % x.ndim for a in axes))(x)


def transpose(x: Tensor, dim0: int | None = None, dim1: int | None = None) -> Tensor:
    """Swap two dimensions, or reverse them all when none are given (like ndarray.T)."""
    if dim0 is None:
        return Transpose(tuple(reversed(range(x.ndim))))(x)
    axes = list(range(x.ndim))
    i, j = _normalize_axis(dim0, x.ndim, "transpose"), _normalize_axis(dim1, x.ndim, "transpose")
    axes[i], axes[j] = axes[j], axes[i]
    return Transpose(tuple(axes))(x)


class BroadcastTo(Function):
    def __init__(self, shape: tuple):
        self.shape = shape

    def forward(self, x):
        self.source = x.shape
        try:
            return backend.get_array_module(x).broadcast_to(x, self.shape)
        except ValueError:
            raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {self.shape}") from None

    def backward(self, gy):
        return sum_to(gy, self.source)


def broadcast_to(x: Tensor, shape) -> Tensor:
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return BroadcastTo(shape)(x)


def expand(x: Tensor, *shape) -> Tensor:
    """PyTorch's expand: -1 keeps a dimension."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    offset = len(shape) - x.ndim
    if offset < 0 or any(s == -1 for s in shape[:offset]):
        raise ValueError(f"expand: cannot expand shape {x.shape} to {tuple(shape)} "
                         "(-1 only keeps an existing dimension)")
    full = tuple(x.shape[i - offset] if s == -1 else s for i, s in enumerate(shape))
    return broadcast_to(x, full)


def _sum_to_array(x, shape: tuple):
    """Sum an array down to `shape` (the reverse of broadcasting)."""
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)
    y = x.sum(axis=axes, keepdims=True) if axes else x
    if lead:
        y = y.reshape(shape)
    return y


class SumTo(Function):
    def __init__(self, shape: tuple):
        self.shape = shape

    def forward(self, x):
        self.source = x.shape
        return _sum_to_array(x, self.shape)

    def backward(self, gy):
        return broadcast_to(gy, self.source)


def sum_to(x: Tensor, shape) -> Tensor:
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return SumTo(shape)(x)


def squeeze(x: Tensor, dim: int | tuple | None = None, *, axis: int | tuple | None = None) -> Tensor:
    """Drop the size-1 dimensions `dim` (or ``axis=``; None: all of them)."""
    if axis is not None:
        dim = _one_spelling("squeeze", dim, axis, None)
    if dim is None:
        return reshape(x, tuple(s for s in x.shape if s != 1))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = {_normalize_axis(d, x.ndim, "squeeze") for d in dims}
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1)))


def unsqueeze(x: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """Insert a size-1 dimension at `dim` (or ``axis=``)."""
    dim = _one_spelling("unsqueeze", dim, axis, None)
    if dim is None:
        raise TypeError("unsqueeze: missing the dimension (dim= or axis=)")
    dim = _normalize_axis(dim, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


class Concat(Function):
    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return backend.get_array_module(*xs).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        return split(gy, self.sizes, self.axis)


def _one_spelling(op: str, dim, axis, default):
    """PyTorch's dim= or NumPy's axis= (one of them), else `default`."""
    if axis is not None and dim is not None and dim != default:
        raise TypeError(f"{op}: got both dim={dim!r} and axis={axis!r}; they are the same argument, pass one")
    return axis if axis is not None else dim


def concat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along dimension `dim` (or ``axis=``); their other dimensions must match."""
    dim = _one_spelling("concat", dim, axis, 0)
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concat: needs at least one tensor")
    ref = tensors[0]
    axis = _normalize_axis(dim, ref.ndim, "concat")
    for t in tensors[1:]:
        if t.ndim != ref.ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, ref.shape)) if i != axis):
            raise ValueError(f"concat: shapes {ref.shape} and {t.shape} differ outside dimension {axis}")
    return Concat(axis)(*tensors)


cat = concat


def stack(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join same-shaped tensors along a new dimension `dim` (or ``axis=``)."""
    dim = _one_spelling("stack", dim, axis, 0)
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: all tensors need the same shape, got {tensors[0].shape} and {t.shape}")
    dim = _normalize_axis(dim, tensors[0].ndim + 1, "stack")
    return concat([unsqueeze(t, dim) for t in tensors], dim)


class Split(Function):
    def __init__(self, sizes: Sequence[int], axis: int):
        self.sizes, self.axis = list(sizes), axis

    def forward(self, x):
        bounds = [int(b) for b in np.cumsum(self.sizes)[:-1]]
        return tuple(backend.get_array_module(x).split(x, bounds, axis=self.axis))

    def backward(self, *gys):
        return concat(gys, self.axis)


def split(x: Tensor, split_size_or_sections, dim: int = 0, *, axis: int | None = None) -> tuple:
    """PyTorch's split along `dim` (or ``axis=``): an int is a chunk size, a list gives each chunk's size."""
    dim = _one_spelling("split", dim, axis, 0)
    axis = _normalize_axis(dim, x.ndim, "split")
    n = x.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError(f"split: chunk size must be positive, got {step}")
        sizes = [min(step, n - i) for i in range(0, n, step)]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} do not add up to {n}, the size of dimension {axis}")
    out = Split(sizes, axis)(x)
    return out if isinstance(out, tuple) else (out,)


class Pad(Function):
    """Constant padding; `pad_width` is NumPy's ((before, after), ...) per axis."""

    def __init__(self, pad_width: tuple, value: float):
        self.pad_width, self.value = pad_width, value

    def forward(self, x):
        return backend.get_array_module(x).pad(x, self.pad_width, mode="constant", constant_values=self.value)

    def backward(self, gy):
        index = tuple(slice(b, gy.shape[i] - a) for i, (b, a) in enumerate(self.pad_width))
        return gy[index]


def pad(x: Tensor, pad_width, value: float = 0.0) -> Tensor:
    """Pad with a constant. `pad_width`: NumPy style per axis, or PyTorch's flat
    (last_before, last_after, prev_before, prev_after, ...) tuple of ints."""
    pw = list(pad_width)
    if pw and all(isinstance(p, (int, np.integer)) for p in pw):
        if len(pw) % 2 or len(pw) // 2 > x.ndim:
            raise ValueError(f"pad: flat padding {tuple(pw)} needs an even length of at most {2 * x.ndim}")
        pairs = [(0, 0)] * x.ndim
        for k in range(len(pw) // 2):
            pairs[x.ndim - 1 - k] = (pw[2 * k], pw[2 * k + 1])
        pw = pairs
    pw = tuple((int(b), int(a)) for b, a in pw)
    if len(pw) != x.ndim or any(b < 0 or a < 0 for b, a in pw):
        raise ValueError(f"pad: padding {pw} does not fit a tensor of shape {x.shape} (one non-negative pair per axis)")
    return Pad(pw, value)(x)


def _index_array(k):
    """A Tensor or list inside an index as an array PyTorch would accept: integers pick, bool
    (and uint8, PyTorch's legacy mask) select; a float index is PyTorch's IndexError."""
    arr = k.array if isinstance(k, Tensor) else np.asarray(k)
    kind = arr.dtype.kind
    if kind == "u" and arr.dtype.itemsize == 1:
        return arr.astype(bool)
    if kind == "f" and arr.size == 0 and not isinstance(k, Tensor):
        return arr.astype(np.int64)  # x[[]]: NumPy reads an empty list as float
    if kind not in "biu":
        raise IndexError(f"getitem: tensors used as indices must be long, int, byte or bool tensors, got {arr.dtype}")
    return arr


def _index_key(key):
    """Tensors (and lists) inside an index become index arrays (see `_index_array`)."""
    if isinstance(key, (Tensor, list)):
        return _index_array(key)
    if isinstance(key, tuple):
        return tuple(_index_array(k) if isinstance(k, (Tensor, list)) else k for k in key)
    return key


class GetItem(Function):
    def __init__(self, key):
        self.key = key

    def forward(self, x):
        self.source = x.shape
        try:
            return x[self.key]
        except IndexError as exc:
            raise IndexError(f"getitem: index {self.key!r} is invalid for shape {x.shape}: {exc}") from None

    def backward(self, gy):
        return GetItemGrad(self.key, self.source)(gy)


class GetItemGrad(Function):
    """Scatter-add into zeros: the adjoint of indexing, so repeated indices accumulate."""

    def __init__(self, key, shape: tuple):
        self.key, self.shape = key, shape

    def forward(self, gy):
        xp = backend.get_array_module(gy)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        if _never_repeats(self.key):
            gx[self.key] = gy
        elif xp is np:
            np.add.at(gx, self.key, gy)
        else:
            import cupyx  # deferred: CuPy is optional. Its scatter-add (ufunc.at is missing from older CuPy)
            cupyx.scatter_add(gx, self.key, gy)
        return gx

    def backward(self, ggx):
        return ggx[self.key]


def _never_repeats(key) -> bool:
    """Basic indexing, or a single boolean mask: each element is picked at most once, so a
    plain assignment scatters the gradient (integer arrays may repeat and need a scatter-add)."""
    keys = key if isinstance(key, tuple) else (key,)
    if len(keys) == 1 and getattr(keys[0], "dtype", None) == np.bool_:
        return True
    return all(k is None or k is Ellipsis or isinstance(k, (int, slice, np.integer)) for k in keys)


def prepare_key(x: Tensor, key):
    """An index for `x.array`: tensors become arrays, on `x`'s device (getitem and setitem share it)."""
    key = _index_key(key)
    if type(x.array) is not np.ndarray:  # CuPy wants its index arrays on the GPU too
        device = x.device
        move = lambda k: backend.to_device(k, device) if isinstance(k, np.ndarray) else k  # noqa: E731
        key = tuple(move(k) for k in key) if isinstance(key, tuple) else move(key)
    return key


def getitem(x: Tensor, key) -> Tensor:
    """x[key] with NumPy's basic and advanced indexing; repeated indices accumulate in backward."""
    return GetItem(prepare_key(x, key))(x)


class Clone(Function):
    """A copy with its own array (and version counter); the gradient passes through."""

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


def clone(x: Tensor) -> Tensor:
    """A copy of `x` in the graph: change it in place without touching `x`.

    >>> import minigan as mg
    >>> x = mg.tensor([1.0, 2.0])
    >>> y = x.clone(); y[0] = 5.0
    >>> x, y
    (tensor([1., 2.]), tensor([5., 2.]))
    """
    return Clone()(x)
