"""Parameter: a Tensor that a Module registers as a learnable weight."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import DEFAULT_DTYPE, Tensor


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default and that `Module` registers on assignment.

    ``Parameter(t)`` shares ``t``'s array and keeps its dtype, as in PyTorch. Raw data
    (Python numbers, lists, NumPy arrays) becomes float32 unless ``dtype`` says
    otherwise, so ``Parameter(np.random.randn(3))`` does not silently make a
    float64 weight; pass ``dtype="float64"`` (or a float64 Tensor) to keep float64.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True, dtype=None):
        if data is None:
            data = np.empty((0,), dtype=dtype or DEFAULT_DTYPE)
        elif isinstance(data, Tensor):
            data = data.array
            if dtype is not None and np.dtype(dtype) != data.dtype:
                data = data.astype(dtype)
        else:
            xp = _array_module(data)
            arr = xp.asarray(data)
            if dtype is not None:
                arr = arr.astype(dtype, copy=False)
            elif arr.dtype == np.float64 or (requires_grad and arr.dtype.kind in "biu"):
                # Python data and float64 NumPy arrays default to float32, as torch.tensor does;
                # integer data that is to require grad becomes float32 too.
                arr = arr.astype(DEFAULT_DTYPE)
            data = arr
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        # deepcopy / pickle: a new Parameter with a copy of the array (CuPy arrays pickle too).
        return (_rebuild_parameter, (self.array, self.requires_grad, self.name))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(Tensor(self.array.copy()), requires_grad=self.requires_grad)
        out.name = self.name
        if self.grad is not None:
            out.grad = Tensor(self.grad.array.copy())
        memo[id(self)] = out
        return out


def _rebuild_parameter(data, requires_grad, name):
    p = Parameter(Tensor(data), requires_grad=requires_grad)
    p.name = name
    return p


def _array_module(data):
    return backend.get_array_module(data)


def is_parameter(obj) -> bool:
    return isinstance(obj, Parameter)
