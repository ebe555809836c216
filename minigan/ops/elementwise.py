"""Element-wise maths beyond arith.py: rounding (floor, ceil, round, trunc, frac), log1p, expm1,
log2, log10, exp2, rsqrt, reciprocal, square, lerp, and the tests isnan, isinf, isfinite, all, any.

Rounding is a step function: its gradient is zero, as in PyTorch (frac = x - trunc(x) has
gradient 1). The tests return boolean tensors, outside the graph. Integer inputs keep their
dtype where torch keeps it (floor, round, square) and become float32 where torch's do (log1p,
rsqrt, reciprocal).

>>> import minigan as mg
>>> mg.round(mg.tensor([0.5, 1.5, 2.25]), decimals=1), mg.log1p(mg.tensor([0.0]))
(tensor([0.5, 1.5, 2.2]), tensor([0.]))
"""
from __future__ import annotations

import math

from .. import backend
from ..autograd import DEFAULT_DTYPE, Function, Tensor, _is_float
from .arith import _pair, add, as_operand, mul, sub
from .dims import normalize_dims

__all__ = ["floor", "ceil", "round", "trunc", "frac", "log1p", "expm1", "log2", "log10", "exp2", "rsqrt",
           "reciprocal", "square", "lerp", "isnan", "isinf", "isfinite", "all", "any"]


def _floating(x: Tensor) -> Tensor:
    """x, or a float32 copy of an integer or boolean x (torch's result type for log1p, rsqrt...)."""
    return x if _is_float(x.dtype) else Tensor(x.array.astype(DEFAULT_DTYPE))


class _Step(Function):
    """A piecewise-constant function of x: its gradient is zero everywhere torch defines it."""

    def __init__(self, name: str, decimals: int = 0):
        self.op, self.decimals = name, decimals

    def forward(self, x):
        xp = backend.get_array_module(x)
        if self.op == "round":
            return xp.round(x, self.decimals)
        return getattr(xp, self.op)(x)

    def backward(self, gy):
        return gy * 0.0

    @property
    def name(self) -> str:
        return self.op.capitalize()


def floor(input: Tensor) -> Tensor:  # noqa: A002 - torch's names
    """The largest integer <= x, element-wise (an integer tensor comes back as it is); zero gradient."""
    return input if not _is_float(input.dtype) else _Step("floor")(input)


def ceil(input: Tensor) -> Tensor:  # noqa: A002
    """The smallest integer >= x, element-wise; zero gradient."""
    return input if not _is_float(input.dtype) else _Step("ceil")(input)


def trunc(input: Tensor) -> Tensor:  # noqa: A002
    """x rounded towards zero, element-wise; zero gradient."""
    return input if not _is_float(input.dtype) else _Step("trunc")(input)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001,A002 - torch's names
    """x rounded half to even (as torch and NumPy), to `decimals` places (negative: left of the point)."""
    if not _is_float(input.dtype) and decimals >= 0:
        return input
    return _Step("round", int(decimals))(input)


def frac(input: Tensor) -> Tensor:  # noqa: A002
    """x - trunc(x), keeping x's sign: frac(-1.25) = -0.25; gradient 1."""
    if not _is_float(input.dtype):
        raise TypeError(f"frac: expected a floating-point tensor, got {input.dtype}")
    return sub(input, trunc(input))


class Log1p(Function):
    def forward(self, x):
        return backend.get_array_module(x).log1p(x)

    def backward(self, gy):
        return gy / (self.inputs[0] + 1.0)


class Expm1(Function):
    def forward(self, x):
        self.save_outputs()
        return backend.get_array_module(x).expm1(x)

    def backward(self, gy):
        return gy * (self.outputs[0] + 1.0)


class Log2(Function):
    def forward(self, x):
        return backend.get_array_module(x).log2(x)

    def backward(self, gy):
        return gy / (self.inputs[0] * math.log(2.0))


class Log10(Function):
    def forward(self, x):
        return backend.get_array_module(x).log10(x)

    def backward(self, gy):
        return gy / (self.inputs[0] * math.log(10.0))


class Exp2(Function):
    def forward(self, x):
        self.save_outputs()
        return backend.get_array_module(x).exp2(x)

    def backward(self, gy):
        return gy * self.outputs[0] * math.log(2.0)


class Rsqrt(Function):
    """1 / sqrt(x); its derivative -y**3 / 2 reuses the output."""

    def forward(self, x):
        self.save_outputs()
        xp = backend.get_array_module(x)
        return xp.reciprocal(xp.sqrt(x))

    def backward(self, gy):
        y = self.outputs[0]
        return gy * y * y * y * -0.5


class Reciprocal(Function):
    def forward(self, x):
        self.save_outputs()
        return backend.get_array_module(x).reciprocal(x)

    def backward(self, gy):
        y = self.outputs[0]
        return -gy * y * y


def log1p(input: Tensor) -> Tensor:  # noqa: A002
    """log(1 + x), accurate for small x (where log(1 + x) rounds 1 + x first)."""
    return Log1p()(_floating(input))


def expm1(input: Tensor) -> Tensor:  # noqa: A002
    """exp(x) - 1, accurate for small x."""
    return Expm1()(_floating(input))


def log2(input: Tensor) -> Tensor:  # noqa: A002
    """The base-2 logarithm, element-wise."""
    return Log2()(_floating(input))


def log10(input: Tensor) -> Tensor:  # noqa: A002
    """The base-10 logarithm, element-wise."""
    return Log10()(_floating(input))


def exp2(input: Tensor) -> Tensor:  # noqa: A002
    """2 ** x, element-wise."""
    return Exp2()(_floating(input))


def rsqrt(input: Tensor) -> Tensor:  # noqa: A002
    """1 / sqrt(x), element-wise (the scale of a normalisation layer)."""
    return Rsqrt()(_floating(input))


def reciprocal(input: Tensor) -> Tensor:  # noqa: A002
    """1 / x, element-wise; an integer tensor gives float32, as in torch."""
    return Reciprocal()(_floating(input))


def square(input: Tensor) -> Tensor:  # noqa: A002
    """x * x, element-wise (an integer tensor stays integer)."""
    return mul(input, input)


def lerp(input: Tensor, end, weight) -> Tensor:  # noqa: A002
    """input + weight * (end - input): the linear interpolation torch.lerp computes, all three broadcast.

    ``lerp(ema, param, 0.001)`` moves an average a thousandth of the way; `weight` may be a tensor.
    """
    start, end = _pair(input, end)
    if start.dtype != end.dtype:
        raise TypeError(f"lerp: expected input and end of one dtype, got {start.dtype} and {end.dtype}")
    if not _is_float(start.dtype):
        raise TypeError(f"lerp: expected floating-point tensors, got {start.dtype}")
    return add(start, mul(as_operand(weight, start), sub(end, start)))


def _test(name: str, doc: str):
    def test(input: Tensor) -> Tensor:  # noqa: A002
        return Tensor(getattr(backend.get_array_module(input.array), name)(input.array))
    test.__name__ = test.__qualname__ = name
    test.__doc__ = doc
    return test


isnan = _test("isnan", "A boolean tensor: True where x is NaN (outside the graph).")
isinf = _test("isinf", "A boolean tensor: True where x is +inf or -inf (outside the graph).")
isfinite = _test("isfinite", "A boolean tensor: True where x is neither NaN nor infinite (outside the graph).")


def _logical_reduction(name: str, doc: str):
    def reduction(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A002
        arr = input.array
        axes = None if dim is None else normalize_dims(name, dim, arr.ndim)
        axes = axes if arr.ndim else None
        xp = backend.get_array_module(arr)
        return Tensor(xp.asarray(getattr(xp, name)(arr, axis=axes, keepdims=keepdim)))
    reduction.__name__ = reduction.__qualname__ = name
    reduction.__doc__ = doc
    return reduction


all = _logical_reduction(  # noqa: A001 - torch's name
    "all", "True where every element over `dim` (an int, a tuple, or None: all) is nonzero; a bool tensor, "
           "outside the graph: ``mg.all(x > 0)``, ``x.all(dim=1, keepdim=True)``.")
any = _logical_reduction(  # noqa: A001 - torch's name
    "any", "True where some element over `dim` (an int, a tuple, or None: all) is nonzero; a bool tensor, "
           "outside the graph: ``mg.any(mg.isnan(x))``.")
