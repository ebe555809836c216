"""Helpers the layers share: empty parameters on a device and dtype, tuple arguments, and the
constructor checks (``check_size("Linear", "in_features", n)``: a clear error naming the argument
instead of NumPy's bare "negative dimensions are not allowed" or a silently empty kernel)."""
from __future__ import annotations

import collections.abc
import numbers
from itertools import repeat

import numpy as np

from ..autograd import DEFAULT_DTYPE, Tensor
from ..backend import Device
from .parameter import Parameter


def _dtype(dtype) -> np.dtype:
    dt = np.dtype(dtype) if dtype is not None else np.dtype(DEFAULT_DTYPE)
    if dt.kind not in "fc":
        raise TypeError(f"layer parameters must be floating point, got dtype={dt}")
    return dt


def empty_array(shape: tuple, device=None, dtype=None, fill: float = 0.0):
    """A filled array (zeros by default) of `shape` on `device`; layers then initialise it."""
    dev = Device(device)
    dt = np.dtype(dtype) if dtype is not None else np.dtype(DEFAULT_DTYPE)
    xp = dev.xp
    if dev.type == "cuda":
        with xp.cuda.Device(dev.index):
            return xp.full(shape, fill, dtype=dt)
    return np.full(shape, fill, dtype=dt)


def empty_parameter(shape: tuple, device=None, dtype=None, fill: float = 0.0) -> Parameter:
    return Parameter(Tensor(empty_array(shape, device, _dtype(dtype), fill)))


def empty_buffer(shape: tuple, device=None, dtype=None, fill: float = 0.0) -> Tensor:
    return Tensor(empty_array(shape, device, dtype, fill))


def register_affine(module, shape: tuple, affine: bool, bias: bool, device=None, dtype=None) -> None:
    """A norm layer's ``weight`` (ones) and ``bias`` (zeros) of `shape`, or None placeholders (PyTorch's keys)."""
    if affine:
        module.weight = empty_parameter(shape, device, dtype, fill=1.0)
        if bias:
            module.bias = empty_parameter(shape, device, dtype, fill=0.0)
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def reset_affine(module) -> None:
    """Back to weight = 1, bias = 0, for whichever of them the layer has."""
    if module.weight is not None:
        module.weight.array[...] = 1
    if module.bias is not None:
        module.bias.array[...] = 0


def _ntuple(n: int, name: str):
    def parse(x):
        if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
            t = tuple(x)
            if len(t) != n:
                raise ValueError(f"{name} expects an int or a tuple of {n} ints, got {x!r}")
        else:
            t = tuple(repeat(x, n))
        # integral values become ints; anything else is left for the layer's check to name
        return tuple(int(v) if isinstance(v, numbers.Integral) and not isinstance(v, bool) else v for v in t)
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")


def check_size(layer: str, name: str, value, *, minimum: int = 1) -> int:
    """`value` as an int >= `minimum` (a size, a stride: 1; a padding: 0), else a ValueError naming it."""
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
            what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
            raise ValueError(f"{layer}: {name} must be {what}" + (" (each entry)" if isinstance(value, tuple) else "")
                             + f", got {value!r}")
    return value if isinstance(value, tuple) else int(value)


def check_range(layer: str, name: str, value, low: float, high: float | None = None) -> float:
    """A number in [low, high] (high None: no upper bound), else a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
            value >= low and (high is None or value <= high)):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{layer}: {name} must be a number {bound}, got {value!r}")
    return value
