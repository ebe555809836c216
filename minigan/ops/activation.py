"""Activations: relu, leaky_relu, sigmoid, tanh, softplus, log_sigmoid, softmax, log_softmax.

Each forward is written to be stable (no overflow for large |x|) and each
backward reuses the saved output where the derivative is a function of it.
"""
from __future__ import annotations

from .. import backend
from ..autograd import Function, Tensor
from .reduce import _axes, sum as _sum


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
    def __init__(self, slope: float):
        self.slope = slope

    def forward(self, x):
        self.mask = x > 0
        # x * where(mask, 1, slope) in one pass; slope keeps x's dtype
        return x * backend.get_array_module(x).where(self.mask, x.dtype.type(1), x.dtype.type(self.slope))

    def backward(self, gy):
        xp = backend.get_array_module(gy.data)
        scale = xp.where(self.mask, gy.dtype.type(1), gy.dtype.type(self.slope))
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


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    from .reduce import logsumexp
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


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    return Softmax(_axes(axis, x.ndim, "softmax"))(x)
