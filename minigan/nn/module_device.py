"""Module's device and dtype moves: ``model.to("cuda")``, ``model.double()``, in place.

A mixin of `minigan.nn.Module`: the Parameter objects are kept and only their arrays
replaced, so an optimiser built before ``to()`` keeps working.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..backend import Device

__all__ = ["DeviceMixin"]


def _parse_to(*args, **kwargs) -> tuple[Device | None, Any]:
    """Read ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` and keywords."""
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    if len(args) > 2:
        raise TypeError(f"to() takes at most 2 positional arguments, got {len(args)}")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, Device):
            device = arg
        elif isinstance(arg, str) and (arg.strip().lower() == "cpu" or arg.strip().lower().startswith("cuda")):
            device = arg
        elif arg is not None:
            dtype = arg
    if dtype is not None:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"to({dtype!r}): {dtype!r} is neither a device ('cpu', 'cuda', 'cuda:N') "
                            "nor a dtype ('float32', 'float64', ...)") from None
        if dtype.kind not in "fc":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
    if device is not None:
        device = Device(device)
    return device, dtype


class DeviceMixin:
    """`to`, `cpu`, `cuda`, `float`, `double`, `type` for Module (which provides `modules()`)."""

    def _apply_arrays(self, convert: Callable[[Any, bool], Any]) -> "DeviceMixin":
        """Replace the array inside every parameter, gradient and buffer, keeping the objects.

        Optimisers hold the Parameter objects, so they keep working after ``to()``.
        ``convert(array, is_floating)`` returns the new array.
        """
        seen: set[int] = set()
        for module in self.modules():
            for t in itertools.chain(module._parameters.values(), module._buffers.values()):
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                floating = t.array.dtype.kind in "fc"
                t.array = convert(t.array, floating)
                if t.grad is not None:
                    g = convert(t.grad.array, floating)
                    t.grad = Tensor(g)
        return self

    def to(self, *args, **kwargs) -> "DeviceMixin":
        """Move parameters and buffers to a device and/or cast floating ones to a dtype, in place.

        ``model.to("cuda")``, ``model.to("float64")``, ``model.to("cpu", dtype=np.float32)``,
        ``model.to(tensor)``. Integer buffers (``num_batches_tracked``) keep their dtype.
        """
        device, dtype = _parse_to(*args, **kwargs)

        def convert(arr, floating):
            if dtype is not None and floating and arr.dtype != dtype:
                arr = arr.astype(dtype)
            if device is not None and backend.device_of(arr) != device:
                arr = backend.to_device(arr, device)
            return arr

        return self._apply_arrays(convert)

    def cpu(self) -> "DeviceMixin":
        return self.to("cpu")

    def cuda(self, device: int | str | None = None) -> "DeviceMixin":
        if device is None:
            return self.to("cuda")
        return self.to(device if isinstance(device, (str, Device)) else f"cuda:{int(device)}")

    def float(self) -> "DeviceMixin":
        return self.to(dtype=np.float32)

    def double(self) -> "DeviceMixin":
        return self.to(dtype=np.float64)

    def half(self) -> "DeviceMixin":
        """Cast floating parameters and buffers to float16, in place (as ``double()`` does to float64)."""
        return self.to(dtype=np.float16)

    def type(self, dst_type) -> "DeviceMixin":
        return self.to(dtype=dst_type)
