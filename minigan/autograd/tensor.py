"""Tensor: an array, its gradient and the Function that made it.

This file holds the storage, the gradient and the autograd API. The operators and methods a
user calls (``x + y``, ``x.sum()``, ``x[i]``) come from two base classes, `MathMethods`
(tensor_math.py) and `ShapeMethods` (tensor_shape.py); ``help(minigan.Tensor)`` lists them all.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .. import backend
from ..backend import Device
from .graph import Node, backward_name, node_of
from .hooks import RemovableHandle
from .tensor_math import MathMethods
from .tensor_meta import _REPR_IMPLIED, _TYPE_NAMES, Size, _dim_index, as_dtype
from .tensor_shape import ShapeMethods

if TYPE_CHECKING:
    from .function import Function

# ---- dtypes -------------------------------------------------------------------------------

DEFAULT_DTYPE = np.float32

def _is_float(dtype) -> bool:
    return np.dtype(dtype).kind in "fc"


# ---- Tensor -------------------------------------------------------------------------------


class Tensor(MathMethods, ShapeMethods):
    """An array with a gradient and the function that made it.

    ``array`` is the NumPy or CuPy array (Chainer's name); ``data`` is PyTorch's: the
    same storage as a Tensor outside the graph, so ``nn.init.normal_(m.weight.data, 0, 0.02)``
    and ``p.data.clamp_(-c, c)`` work as they do there. ``creator`` is the `Function` whose
    output this is (None for leaves); ``generation`` orders the backward pass.
    """

    __slots__ = ("array", "_grad", "_requires_grad", "creator", "generation", "_retains_grad",
                 "_hooks", "name", "_writes", "__weakref__")
    # Make `ndarray + tensor` defer to Tensor.__radd__ instead of looping element-wise.
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None):
        if type(data) is not np.ndarray:  # the hot path (every op output) skips all of this
            if isinstance(data, Tensor):
                data = data.array
            elif isinstance(data, np.generic):
                # NumPy turns 0-d results into scalars; keep an array (writable, with its dtype)
                data = np.asarray(data)
            elif not isinstance(data, np.ndarray) and not _is_cupy_array(data):
                data = np.asarray(data)  # Python numbers and lists: floats become float32
                if data.dtype == np.float64:
                    data = data.astype(DEFAULT_DTYPE)
        self.array = data
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

    @property
    def data(self) -> "Tensor":
        """This tensor's storage as a Tensor outside the graph (PyTorch's ``.data``).

        Writes through it (``t.data.mul_(2)``, ``t.data[0] = 1``) change this tensor without
        being recorded and without bumping its version counter, as in PyTorch; the raw
        NumPy/CuPy array is ``t.array``.
        """
        return Tensor(self.array)

    @data.setter
    def data(self, value: "Tensor | Any") -> None:
        """``t.data = other`` swaps in other's storage (shape and dtype may change, as in PyTorch)."""
        array = value.array if isinstance(value, Tensor) else value
        if not isinstance(array, np.ndarray) and not _is_cupy_array(array):
            raise TypeError(f"Tensor.data must be set to a Tensor or an array, got {type(value).__name__}")
        self.array = array

    # -- descriptive properties
    @property
    def shape(self) -> tuple:
        return self.array.shape

    @property
    def ndim(self) -> int:
        return self.array.ndim

    def size(self, dim: int | None = None) -> "Size | int":
        """The shape as a `Size` (PyTorch's ``t.size()``), or one dimension's length: ``t.size(-1)``."""
        if dim is None:
            return Size(self.array.shape)
        return self.array.shape[_dim_index("size", dim, self.array.ndim)]

    def dim(self) -> int:
        """The number of dimensions (``t.ndim``)."""
        return self.array.ndim

    ndimension = dim

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def device(self) -> Device:
        return backend.device_of(self.array)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def is_floating_point(self) -> bool:
        return self.array.dtype.kind == "f"

    def element_size(self) -> int:
        """Bytes per element: 4 for float32, 8 for int64."""
        return self.array.dtype.itemsize

    @property
    def xp(self):
        return backend.get_array_module(self.array)

    @property
    def is_leaf(self) -> bool:
        return self.creator is None

    @property
    def grad_fn(self) -> "Node | None":
        """The step that made this tensor, named as PyTorch names it (``MulBackward0``); None for a leaf.

        A view of `creator` (graph.py); the engine's own field is ``creator``.
        """
        return None if self.creator is None else node_of(self.creator)

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
            if value.array.shape != self.array.shape:
                raise RuntimeError(f"assigned grad has shape {value.shape} but the tensor has shape {self.shape}")
            if (type(value.array) is not np.ndarray or type(self.array) is not np.ndarray) \
                    and value.device != self.device:  # two NumPy arrays: both on the CPU, nothing to ask
                raise RuntimeError(f"assigned grad is on {value.device} but the tensor is on {self.device}")
        self._grad = value

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and not _is_float(self.array.dtype):
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got dtype {self.array.dtype}")
        if not value and self.creator is not None:
            raise RuntimeError("requires_grad can only be switched off on leaf tensors; use detach()")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __repr__(self) -> str:
        body = np.array2string(backend.as_numpy(self.array), separator=", ", precision=4,
                               threshold=50, prefix="tensor(")
        extras = []
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if self.array.dtype not in _REPR_IMPLIED:
            extras.append(f"dtype=minigan.{self.array.dtype}")
        if self.creator is not None:
            extras.append(f"grad_fn=<{backward_name(self.creator)}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __hash__ = object.__hash__

    # -- conversions
    def numpy(self) -> np.ndarray:
        """A host NumPy array (copied from the GPU when needed); never part of the graph."""
        return backend.as_numpy(self.array)

    def item(self):
        if self.array.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.array.reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise ValueError(f"the truth value of a tensor with shape {self.shape} is ambiguous")
        return bool(self.item())

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr.astype(dtype) if dtype is not None else arr

    def detach(self) -> "Tensor":
        """The same data, cut from the graph; it shares the version counter (as in PyTorch)."""
        out = Tensor(self.array)
        if self._writes is None:
            self._writes = []
        out._writes = self._writes
        return out

    def to(self, device: "str | Device | Tensor | None" = None, dtype=None) -> "Tensor":
        """Move (differentiably) to a device and/or cast to a dtype.

        ``t.to("cuda")``, ``t.to("cpu", minigan.float64)``, ``t.to(minigan.int64)``,
        ``t.to(np.float32)`` and ``t.to(other)`` (other's device and dtype) all work; the
        gradient flows back to the original device and dtype.
        """
        if isinstance(device, Tensor):
            device, dtype = device.device, device.array.dtype
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
        if dtype is not None and np.dtype(dtype) != self.array.dtype:
            out = out.astype(dtype)
        if device is not None and Device(device) != out.device:
            from .function import ToDevice  # circle: Function builds Tensors, so function.py imports this file
            out = ToDevice(Device(device))(out)
        return out

    def cpu(self) -> "Tensor": return self.to("cpu")
    def cuda(self, index: int | None = None) -> "Tensor": return self.to("cuda" if index is None else f"cuda:{index}")

    def type(self, dtype=None) -> "str | Tensor":
        """No argument: the legacy type name (``'minigan.FloatTensor'``); else a cast to `dtype`
        (a dtype, or a name such as ``'minigan.LongTensor'``), as PyTorch's ``t.type(...)``."""
        if dtype is None:
            name = _TYPE_NAMES.get(self.array.dtype, f"{self.array.dtype}Tensor")
            return f"minigan.{'cuda.' if self.device.type == 'cuda' else ''}{name}"
        return self.to(dtype=as_dtype(dtype))

    def type_as(self, other: "Tensor") -> "Tensor":
        """Cast to `other`'s dtype."""
        return self.to(dtype=other.array.dtype)

    # -- new tensors like this one (PyTorch's t.new_*), and in-place random fills; minigan.creation
    # makes them, bound below when it is imported (creation sits above this file, as the ops do)
    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """A new tensor from `data` with this one's dtype and device unless given."""
        return _creation.new_tensor(self, data, dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        return _creation.new_full(self, size, fill_value, dtype, device, requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        return _creation.zeros(*size, dtype=dtype or self.array.dtype, device=device or self.device,
                               requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        return _creation.ones(*size, dtype=dtype or self.array.dtype, device=device or self.device,
                              requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        return _creation.empty(*size, dtype=dtype or self.array.dtype, device=device or self.device,
                               requires_grad=requires_grad)

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> "Tensor":
        """Fill in place with N(mean, std^2) samples from minigan's seeded generator."""
        return _creation.fill_random_(self, "normal", float(mean), float(std))

    def uniform_(self, low: float = 0.0, high: float = 1.0, **bounds) -> "Tensor":
        """Fill in place with U(low, high) samples; PyTorch's keywords ``from=``/``to=`` work too."""
        low, high = bounds.pop("from", low), bounds.pop("to", high)
        if bounds:
            raise TypeError(f"uniform_: unexpected keyword arguments {sorted(bounds)}")
        return _creation.fill_random_(self, "uniform", float(low), float(high))

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

    # PyTorch's casts (after every other method: `float`, `int` and `bool` would shadow the builtins
    # in the rest of the class body)
    def half(self) -> "Tensor": return self.to(dtype=np.float16)
    def float(self) -> "Tensor": return self.to(dtype=np.float32)
    def double(self) -> "Tensor": return self.to(dtype=np.float64)
    def long(self) -> "Tensor": return self.to(dtype=np.int64)
    def int(self) -> "Tensor": return self.to(dtype=np.int32)
    def short(self) -> "Tensor": return self.to(dtype=np.int16)
    def char(self) -> "Tensor": return self.to(dtype=np.int8)
    def byte(self) -> "Tensor": return self.to(dtype=np.uint8)
    def bool(self) -> "Tensor": return self.to(dtype=np.bool_)


# minigan.creation, bound when it is imported (see "new tensors like this one" above).
_creation: Any = None


def _is_cupy_array(obj) -> bool:
    cp = backend._cupy
    return cp is not None and isinstance(obj, cp.ndarray)
