"""The stand-in's ndarray: a NumPy array inside, CuPy's behaviour outside.

A `ndarray` here holds a NumPy array but is not one, and it refuses what a CuPy array
refuses: ``np.asarray(a)`` raises CuPy's TypeError, a NumPy array given to a function
raises as CuPy does, reductions and scalar indexing return 0-d arrays (not scalars),
and every device-to-host read goes through `_transfers` to be counted:

    >>> a = cupy.arange(3.0)
    >>> type(a.sum()).__name__, a.sum().ndim
    ('ndarray', 0)
"""
from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np

from . import cuda
from ._flags import Flags
from ._transfers import _transfer

IMPLICIT_CONVERSION = ("Implicit conversion to a NumPy array is not allowed. "
                       "Please use `.get()` to construct a NumPy array explicitly.")
_SCALAR_TYPES = (bool, int, float, complex, np.generic)
# Filled in by the package once it is built (it imports this module, so no import back).
LINKS = SimpleNamespace(module=None)
_VIEWS = {"reshape", "transpose", "view", "squeeze", "swapaxes", "diagonal"}  # no kernel: stay where the data is


# ---- moving between the wrapper and NumPy ----------------------------------------------------

def _new(a: np.ndarray, device: int | None = None) -> "ndarray":
    """Wrap `a` as an array on `device` (default: the current device, where CuPy allocates results)."""
    out = object.__new__(ndarray)
    out._a = a
    out._dev = cuda.current_device_id() if device is None else device
    return out


def _on_current_device(x: "ndarray") -> np.ndarray:
    """CuPy's kernels run on the current device and refuse arrays on another one (no peer access here)."""
    current = cuda.current_device_id()
    if x._dev != current:
        raise ValueError(f"The device where the array resides ({x._dev}) is different from the current device "
                         f"({current}). Peer access is unavailable between these devices.")
    return x._a


def _wrap(result, inputs: dict | None = None, device: int | None = None):
    """NumPy results as stand-in arrays; NumPy scalars become 0-d arrays, as CuPy returns them."""
    if isinstance(result, np.ndarray):
        if inputs and id(result) in inputs:
            return inputs[id(result)]  # `out=` and no-op conversions return the same object
        return _new(result, device)
    if isinstance(result, np.generic):
        return _new(np.asarray(result), device)
    if isinstance(result, tuple):
        return tuple(_wrap(r, inputs, device) for r in result)
    if isinstance(result, list):
        return [_wrap(r, inputs, device) for r in result]
    return result


def _unsupported(x) -> TypeError:
    return TypeError(f"Unsupported type {type(x)}")


def _kernel_arg(x):
    """An operand of a CuPy kernel (ufunc): a device array or a scalar, nothing else."""
    if type(x) is ndarray:
        return _on_current_device(x)
    if isinstance(x, _SCALAR_TYPES):
        return x
    raise _unsupported(x)


def _arg(x, seen: dict):
    """An argument of a CuPy function: device arrays unwrapped, NumPy arrays refused (in lists too)."""
    if type(x) is ndarray:
        seen[id(x._a)] = x
        return _on_current_device(x)
    if isinstance(x, np.ndarray):
        raise _unsupported(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_arg(v, seen) for v in x)
    return x


def _out_arg(out, seen: dict):
    if out is None:
        return None
    if isinstance(out, tuple):
        return tuple(_out_arg(o, seen) for o in out)
    if type(out) is not ndarray:
        raise TypeError("Output arguments must be cupy.ndarray")
    seen[id(out._a)] = out
    return _on_current_device(out)


def call(fn, args: tuple, kwargs: dict):
    """Run NumPy's `fn` as CuPy's function of the same name would accept it."""
    seen: dict = {}
    args = tuple(_arg(a, seen) for a in args)
    if "out" in kwargs:
        kwargs = dict(kwargs, out=_out_arg(kwargs["out"], seen))
    kwargs = {k: (_arg(v, seen) if k != "out" else v) for k, v in kwargs.items()}
    return _wrap(fn(*args, **kwargs), seen)


def _index(key):
    """An index: device arrays unwrapped; NumPy arrays are allowed here (CuPy copies them over)."""
    if type(key) is ndarray:
        return key._a
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    if isinstance(key, list):
        return [_index(k) for k in key]
    return key


# ---- ndarray ---------------------------------------------------------------------------------

def _should_defer(other) -> bool:
    """CuPy's rule for `a + other`: defer when other opts out of ufuncs or outranks us."""
    ufunc_attr = getattr(other, "__array_ufunc__", _SCALAR_TYPES)
    if ufunc_attr is not _SCALAR_TYPES:
        return ufunc_attr is None
    return getattr(other, "__array_priority__", 0) > ndarray.__array_priority__


class ndarray:
    """A device array of the stand-in: a NumPy array inside, CuPy's behaviour outside."""

    __slots__ = ("_a", "_dev", "__weakref__")
    __array_priority__ = 100
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        if memptr is not None or strides is not None:
            raise NotImplementedError("the CuPy stand-in does not build arrays on raw memory")
        self._a = np.empty(shape, dtype=dtype, order=order)
        self._dev = cuda.current_device_id()

    # -- what a NumPy array has that a CuPy array refuses
    def __array__(self, dtype=None, copy=None):
        raise TypeError(IMPLICIT_CONVERSION)

    def __array_ufunc__(self, ufunc_, method, *inputs, **kwargs):
        if "out" in kwargs:
            out = kwargs["out"]
            if len(out) != 1:
                raise ValueError("The 'out' parameter must have exactly one array value")
            inputs_and_out = inputs + out
            kwargs["out"] = out[0]
        else:
            inputs_and_out = inputs
        if method not in ("__call__", "outer", "at", "reduce", "accumulate", "reduceat"):
            return NotImplemented
        func = getattr(LINKS.module, ufunc_.__name__, None)
        if func is None or (method != "__call__" and not hasattr(func, method)):
            return NotImplemented
        if method != "__call__":
            func = getattr(func, method)
        for x in inputs_and_out:
            if not isinstance(x, _SCALAR_TYPES + (ndarray, np.ndarray)):
                return NotImplemented
        if ufunc_.__name__ in ("greater", "greater_equal", "less", "less_equal", "equal", "not_equal"):
            inputs = tuple(x.item() if isinstance(x, np.ndarray) and x.ndim == 0 else x for x in inputs)
        return func(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        target = LINKS.module
        for part in func.__module__.split(".")[1:]:  # numpy.linalg.norm -> cupy.linalg.norm
            target = getattr(target, part, None)
        standin_func = getattr(target, func.__name__, None)
        if standin_func is None or standin_func is func:
            return NotImplemented
        for t in types:
            if not issubclass(t, (ndarray, np.ndarray)):
                return NotImplemented
        return standin_func(*args, **kwargs)

    # -- attributes
    shape = property(lambda self: self._a.shape)

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    T = property(lambda self: _new(self._a.T, self._dev))
    mT = property(lambda self: _new(self._a.mT, self._dev))
    real = property(lambda self: _new(self._a.real, self._dev))
    imag = property(lambda self: _new(self._a.imag, self._dev))
    flags = property(lambda self: Flags(self._a))
    data = property(lambda self: cuda.MemoryPointer(self._a.ctypes.data, self._dev))
    base = property(lambda self: None if self._a.base is None or not isinstance(self._a.base, np.ndarray)
                    else _new(self._a.base, self._dev))
    device = property(lambda self: cuda.Device(self._dev))

    @property
    def __cuda_array_interface__(self) -> dict:
        return {"shape": self._a.shape, "typestr": self._a.dtype.str, "descr": self._a.dtype.descr,
                "data": (self._a.ctypes.data, False), "version": 3,
                "strides": None if self._a.flags.c_contiguous else self._a.strides}

    # -- device-to-host reads: each one is counted
    def get(self, stream=None, order="C", out=None, blocking=True) -> np.ndarray:
        _transfer("get")
        if out is not None:
            if not isinstance(out, np.ndarray):
                raise TypeError("Only numpy.ndarray can be obtained from cupy.ndarray")
            np.copyto(out, self._a)
            return out
        return np.array(self._a, order=order)

    def tobytes(self, order="C") -> bytes:
        _transfer("tobytes")
        return self._a.tobytes(order)

    def __bool__(self) -> bool:
        if self._a.size == 0:
            warnings.warn("The truth value of an empty array is ambiguous. Returning False, but in future this "
                          "will result in an error. Use `array.size > 0` to check that an array is not empty.",
                          DeprecationWarning, stacklevel=2)
            return False
        if self._a.size > 1:
            raise ValueError("The truth value of an array with more than one element is ambiguous. "
                             "Use a.any() or a.all()")
        _transfer("bool")
        return bool(self._a)

    def __format__(self, spec: str) -> str:
        _transfer("format")
        return format(self._a, spec)

    def __reduce__(self):
        _transfer("pickle")
        return LINKS.module.array, (self._a.copy(),)

    # -- host-to-device writes
    def set(self, arr, stream=None) -> None:
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}")
        if arr.shape != self._a.shape:
            raise ValueError("Shape mismatch. Old shape: {}, new shape: {}".format(self._a.shape, arr.shape))
        self._a[...] = arr

    # -- container protocol
    def __len__(self) -> int:
        if self._a.ndim == 0:
            raise TypeError("len() of unsized object")
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._a.shape[0]))

    def __getitem__(self, key):
        return _wrap(self._a[_index(key)], device=self._dev)

    def __setitem__(self, key, value):  # a copy kernel, on the current device
        _on_current_device(self)[_index(key)] = _fill_value(value, "fill")

    def copy(self, order="C"):  # onto the current device, from any device (CuPy's rule)
        return _new(self._a.copy(order))

    __copy__ = copy

    def __deepcopy__(self, memo):
        return _new(self._a.copy(), self._dev)

    # -- CuPy-only methods
    def scatter_op(self, key, value, op: str) -> None:
        value = _fill_value(value, "scatter")
        {"add": np.add, "max": np.maximum, "min": np.minimum}[op].at(self._a, _index(key), value)

    def fill(self, value) -> None:
        self._a.fill(_fill_value(value, "fill"))

    def dot(self, b, out=None):
        if type(b) is not ndarray:
            raise TypeError(f"Argument 'b' has incorrect type (expected cupy.ndarray, got {type(b).__name__})")
        return call(np.dot, (self, b), {"out": out} if out is not None else {})


def _fill_value(value, what: str):
    """A value written into a device array: a device array or a scalar (CuPy refuses host arrays)."""
    if type(value) is ndarray:
        return _on_current_device(value)
    if isinstance(value, np.ndarray):
        if value.ndim != 0:
            raise ValueError(f"non-scalar numpy.ndarray cannot be used for {what}")
        return value.item()
    if isinstance(value, _SCALAR_TYPES):
        return value
    raise _unsupported(value)


def _read(kind: str, convert):
    def read(self):
        _transfer(kind)
        return convert(self._a)
    read.__name__ = kind
    read.__doc__ = f"{kind}: a device-to-host read (counted)."
    return read


for _kind, _convert in {"item": np.ndarray.item, "tolist": np.ndarray.tolist, "__float__": float, "__int__": int,
                        "__complex__": complex, "__repr__": repr, "__str__": str}.items():
    setattr(ndarray, _kind, _read(_kind.strip("_"), _convert))
for _op_name in ("add", "max", "min"):
    setattr(ndarray, f"scatter_{_op_name}",
            lambda self, slices, value, _op=_op_name: self.scatter_op(slices, value, _op))

# The ndarray methods CuPy has that behave as NumPy's (cupy/_core/core.pyx); NumPy's others are absent.
_METHODS = """all any argmax argmin argpartition argsort astype byteswap choose clip compress conj conjugate
cumprod cumsum diagonal flatten max mean min nonzero partition prod ptp put ravel repeat reshape round
searchsorted sort squeeze std sum swapaxes take trace transpose var view""".split()


def _forward(name: str):
    np_method = getattr(np.ndarray, name)
    is_view = name in _VIEWS

    def method(self, *args, **kwargs):
        seen = {id(self._a): self}
        a = self._a if is_view else _on_current_device(self)
        args = tuple(_arg(x, seen) for x in args)
        if "out" in kwargs:
            kwargs = dict(kwargs, out=_out_arg(kwargs["out"], seen))
        return _wrap(np_method(a, *args, **kwargs), seen, self._dev if is_view else None)
    method.__name__ = name
    method.__doc__ = f"CuPy's ndarray.{name} (NumPy's behind CuPy's rules)."
    return method


for _name in (m for m in _METHODS if hasattr(np.ndarray, m)):  # NumPy 2 dropped ptp
    setattr(ndarray, _name, _forward(_name))

_BINARY = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
           "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "matmul": "matmul",
           "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor", "lshift": "left_shift",
           "rshift": "right_shift", "divmod": "divmod"}
_COMPARE = {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal", "eq": "equal",
            "ne": "not_equal"}
_UNARY = {"neg": "negative", "pos": "positive", "abs": "absolute", "invert": "invert"}


def _op(ufunc_name: str, reflected: bool = False, inplace: bool = False, compare: bool = False):
    def op(self, other):
        if compare and isinstance(other, np.ndarray) and other.ndim == 0:
            other = other.item()  # CuPy's rule: a 0-d host array compares as its value
        elif compare and not isinstance(other, _SCALAR_TYPES + (ndarray, np.ndarray)):
            return NotImplemented
        if not inplace and _should_defer(other):
            return NotImplemented
        fn = getattr(LINKS.module, ufunc_name)
        if inplace:
            return fn(self, other, out=self)
        return fn(other, self) if reflected else fn(self, other)
    return op


def _unary(ufunc_name: str):
    def op(self):
        return getattr(LINKS.module, ufunc_name)(self)
    return op


for _short, _uf in _BINARY.items():
    setattr(ndarray, f"__{_short}__", _op(_uf))
    setattr(ndarray, f"__r{_short}__", _op(_uf, reflected=True))
    if _short != "divmod":
        setattr(ndarray, f"__i{_short}__", _op(_uf, inplace=True))
for _short, _uf in _COMPARE.items():
    setattr(ndarray, f"__{_short}__", _op(_uf, compare=True))
for _short, _uf in _UNARY.items():
    setattr(ndarray, f"__{_short}__", _unary(_uf))

ndarray.__module__ = "cupy"  # as type(cupy_array) reports itself; code tests the module name
