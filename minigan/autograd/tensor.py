"""Tensor: an array, its gradient and the Function that made it.

The operators and methods a user calls (``x + y``, ``x.sum()``, ``x.relu()``) are
written here in the class body so ``help(minigan.Tensor)`` lists them; each looks its op
up in `minigan.ops` when called (Chainer's late binding), because the ops sit above the
engine and the engine may not import them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .. import backend
from ..backend import Device
from .hooks import RemovableHandle

if TYPE_CHECKING:
    from .function import Function

# ---- dtypes -------------------------------------------------------------------------------

DEFAULT_DTYPE = np.float32


def _is_float(dtype) -> bool:
    return np.dtype(dtype).kind in "fc"


# ---- Tensor -------------------------------------------------------------------------------


class Tensor:
    """An array with a gradient and the function that made it.

    ``data`` is a NumPy or CuPy array; ``creator`` is the `Function` whose output
    this is (None for leaves); ``generation`` orders the backward pass.
    """

    __slots__ = ("data", "_grad", "_requires_grad", "creator", "generation", "_retains_grad",
                 "_hooks", "name", "_writes", "__weakref__")
    # Make `ndarray + tensor` defer to Tensor.__radd__ instead of looping element-wise.
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None):
        if type(data) is not np.ndarray:  # the hot path (every op output) skips all of this
            if isinstance(data, Tensor):
                data = data.data
            elif isinstance(data, np.generic):
                # NumPy turns 0-d results into scalars; keep an array (writable, with its dtype)
                data = np.asarray(data)
            elif not isinstance(data, np.ndarray) and not _is_cupy_array(data):
                data = np.asarray(data)  # Python numbers and lists: floats become float32
                if data.dtype == np.float64:
                    data = data.astype(DEFAULT_DTYPE)
        self.data = data
        self._grad: Tensor | None = None
        self._requires_grad = False
        self.creator: Function | None = None
        self.generation = 0
        self._retains_grad = False
        self._hooks: dict | None = None  # {handle id: hook}, in registration order
        self.name = name
        self._writes: list | None = None  # clock stamps of in-place writes (autograd/version.py)
        if requires_grad:
            self.requires_grad = True

    # -- descriptive properties
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self) -> Device:
        return backend.device_of(self.data)

    @property
    def xp(self):
        return backend.get_array_module(self.data)

    @property
    def is_leaf(self) -> bool:
        return self.creator is None

    @property
    def grad_fn(self) -> "Function | None":
        return self.creator

    @property
    def grad(self) -> "Tensor | None":
        """The accumulated gradient (None until a backward reaches this tensor)."""
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        # Checked here so a wrong gradient fails where it is assigned, not at opt.step(); the
        # engine writes `_grad` directly (its gradients are checked as they are made).
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad must be a Tensor or None, got {type(value).__name__}")
            if value.data.shape != self.data.shape:
                raise RuntimeError(f"assigned grad has shape {value.shape} but the tensor has shape {self.shape}")
            if (type(value.data) is not np.ndarray or type(self.data) is not np.ndarray) \
                    and value.device != self.device:  # two NumPy arrays: both on the CPU, nothing to ask
                raise RuntimeError(f"assigned grad is on {value.device} but the tensor is on {self.device}")
        self._grad = value

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and not _is_float(self.data.dtype):
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        if not value and self.creator is not None:
            raise RuntimeError("requires_grad can only be switched off on leaf tensors; use detach()")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __repr__(self) -> str:
        body = np.array2string(backend.as_numpy(self.data), separator=", ", precision=4,
                               threshold=50, prefix="tensor(")
        extras = []
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if self.data.dtype != DEFAULT_DTYPE:
            extras.append(f"dtype={self.data.dtype}")
        if self.creator is not None:
            extras.append(f"grad_fn=<{type(self.creator).__name__}Backward>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __hash__ = object.__hash__

    # -- conversions
    def numpy(self) -> np.ndarray:
        """A host NumPy array (copied from the GPU when needed); never part of the graph."""
        return backend.as_numpy(self.data)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor with shape {self.shape} is ambiguous")
        return bool(self.item())

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr.astype(dtype) if dtype is not None else arr

    def detach(self) -> "Tensor":
        """The same data, cut from the graph; it shares the version counter (as in PyTorch)."""
        out = Tensor(self.data)
        if self._writes is None:
            self._writes = []
        out._writes = self._writes
        return out

    def to(self, device: "str | Device | None" = None, dtype=None) -> "Tensor":
        """Move (differentiably) to a device and/or cast to a dtype.

        ``t.to("cuda")``, ``t.to("cpu", "float64")``, ``t.to(minigan.float64)`` and
        ``t.to(np.float32)`` all work; the gradient flows back to the original device and dtype.
        """
        if device is not None and not isinstance(device, Device) and not (
                isinstance(device, str) and device.strip().lower().startswith(("cpu", "cuda"))):
            if dtype is None and isinstance(device, str):
                try:
                    np.dtype(device)
                except TypeError:
                    raise TypeError(f"to({device!r}): {device!r} is neither a device ('cpu', 'cuda', 'cuda:N') "
                                     "nor a dtype ('float32', 'float64', ...)") from None
            device, dtype = None, device  # t.to(np.float64) or t.to("float64")
        out = self
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            out = out.astype(dtype)
        if device is not None and Device(device) != out.device:
            from .function import ToDevice  # circle: Function builds Tensors, so function.py imports this file
            out = ToDevice(Device(device))(out)
        return out

    def cpu(self) -> "Tensor": return self.to("cpu")
    def cuda(self, index: int | None = None) -> "Tensor": return self.to("cuda" if index is None else f"cuda:{index}")
    def float(self) -> "Tensor": return self.to(dtype=np.float32)
    def double(self) -> "Tensor": return self.to(dtype=np.float64)

    # -- operators and methods: each calls its op in minigan.ops (bound late, see `_ops` below)
    def __add__(self, other): return _ops.add(self, other)
    def __radd__(self, other): return _ops.add(other, self)
    def __sub__(self, other): return _ops.sub(self, other)
    def __rsub__(self, other): return _ops.sub(other, self)
    def __mul__(self, other): return _ops.mul(self, other)
    def __rmul__(self, other): return _ops.mul(other, self)
    def __truediv__(self, other): return _ops.div(self, other)
    def __rtruediv__(self, other): return _ops.div(other, self)
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
    __hash__ = object.__hash__  # __eq__ is element-wise, identity stays the hash (as in PyTorch)
    def __getitem__(self, key): return _ops.getitem(self, key)

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

    # reductions take NumPy's axis=/keepdims= or PyTorch's dim=/keepdim= (ops/reduce.py: resolve_dim)
    def sum(self, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None):
        return _ops.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)
    def mean(self, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None):
        return _ops.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)
    def var(self, axis=None, keepdims: bool = False, unbiased: bool = False, correction: int | None = None, *,
            dim=None, keepdim: bool | None = None):
        return _ops.var(self, axis, keepdims, unbiased, correction, dim=dim, keepdim=keepdim)
    def std(self, axis=None, keepdims: bool = False, unbiased: bool = False, correction: int | None = None, *,
            dim=None, keepdim: bool | None = None):
        return _ops.std(self, axis, keepdims, unbiased, correction, dim=dim, keepdim=keepdim)
    def norm(self, p: "float | str" = 2, dim=None, keepdim: bool = False, *, axis=None, keepdims: bool | None = None):
        return _ops.norm(self, p, dim, keepdim, axis=axis, keepdims=keepdims)
    def max(self, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None):
        return _ops.max(self, axis, keepdims, dim=dim, keepdim=keepdim)
    def min(self, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None):
        return _ops.min(self, axis, keepdims, dim=dim, keepdim=keepdim)
    def logsumexp(self, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None):
        return _ops.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)
    def argmax(self, axis: int | None = None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None):
        return _ops.argmax(self, axis, keepdims, dim=dim, keepdim=keepdim)
    def argmin(self, axis: int | None = None, keepdims: bool = False, *, dim=None, keepdim: bool | None = None):
        return _ops.argmin(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def numel(self) -> int:
        """The number of elements (PyTorch's name for `size`)."""
        return self.data.size

    def t(self) -> "Tensor":
        """PyTorch's t(): a matrix transposed; 0-d and 1-d tensors come back as they are."""
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor of at most 2 dimensions, got shape {self.shape}; use mT or permute")
        return self if self.ndim < 2 else _ops.transpose(self)

    def reshape(self, *shape): return _ops.reshape(self, *shape)
    view = reshape
    def flatten(self, start_dim: int = 0, end_dim: int = -1): return _ops.flatten(self, start_dim, end_dim)
    def permute(self, *axes): return _ops.permute(self, *axes)
    def transpose(self, dim0: int | None = None, dim1: int | None = None): return _ops.transpose(self, dim0, dim1)
    def broadcast_to(self, shape): return _ops.broadcast_to(self, shape)
    def expand(self, *shape): return _ops.expand(self, *shape)
    def sum_to(self, shape): return _ops.sum_to(self, shape)
    def squeeze(self, dim=None, *, axis=None): return _ops.squeeze(self, dim, axis=axis)
    def unsqueeze(self, dim: int | None = None, *, axis: int | None = None): return _ops.unsqueeze(self, dim, axis=axis)
    def split(self, split_size_or_sections, dim: int = 0, *, axis: int | None = None):
        return _ops.split(self, split_size_or_sections, dim, axis=axis)
    def pad(self, pad_width, value: float = 0.0): return _ops.pad(self, pad_width, value)
    def matmul(self, other): return _ops.matmul(self, other)

    @property
    def T(self) -> "Tensor":
        """All axes reversed."""
        return _ops.transpose(self)

    @property
    def mT(self) -> "Tensor":
        """The last two axes swapped (a batch of matrices transposed)."""
        return _ops.transpose(self, -1, -2)

    # -- in-place operations and the version counter (ops/inplace.py, autograd/version.py)
    @property
    def _version(self) -> int:
        """How many times this tensor was changed in place (PyTorch's ``t._version``)."""
        return 0 if self._writes is None else len(self._writes)

    def __setitem__(self, key, value) -> None:
        """``t[key] = value``; inside the graph the gradient flows to `value` and to t outside `key`."""
        _ops.setitem(self, key, value)

    def add_(self, other, alpha: float = 1) -> "Tensor": return _ops.add_(self, other, alpha)
    def sub_(self, other, alpha: float = 1) -> "Tensor": return _ops.sub_(self, other, alpha)
    def mul_(self, other) -> "Tensor": return _ops.mul_(self, other)
    def div_(self, other) -> "Tensor": return _ops.div_(self, other)
    def zero_(self) -> "Tensor": return _ops.zero_(self)
    def fill_(self, value) -> "Tensor": return _ops.fill_(self, value)
    def clamp_(self, min=None, max=None) -> "Tensor": return _ops.clamp_(self, min, max)  # noqa: A002
    clip_ = clamp_
    def copy_(self, src) -> "Tensor": return _ops.copy_(self, src)

    # -- autograd API
    def retain_grad(self) -> None:
        """Keep `.grad` on a non-leaf tensor after backward (leaves always keep it)."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self.creator is not None:
            self._retains_grad = True

    def register_hook(self, hook: Callable[["Tensor"], "Tensor | None"]):
        """Call `hook(grad)` when this tensor's gradient is ready; a returned tensor replaces it.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    def zero_grad(self) -> None:
        self._grad = None

    def backward(self, gradient: "Tensor | Any | None" = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad`."""
        from .engine import backward  # circle: the engine works on Tensors, so engine.py imports this file
        backward([self], [gradient], retain_graph=retain_graph, create_graph=create_graph)


# minigan.ops, bound by ops/__init__.py when it is imported. The ops sit above the engine, so
# this file may not import them; the methods above look each op up here when they are called.
_ops: Any = None


def _is_cupy_array(obj) -> bool:
    cp = backend._cupy
    return cp is not None and isinstance(obj, cp.ndarray)
