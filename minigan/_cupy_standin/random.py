"""The stand-in's ``cupy.random``: CuPy's RandomState API on a NumPy generator, one per device.

The streams are not CuPy's (cuRAND's XORWOW cannot be reproduced on NumPy), so a
test must never compare stand-in draws with real ones. CuPy's RandomState has no
``get_state``/``set_state``, and neither has this one. ``DRAWS`` counts the arrays
drawn, so a test can check that nothing is drawn on the device:

    >>> before = random.DRAWS.count
    >>> random.get_random_state().standard_normal((2, 3), dtype="float32").shape
    (2, 3)
    >>> random.DRAWS.count - before
    1
"""
from __future__ import annotations

import types

import numpy as np

from . import _core, cuda
from ._names import RANDOM_DISTRIBUTIONS

DRAWS = types.SimpleNamespace(count=0)
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _float_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in _FLOATS:
        raise TypeError(f"cupy.random only supports float32 and float64 (got {dtype})")
    return dtype


class RandomState:
    """``cupy.random.RandomState(seed)``: draws device arrays; float dtypes given by ``dtype=``."""

    def __init__(self, seed=None, method=None):
        self.seed(seed)

    def seed(self, seed=None) -> None:
        if isinstance(seed, _core.ndarray):
            raise TypeError("the stand-in's RandomState takes an int seed")
        self._gen = np.random.default_rng(seed)

    def _out(self, values, dtype) -> _core.ndarray:
        DRAWS.count += 1
        return _core._new(np.asarray(values).astype(dtype, copy=False))

    def random_sample(self, size=None, dtype=float):
        return self._out(self._gen.random(size, dtype=_float_dtype(dtype)), dtype)

    def rand(self, *size, dtype=float):
        return self.random_sample(size, dtype)

    def randn(self, *size, dtype=float):
        return self.standard_normal(size, dtype)

    def standard_normal(self, size=None, dtype=float):
        return self._out(self._gen.standard_normal(size, dtype=_float_dtype(dtype)), dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=float):
        return self._out(self._gen.normal(loc, scale, size), _float_dtype(dtype))

    def uniform(self, low=0.0, high=1.0, size=None, dtype=float):
        return self._out(self._gen.uniform(low, high, size), _float_dtype(dtype))

    def randint(self, low, high=None, size=None, dtype=int):
        return self._out(self._gen.integers(low, high, size), dtype)

    def permutation(self, num):
        if isinstance(num, _core.ndarray):
            return self._out(self._gen.permutation(num._a), num.dtype)
        return self._out(self._gen.permutation(int(num)), np.int64)

    def shuffle(self, a) -> None:
        if not isinstance(a, _core.ndarray):
            raise TypeError("The array must be cupy.ndarray")
        DRAWS.count += 1
        self._gen.shuffle(a._a)

    def choice(self, a, size=None, replace=True, p=None):
        a = a._a if isinstance(a, _core.ndarray) else a
        p = p._a if isinstance(p, _core.ndarray) else p
        values = self._gen.choice(a, size, replace, p)
        return self._out(values, np.asarray(values).dtype)


def _other_distribution(name: str):
    def draw(self, *args, size=None, dtype=float, **kwargs):
        return self._out(getattr(self._gen, name)(*args, size=size, **kwargs), dtype)
    draw.__name__ = name
    return draw


for _name in RANDOM_DISTRIBUTIONS:
    if not hasattr(RandomState, _name) and hasattr(np.random.Generator, _name):
        setattr(RandomState, _name, _other_distribution(_name))

_states: dict[int, RandomState] = {}


def get_random_state() -> RandomState:
    """The generator of the current device (CuPy keeps one per GPU)."""
    index = cuda.runtime.getDevice()
    if index not in _states:
        _states[index] = RandomState()
    return _states[index]


def set_random_state(rs: RandomState) -> None:
    _states[cuda.runtime.getDevice()] = rs


def seed(seed=None) -> None:
    """Reseed the current device's generator."""
    get_random_state().seed(seed)


def reset_states() -> None:
    _states.clear()


def _module_level(name: str):
    def draw(*args, **kwargs):
        return getattr(get_random_state(), name)(*args, **kwargs)
    draw.__name__ = name
    draw.__doc__ = f"cupy.random.{name}: draws from the current device's RandomState."
    return draw


random_sample = random = _module_level("random_sample")
for _name in ["rand", "randn", "randint", "permutation", "shuffle", "choice"] + RANDOM_DISTRIBUTIONS:
    if hasattr(RandomState, _name):
        globals()[_name] = _module_level(_name)
