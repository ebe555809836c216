"""Activations: relu, leaky_relu, sigmoid, tanh, softplus, log_sigmoid, softmax, log_softmax.

Each forward is written to be stable (no overflow for large |x|) and each
backward reuses the saved output where the derivative is a function of it.
"""
from __future__ import annotations

from .. import backend
from ..autograd import Function, Tensor
from .reduce import _axes, logsumexp, resolve_dim, sum as _sum


class ReLU(Function):
    def forward(self, x):
        self.save_outputs()
        return backend.get_array_module(x).maximum(x, 0)

    def backward(self, gy):
        y = self.outputs[0]
        return gy * Tensor((y.data > 0).astype(gy.dtype))


def relu(x: Tensor) -> Tensor:
    return ReLU()(x)


class LeakyReLU(Function):
    """max(x, slope*x) for slope <= 1 (min for slope > 1).

    No `where` anywhere: on random-signed activations a boolean select costs
    ~15x a multiply (branch mispredictions), so both passes use arithmetic.
    """

    def __init__(self, slope: float):
        self.slope = slope

    def forward(self, x):
        xp = backend.get_array_module(x)
        self.mask = x > 0
        y = xp.multiply(x, x.dtype.type(self.slope), out=xp.empty_like(x))
        (xp.maximum if self.slope <= 1 else xp.minimum)(x, y, out=y)
        return y

    def backward(self, gy):
        # d/dx = slope + (1 - slope) * [x > 0]: a constant per element, so linear in gy
        scale = self.mask.astype(gy.dtype)
        scale *= gy.dtype.type(1 - self.slope)
        scale += gy.dtype.type(self.slope)
        return gy * Tensor(scale)


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
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

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
