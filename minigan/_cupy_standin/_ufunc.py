"""The stand-in's ufunc: device arrays and scalars in, 0-d device arrays out, CuPy's methods only."""
from __future__ import annotations

import numpy as np

from ._core import _kernel_arg, _out_arg, _unsupported, _wrap, ndarray

_SCATTER = {"add": "add", "maximum": "max", "minimum": "min"}  # the ufuncs whose .at CuPy has


class ufunc:
    """CuPy's ufunc: device arrays and scalars in (no NumPy arrays, no lists), 0-d arrays out."""

    def __init__(self, np_ufunc: np.ufunc):
        self._np = np_ufunc
        self.__name__ = self.name = np_ufunc.__name__
        self.nin, self.nout, self.nargs = np_ufunc.nin, np_ufunc.nout, np_ufunc.nargs
        self.__doc__ = f"The stand-in's cupy.{self.name} (NumPy's {self.name} behind CuPy's rules)."

    def __repr__(self) -> str:
        return f"<ufunc 'cupy_{self.name}'>"

    def __call__(self, *args, out=None, **kwargs):
        seen: dict = {}
        ins = [_kernel_arg(a) for a in args]
        outs = _out_arg(out, seen)
        if outs is not None:
            kwargs["out"] = outs
        return _wrap(self._np(*ins, **kwargs), seen)

    def at(self, a, indices, b=None):
        if self.name not in _SCATTER:
            raise NotImplementedError(f"`cupy_{self.name}.at` is not supported yet")
        if type(a) is not ndarray:
            raise _unsupported(a)
        a.scatter_op(indices, b, _SCATTER[self.name])

    def outer(self, A, B, **kwargs):
        return _wrap(self._np.outer(_kernel_arg(A), _kernel_arg(B), **kwargs))

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        if self.name == "add":
            return array.sum(axis, dtype, out, keepdims)
        if self.name == "multiply":
            return array.prod(axis, dtype, out, keepdims)
        raise NotImplementedError(f"`cupy_{self.name}.reduce` is not supported yet")

    def accumulate(self, array, axis=0, dtype=None, out=None):
        if self.name == "add":
            return array.cumsum(axis, dtype, out)
        if self.name == "multiply":
            return array.cumprod(axis, dtype, out)
        raise NotImplementedError(f"`cupy_{self.name}.accumulate` is not supported yet")
