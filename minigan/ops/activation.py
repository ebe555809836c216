"""Activations: relu, leaky_relu, sigmoid, tanh, softplus, log_sigmoid, softmax, log_softmax.

Each forward is written to be stable (no overflow for large |x|) and each
backward reuses the saved output where the derivative is a function of it.
"""
from __future__ import annotations

from .. import backend, parallel
from ..autograd import Function, Tensor
from .reduce import _axes, logsumexp, resolve_dim, sum as _sum


class _MaskScale(Function):
    """gy -> gy * (1 where x > 0 else slope): the backward of ReLU (slope 0) and LeakyReLU.

    Linear in gy with a constant factor, so its own backward is the same map (any order of
    derivative). `mask` is the boolean x > 0, or with ``from_values`` an array whose
    positive entries mark it (ReLU's saved output). One pass over cache-sized blocks on
    the CPU threads (`parallel.for_elementwise`) instead of a float scale array and a product.
    """

    def __init__(self, mask, slope: float, from_values: bool = False):
        self.mask, self.slope, self.from_values = mask, slope, from_values

    def forward(self, gy):
        xp = backend.get_array_module(gy)
        out = xp.empty_like(gy)
        slope, rest = gy.dtype.type(self.slope), gy.dtype.type(1 - self.slope)
        from_values = self.from_values

        def work(m, g, o):
            if from_values:
                m = m > 0
            if self.slope == 0:
                xp.multiply(g, m, out=o)
            else:  # slope + (1 - slope) * [x > 0], then times gy: arithmetic, no branchy select
                xp.multiply(m, rest, out=o)
                o += slope
                o *= g

        parallel.for_elementwise(work, [self.mask, gy, out], xp)
        return out

    def backward(self, ggx):
        return _MaskScale(self.mask, self.slope, self.from_values)(ggx)


class ReLU(Function):
    def forward(self, x):
        self.save_outputs()
        xp = backend.get_array_module(x)
        y = xp.empty_like(x)
        parallel.for_elementwise(lambda a, b: xp.maximum(a, 0, out=b), [x, y], xp)
        return y

    def backward(self, gy):
        return _MaskScale(self.outputs[0].array, 0.0, from_values=True)(gy)


def relu(x: Tensor) -> Tensor:
    return ReLU()(x)


class LeakyReLU(Function):
    """max(x, slope*x) for slope <= 1 (min for slope > 1).

    No `where` anywhere: on random-signed activations a boolean select costs
    ~15x a multiply (branch mispredictions), so both passes use arithmetic. The
    three passes of the forward run block by block in cache, on the CPU threads.
    """

    def __init__(self, slope: float):
        self.slope = slope

    def forward(self, x):
        xp = backend.get_array_module(x)
        self.mask = xp.empty_like(x, dtype=bool)
        y = xp.empty_like(x)
        slope, pick = x.dtype.type(self.slope), (xp.maximum if self.slope <= 1 else xp.minimum)

        def work(a, m, b):
            xp.greater(a, 0, out=m)
            xp.multiply(a, slope, out=b)
            pick(a, b, out=b)

        parallel.for_elementwise(work, [x, self.mask, y], xp)
        return y

    def backward(self, gy):
        # d/dx = slope + (1 - slope) * [x > 0]: a constant per element, so linear in gy
        return _MaskScale(self.mask, self.slope)(gy)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return LeakyReLU(float(negative_slope))(x)


class Sigmoid(Function):
    def forward(self, x):
        self.save_outputs()
        xp = backend.get_array_module(x)
        # tanh form: no overflow in exp for large |x|
        return (xp.tanh(x * x.dtype.type(0.5)) * x.dtype.type(0.5) + x.dtype.type(0.5)).astype(x.dtype, copy=False)

    def backward(self, gy):
        y = self.outputs[0]
        return gy * y * (1.0 - y)


def sigmoid(x: Tensor) -> Tensor:
    return Sigmoid()(x)


class Tanh(Function):
    def forward(self, x):
        self.save_outputs()
        return backend.get_array_module(x).tanh(x)

    def backward(self, gy):
        y = self.outputs[0]
        return gy * (1.0 - y * y)


def tanh(x: Tensor) -> Tensor:
    return Tanh()(x)


class Softplus(Function):
    """log(1 + exp(x)) computed as max(x, 0) + log1p(exp(-|x|))."""

    def forward(self, x):
        xp = backend.get_array_module(x)
        # x's own zero: NumPy 1.x promotes a 0-d float32 with a Python int to float64
        return xp.maximum(x, x.dtype.type(0)) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        return gy * sigmoid(self.inputs[0])


def softplus(x: Tensor) -> Tensor:
    return Softplus()(x)


def log_sigmoid(x: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), finite for any x."""
    return -softplus(-x)


def log_softmax(x: Tensor, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along `axis` (or ``dim=``; default the last): ``log_softmax(x, dim=1)``."""
    axis, _ = resolve_dim("log_softmax", axis, dim)
    axis = -1 if axis is None else axis
    axes = _axes(axis, x.ndim, "log_softmax")
    return x - logsumexp(x, axes, keepdims=True)


class Softmax(Function):
    def __init__(self, axes: tuple):
        self.axes = axes

    def forward(self, x):
        self.save_outputs()
        xp = backend.get_array_module(x)
        e = xp.exp(x - x.max(axis=self.axes, keepdims=True))
        return e / e.sum(axis=self.axes, keepdims=True)

    def backward(self, gy):
        y = self.outputs[0]
        gyy = gy * y
        return gyy - y * _sum(gyy, self.axes, keepdims=True)


def softmax(x: Tensor, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis` (or ``dim=``; default the last): ``softmax(x, dim=1)``."""
    axis, _ = resolve_dim("softmax", axis, dim)
    axis = -1 if axis is None else axis
    return Softmax(_axes(axis, x.ndim, "softmax"))(x)
