"""A testing tool: CuPy's API, as minigan uses it, on NumPy, with CuPy's rules enforced.

No line of minigan's CuPy path can run without a GPU, and its usual bugs are
host/device mixing that NumPy forgives and CuPy does not: ``np.asarray`` on a device
array, a NumPy array passed into a CuPy call, a NumPy function CuPy lacks, a Python
scalar read back from the device in a hot loop. This module is a stand-in for
``cupy`` that raises where CuPy raises:

* its ``ndarray`` is not a ``numpy.ndarray``; ``np.asarray``/``np.array``/``__array__``
  raise CuPy's TypeError ("Implicit conversion to a NumPy array is not allowed...");
* a NumPy array given to a ufunc or function raises ``TypeError: Unsupported type``;
  NumPy functions on stand-in arrays go through ``__array_function__``/``__array_ufunc__``
  exactly as CuPy's do (to the stand-in's function of the same name, or TypeError);
* only the names CuPy has exist (`_names.py`, from CuPy's own ``__init__``);
  reductions and scalar indexing return 0-d arrays; ``ufunc.at`` only for add/max/min;
* every device-to-host read is counted (`count_transfers`, `TOTAL`).

It is selected only by ``MINIGAN_CUPY_STANDIN=1``: ``minigan.backend`` then loads it in
place of CuPy (`install()` registers it as ``cupy`` and ``cupyx``), warns once, and the
device reports itself as "CuPy stand-in on NumPy" in ``minigan info``. Never for real work:

    MINIGAN_CUPY_STANDIN=1 python -m pytest -k cuda       # the CUDA tests, no GPU

    >>> import minigan._cupy_standin as cupy
    >>> a = cupy.arange(3.0)
    >>> with cupy.count_transfers() as seen:
    ...     total = float(a.sum())
    >>> seen.count, type(a.sum()).__name__
    (1, 'ndarray')
"""
from __future__ import annotations

import sys
import types
import warnings

import numpy as np

from . import _core, cuda, nccl, random
from ._core import IMPLICIT_CONVERSION, ndarray
from ._transfers import TOTAL, Transfers, count_transfers
from ._ufunc import ufunc
from ._names import FROM_NUMPY, FUNCTIONS, LINALG, UFUNCS
from .cuda import MemoryPool, PinnedMemoryPool

__version__ = "13.3.0+minigan.standin"
STANDIN = True  # real CuPy has no such attribute: `getattr(cupy, "STANDIN", False)` tells them apart

__all__ = ["ndarray", "ufunc", "cuda", "random", "linalg", "lib", "count_transfers", "Transfers", "TOTAL",
           "asnumpy", "get_array_module", "install", "IMPLICIT_CONVERSION"]


class StandinWarning(UserWarning):
    """Issued once when the stand-in is loaded: 'cuda' then runs on NumPy, not on a GPU."""


def _function(name: str, np_func):
    def function(*args, **kwargs):
        return _core.call(np_func, args, kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"cupy.{name}: NumPy's {name} on device arrays (NumPy arrays refused)."
    return function


_namespace = globals()
# CuPy's names that the installed NumPy lacks (isdtype, unique_values... are NumPy 2's) are left out: the
# stand-in offers what NumPy can compute.
for _name in FROM_NUMPY:
    if hasattr(np, _name):
        _namespace[_name] = getattr(np, _name)
for _name in UFUNCS:
    if _name != "matmul" and hasattr(np, _name):  # CuPy's matmul is a generalised ufunc: a function here
        _namespace[_name] = ufunc(getattr(np, _name))
for _name in FUNCTIONS + ["matmul"]:
    if _name not in _namespace and hasattr(np, _name):
        _namespace[_name] = _function(_name, getattr(np, _name))
e, inf, nan, newaxis, pi = np.e, np.inf, np.nan, None, np.pi


def _as_device_bool(name: str):
    np_func = getattr(np, name)

    def function(*args, **kwargs):
        return _core._new(np.asarray(_core.call(np_func, args, kwargs)))
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"cupy.{name}: a 0-d device bool array (NumPy returns a Python bool)."
    return function


allclose, array_equal, array_equiv = (_as_device_bool(n) for n in ("allclose", "array_equal", "array_equiv"))


def _from_host(obj, dtype, copy: bool, order, ndmin: int = 0) -> ndarray:
    if isinstance(obj, ndarray):
        if copy:  # a copy lands on the current device, from any device
            return _core._new(np.array(obj._a, dtype=dtype, copy=True, order=order or "K", ndmin=ndmin))
        out = np.asarray(obj._a, dtype=dtype, order=order)
        # asarray keeps an array where it is; a conversion is a kernel on the current device
        return obj if out is obj._a else _core._new(np.asarray(_core._on_current_device(obj), dtype, order))
    out = np.array(_core._index(obj), dtype=dtype, order=order or "K", ndmin=ndmin)
    if out.dtype.hasobject or out.dtype.kind in "USV":
        raise ValueError(f"Unsupported dtype {out.dtype}")
    return _core._new(out)


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False) -> ndarray:
    """cupy.array: a copy on the device of a host or device array, a list or a scalar."""
    return _from_host(obj, dtype, copy is not False, order, ndmin)


def asarray(a, dtype=None, order=None, *, blocking=False) -> ndarray:
    """cupy.asarray: `a` itself if already a device array of that dtype, else a device copy."""
    return _from_host(a, dtype, False, order)


asanyarray = asarray


def asnumpy(a, stream=None, order="C", out=None, blocking=True) -> np.ndarray:
    """cupy.asnumpy: a host copy of a device array (counted); host data as np.asarray gives it."""
    if isinstance(a, ndarray):
        return a.get(stream=stream, order=order, out=out, blocking=blocking)
    if out is not None:
        out[...] = a
        return out
    return np.asarray(a, order=order)


def get_array_module(*args):
    """The stand-in module if any argument is a stand-in device array, else numpy."""
    for a in args:
        if isinstance(a, ndarray):
            return sys.modules[__name__]
    return np


def copyto(dst, src, casting="same_kind", where=None) -> None:
    """cupy.copyto: `dst` must be a device array; a host `src` only if it holds one value."""
    if not isinstance(dst, ndarray):
        raise TypeError(f"Argument 'dst' has incorrect type (expected cupy.ndarray, got {type(dst).__name__})")
    if isinstance(src, np.ndarray):
        if src.size != 1:
            raise ValueError("non-scalar numpy.ndarray cannot be used for copyto")
        src = src.reshape(()).item()
    _core.call(np.copyto, (dst, src), {"casting": casting, "where": where} if where is not None
               else {"casting": casting})


def is_available() -> bool:
    return cuda.is_available()


_POOL, _PINNED_POOL = MemoryPool(), PinnedMemoryPool()


def get_default_memory_pool() -> MemoryPool:
    return _POOL


def get_default_pinned_memory_pool() -> PinnedMemoryPool:
    return _PINNED_POOL


linalg = types.ModuleType("cupy.linalg", "The stand-in's cupy.linalg: NumPy's, on device arrays.")
for _name in LINALG:
    if hasattr(np.linalg, _name):
        setattr(linalg, _name, _function(_name, getattr(np.linalg, _name)))
linalg.LinAlgError = np.linalg.LinAlgError


def _as_strided(x, shape=None, strides=None) -> ndarray:
    """cupy.lib.stride_tricks.as_strided: a view of device array `x` (a NumPy array is refused)."""
    if not isinstance(x, ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    return _core._new(np.lib.stride_tricks.as_strided(x._a, shape, strides), x._dev)


def _sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False) -> ndarray:
    if not isinstance(x, ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    return _core._new(np.lib.stride_tricks.sliding_window_view(x._a, window_shape, axis, writeable=writeable),
                      x._dev)


lib = types.ModuleType("cupy.lib", "The stand-in's cupy.lib.")
lib.stride_tricks = types.ModuleType("cupy.lib.stride_tricks")
lib.stride_tricks.as_strided = _as_strided
lib.stride_tricks.sliding_window_view = _sliding_window_view


def _scatter(op: str):
    def scatter(a, slices, value) -> None:
        if not isinstance(a, ndarray):
            raise TypeError(f"Unsupported type {type(a)}")
        a.scatter_op(slices, value, op)
    scatter.__name__ = f"scatter_{op}"
    scatter.__doc__ = f"cupyx.scatter_{op}(a, slices, value): unbuffered in-place {op} at `slices`."
    return scatter


cupyx = types.ModuleType("cupyx", "The stand-in's cupyx: scatter_add, scatter_max, scatter_min.")
cupyx.scatter_add, cupyx.scatter_max, cupyx.scatter_min = _scatter("add"), _scatter("max"), _scatter("min")

_core.LINKS.module = sys.modules[__name__]

cuda.nccl = nccl  # `from cupy.cuda import nccl`: the collectives over MPI (distributed tests, two ranks)
_SUBMODULES = {"cupy.cuda": cuda, "cupy.cuda.runtime": cuda.runtime, "cupy.cuda.nccl": nccl,
               "cupy.cuda.memory_hook": cuda.memory_hook,
               "cupy.random": random, "cupy.linalg": linalg, "cupy.lib": lib,
               "cupy.lib.stride_tricks": lib.stride_tricks, "cupyx": cupyx}


def install() -> types.ModuleType:
    """Register the stand-in as ``cupy`` and ``cupyx`` in sys.modules (what MINIGAN_CUPY_STANDIN=1 does)."""
    module = sys.modules[__name__]
    if sys.modules.get("cupy") is not module:
        warnings.warn("MINIGAN_CUPY_STANDIN=1: 'cuda' runs on a NumPy stand-in for CuPy "
                      "(a testing tool: no GPU is used, timings mean nothing)", StandinWarning, stacklevel=2)
    sys.modules["cupy"] = module
    sys.modules.update(_SUBMODULES)
    return module
